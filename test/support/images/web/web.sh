#!/bin/sh
# As PID 1 the shell ignores SIGTERM unless it traps it, and so would httpd; httpd
# runs as a child so the trap can stop it at once.
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
wait "$pid"
