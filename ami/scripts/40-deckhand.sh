#!/usr/bin/env bash
# The artifact of `npm run build` (the bundle, its runtime node_modules pinned by package-lock,
# package.json) at /opt/deckhand, owned by root, and `deckhand` on the PATH.
set -euo pipefail

rm -rf /opt/deckhand
install -d -m 0755 /opt/deckhand
tar -xzf /tmp/deckhand.tar.gz -C /opt/deckhand --strip-components=1 --no-same-owner
chown -R root:root /opt/deckhand
chmod -R go-w /opt/deckhand
rm -f /tmp/deckhand.tar.gz

cat >/usr/local/bin/deckhand <<'SH'
#!/bin/sh
exec /usr/bin/node-22 /opt/deckhand/dist/main.js "$@"
SH
chmod 0755 /usr/local/bin/deckhand

installed="$(/usr/local/bin/deckhand --version)"
[[ $installed == "$DECKHAND_VERSION" ]] || { echo "40-deckhand: deckhand --version says $installed, expected $DECKHAND_VERSION" >&2; exit 1; }
