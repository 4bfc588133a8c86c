#!/bin/sh
# busybox nc has no -k: "-ll -e PROG" is its persistent listener (one PROG per
# connection). Each connection gets an echo server.
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
nc -ll -p "${PORT:-9000}" -e /bin/cat &
pid=$!
wait "$pid"
