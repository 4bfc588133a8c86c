#!/usr/bin/env bash
# Docker from the distribution. live-restore keeps containers running while dockerd restarts (a
# `dnf update docker`), and the `local` log driver rotates, where json-file grows without end.
set -euo pipefail

dnf install -y -q docker

install -d -m 0755 /etc/docker
cat >/etc/docker/daemon.json <<'JSON'
{
  "live-restore": true,
  "log-driver": "local",
  "log-opts": { "max-size": "20m", "max-file": "5" }
}
JSON

systemctl enable docker.service
systemctl restart docker.service
