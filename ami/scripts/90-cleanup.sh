#!/usr/bin/env bash
# Leaves nothing of the build instance in the AMI: every instance gets its own SSH host keys,
# cloud-init run, journal and machine id (an empty /etc/machine-id is filled at first boot;
# a missing one would make systemd run the first-boot setup differently).
set -euo pipefail

rm -rf /var/lib/deckhand
dnf clean all -q
rm -rf /var/cache/dnf
rm -f /etc/ssh/ssh_host_*
cloud-init clean --logs --seed
rm -rf /var/lib/cloud
journalctl --rotate --quiet || true
journalctl --vacuum-time=1s --quiet || true
rm -rf /var/log/journal/*
truncate -s 0 /etc/machine-id
rm -f /var/lib/systemd/random-seed
rm -rf /tmp/* /var/tmp/*
