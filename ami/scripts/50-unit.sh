#!/usr/bin/env bash
# The agent's unit, enabled for the next boot and not started now: on the build instance there
# is no Auto Scaling group and no manifest to run.
set -euo pipefail

install -m 0644 -o root -g root /tmp/deckhand.service /etc/systemd/system/deckhand.service
rm -f /tmp/deckhand.service
install -d -m 0700 /etc/deckhand
systemctl daemon-reload
systemctl enable deckhand.service
