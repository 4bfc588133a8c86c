# Bakes deckhand into Amazon Linux 2023 minimal: Docker from the distribution, Node 22, the
# agent at /opt/deckhand and its systemd unit, optionally images pre-pulled by digest.
# `packer init . && packer build .` from this directory (README.md).

locals {
  version  = jsondecode(file("${path.root}/../package.json")).version
  artifact = var.artifact != "" ? var.artifact : "${path.root}/../artifact/deckhand.tar.gz"
  ami_name = "${var.ami_name_prefix}-${local.version}-${formatdate("YYYYMMDDhhmmss", timestamp())}"
}

source "amazon-ebs" "al2023" {
  region          = var.region
  instance_type   = var.instance_type
  subnet_id       = var.subnet_id
  ssh_username    = "ec2-user"
  ami_name        = local.ami_name
  ami_description = "deckhand ${local.version} on Amazon Linux 2023 minimal"
  imds_support    = "v2.0"

  source_ami_filter {
    owners      = ["amazon"]
    most_recent = true

    filters = {
      name                = var.source_ami_name
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
  }

  # The build instance answers IMDSv2 only, like the instances the AMI will run as.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    delete_on_termination = true
    encrypted             = true
  }

  tags = {
    Name               = local.ami_name
    "deckhand:version" = local.version
    "deckhand:base"    = "{{ .SourceAMIName }}"
  }
}

build {
  sources = ["source.amazon-ebs.al2023"]

  provisioner "file" {
    source      = local.artifact
    destination = "/tmp/deckhand.tar.gz"
  }

  provisioner "file" {
    source      = "${path.root}/files/deckhand.service"
    destination = "/tmp/deckhand.service"
  }

  provisioner "shell" {
    execute_command = "sudo -E bash -euo pipefail '{{ .Path }}'"
    environment_vars = [
      "DECKHAND_VERSION=${local.version}",
      "PREPULL_IMAGES=${join(" ", var.prepull_images)}",
    ]
    scripts = [
      "${path.root}/scripts/10-base.sh",
      "${path.root}/scripts/20-docker.sh",
      "${path.root}/scripts/30-node.sh",
      "${path.root}/scripts/40-deckhand.sh",
      "${path.root}/scripts/50-unit.sh",
      "${path.root}/scripts/60-prepull.sh",
      "${path.root}/scripts/90-cleanup.sh",
      "${path.root}/scripts/99-validate.sh",
    ]
  }

  post-processor "manifest" {
    output     = "${path.root}/packer-manifest.json"
    strip_path = true
    custom_data = {
      deckhand_version = local.version
    }
  }
}
