#!/usr/bin/env bash
# Node 22 from Amazon Linux 2023's own repository: it installs /usr/bin/node-22, which the unit
# starts by that name so that another Node installed later cannot change the agent's runtime.
set -euo pipefail

dnf install -y -q nodejs22
version="$(/usr/bin/node-22 --version)"
[[ $version == v22.* ]] || { echo "30-node: /usr/bin/node-22 is $version, not Node 22" >&2; exit 1; }
