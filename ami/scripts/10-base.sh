#!/usr/bin/env bash
# Base system: no package upgrades at boot. An instance must run exactly what was baked (and
# validated); security updates come as a new AMI, rolled out by the agent's gate.
set -euo pipefail

cat >/etc/cloud/cloud.cfg.d/90-deckhand.cfg <<'CFG'
# deckhand: boot what was baked; updates come as a new AMI.
repo_upgrade: none
CFG
