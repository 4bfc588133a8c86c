#!/bin/sh
# Exits 3 after CRASH_AFTER seconds; a stop before that exits 0 at once.
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
if [ -n "${START_LOG:-}" ]; then
  echo "${NAME:-$(hostname)} started" >> "$START_LOG"
fi
sleep "${CRASH_AFTER:-0.2}" &
pid=$!
wait "$pid"
exit 3
