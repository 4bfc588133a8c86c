#!/usr/bin/env bash
# The last step of the bake: fails the build, so that no AMI is registered, unless what an
# instance will boot is in place. Reads only; it must not undo the cleanup.
set -euo pipefail

fail() {
  echo "99-validate: $*" >&2
  exit 1
}

# The unit: systemd-analyze exits 0 on unknown keys, so its stderr must be empty.
verify_errors="$(systemd-analyze verify /etc/systemd/system/deckhand.service 2>&1 >/dev/null)"
[[ -z $verify_errors ]] || fail "deckhand.service does not verify: $verify_errors"
[[ "$(systemctl is-enabled deckhand.service)" == enabled ]] || fail "deckhand.service is not enabled"
[[ "$(systemctl is-enabled docker.service)" == enabled ]] || fail "docker.service is not enabled"

# Docker as the agent expects it.
[[ "$(docker info --format '{{.LiveRestoreEnabled}}')" == true ]] || fail "dockerd does not have live-restore on"
[[ "$(docker info --format '{{.LoggingDriver}}')" == local ]] || fail "dockerd's default log driver is not local"

# The binary, its runtime and its version.
[[ "$(/usr/bin/node-22 --version)" == v22.* ]] || fail "/usr/bin/node-22 is not Node 22"
[[ "$(deckhand --version)" == "$DECKHAND_VERSION" ]] || fail "deckhand --version is not $DECKHAND_VERSION"
deckhand validate /opt/deckhand/examples/web.yaml --version 1 || fail "deckhand validate rejects the example manifest"

for image in ${PREPULL_IMAGES:-}; do
  docker image inspect "$image" >/dev/null || fail "pre-pulled image $image is missing"
done

# The cleanup.
[[ ! -s /etc/machine-id ]] || fail "/etc/machine-id is not empty"
compgen -G '/etc/ssh/ssh_host_*' >/dev/null && fail "SSH host keys are left in the image"
[[ ! -e /var/lib/cloud ]] || fail "/var/lib/cloud is left in the image"
[[ ! -e /var/lib/deckhand ]] || fail "/var/lib/deckhand is left in the image"
echo "99-validate: deckhand $DECKHAND_VERSION is ready to boot"
