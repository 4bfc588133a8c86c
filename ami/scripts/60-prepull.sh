#!/usr/bin/env bash
# Optional: images pulled into the AMI, each pinned by digest (PREPULL_IMAGES, space separated).
# The first boot then skips their download, but EBS restores a snapshot lazily: these layers are
# read from S3 on first touch, which can make the first start slower than a pull would be.
# ECR images need the build instance's role to allow ecr:GetAuthorizationToken and the pulls;
# the credential helper is removed again so that the AMI keeps no registry configuration.
set -euo pipefail

[[ -n ${PREPULL_IMAGES:-} ]] || { echo "60-prepull: no images to pre-pull"; exit 0; }

helper_installed=no
for image in $PREPULL_IMAGES; do
  [[ $image =~ @sha256:[0-9a-f]{64}$ ]] || { echo "60-prepull: $image is not pinned by digest" >&2; exit 1; }
  if [[ $image =~ ^[0-9]{12}\.dkr\.ecr\. && $helper_installed == no ]]; then
    dnf install -y -q amazon-ecr-credential-helper
    install -d -m 0700 /root/.docker
    printf '{ "credsStore": "ecr-login" }\n' >/root/.docker/config.json
    helper_installed=yes
  fi
  docker pull --quiet "$image"
done

if [[ $helper_installed == yes ]]; then
  rm -rf /root/.docker /root/.ecr
  dnf remove -y -q amazon-ecr-credential-helper
fi
