#!/bin/sh
# Like web, but the port opens only after DELAY seconds (health-gating tests).
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
sleep "${DELAY:-2}" &
pid=$!
wait "$pid"
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
wait "$pid"
