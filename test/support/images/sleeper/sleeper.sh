#!/bin/sh
# Records start and stop in files on a mounted volume, so tests can check the order in
# which containers start and drain. /proc/uptime is monotonic and the same clock as
# the host's (busybox date has no %N).
name="${NAME:-$(hostname)}"

on_term() {
  kill "$pid" 2>/dev/null
  if [ -n "${STOP_LOG:-}" ]; then
    read -r up _ < /proc/uptime
    echo "$name stopped $up" >> "$STOP_LOG"
  fi
  sleep "${STOP_DELAY:-0}"
  exit 0
}
trap on_term TERM INT

if [ -n "${START_LOG:-}" ]; then
  echo "$name started" >> "$START_LOG"
fi
while :; do
  sleep 3600 &
  pid=$!
  wait "$pid"
done
