#!/usr/bin/env bash
# Installs what the infrastructure tests (test/infra) run on a Debian machine where we are root:
# - packer: Debian's 1.6.6, whose `fmt -check` and `validate -syntax-only` work offline;
# - systemd: systemd-analyze verify and security, the same systemd 252 as Amazon Linux 2023;
# - shellcheck, for the AMI's provisioning scripts.
#
# Idempotent: a package already installed is left alone, and apt is not touched at all when
# nothing is missing.
set -euo pipefail

readonly PACKAGES=(packer systemd shellcheck)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  printf '==> infra tools: present (%s)\n' "${PACKAGES[*]}"
  exit 0
fi

printf '==> infra tools: installing %s\n' "${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Two runs at once would fight over dpkg's lock; provision-test-env.sh takes apt the same way.
exec 9>/run/deckhand-infra-tools.lock
flock 9
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
