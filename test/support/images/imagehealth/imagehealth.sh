#!/bin/sh
# Healthy (per the image's own HEALTHCHECK) once /tmp/healthy exists. With
# UNHEALTHY_AFTER set, the file goes away again that many seconds later.
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
rm -f /tmp/healthy
sleep "${HEALTHY_AFTER:-1}" &
pid=$!
wait "$pid"
touch /tmp/healthy
if [ -n "${UNHEALTHY_AFTER:-}" ]; then
  sleep "$UNHEALTHY_AFTER" &
  pid=$!
  wait "$pid"
  rm -f /tmp/healthy
fi
while :; do
  sleep 3600 &
  pid=$!
  wait "$pid"
done
