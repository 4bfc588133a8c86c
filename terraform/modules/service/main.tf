# One deckhand service: its SSM parameters, a launch template, one or more Auto Scaling groups
# and the agent's instance role. Releases bump /deckhand/<service>/version; the agents roll the
# groups through their own gate (SPEC section 5), so there is no instance_refresh and no
# warm_pool here: both replace instances behind the gate's back.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  path       = "/deckhand/${var.service}"
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  parameter_arn = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.path}"
  group_arns    = "arn:${local.partition}:autoscaling:${local.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/*"
  instance_arns = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"
  volume_arns   = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:volume/*"

  # The agent answers the launch hook itself at bootDeadline (ABANDON when not ready), and
  # heartbeats while it drains: the timeouts only catch an agent that died.
  launch_heartbeat_seconds    = min(7200, var.boot_deadline_seconds + 120)
  terminate_heartbeat_seconds = min(7200, var.drain_seconds + 120)

  manifest = file(var.manifest_file)
  tags     = merge(var.tags, { "deckhand:service" = var.service })
}

resource "aws_ssm_parameter" "manifest" {
  name        = "${local.path}/manifest"
  description = "deckhand manifest of ${var.service}"
  type        = "String"
  tier        = length(local.manifest) > 4096 ? "Advanced" : "Standard"
  value       = local.manifest
  tags        = local.tags
}

resource "aws_ssm_parameter" "version" {
  name        = "${local.path}/version"
  description = "deckhand release of ${var.service}: deckhand release and deckhand rollback set it"
  type        = "String"
  value       = var.initial_version
  tags        = local.tags

  # Releases own the value from here on; Terraform must not set it back.
  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_launch_template" "this" {
  name_prefix            = "deckhand-${var.service}-"
  description            = "deckhand ${var.service}"
  image_id               = var.ami_id
  instance_type          = var.instance_types[0]
  key_name               = var.key_name
  vpc_security_group_ids = var.security_group_ids
  update_default_version = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.agent.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = var.metadata_hop_limit
    instance_metadata_tags      = "enabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.tags
  }

  tags = local.tags
}

resource "aws_autoscaling_group" "this" {
  for_each = var.groups

  name                      = "${var.service}-${each.key}"
  vpc_zone_identifier       = each.value.subnet_ids
  min_size                  = each.value.min_size
  max_size                  = each.value.max_size
  desired_capacity          = each.value.desired_capacity
  capacity_rebalance        = var.spot
  target_group_arns         = var.target_group_arns
  health_check_type         = length(var.target_group_arns) > 0 ? "ELB" : "EC2"
  health_check_grace_period = var.boot_deadline_seconds
  default_instance_warmup   = 60

  dynamic "launch_template" {
    for_each = var.spot ? [] : [aws_launch_template.this]

    content {
      id = launch_template.value.id
      # An explicit number: a new AMI makes a new version here, which every agent sees as drift.
      version = launch_template.value.latest_version
    }
  }

  dynamic "mixed_instances_policy" {
    for_each = var.spot ? [aws_launch_template.this] : []

    content {
      instances_distribution {
        on_demand_base_capacity                  = 0
        on_demand_percentage_above_base_capacity = 0
        spot_allocation_strategy                 = "price-capacity-optimized"
      }

      launch_template {
        launch_template_specification {
          launch_template_id = mixed_instances_policy.value.id
          version            = mixed_instances_policy.value.latest_version
        }

        dynamic "override" {
          for_each = var.instance_types

          content {
            instance_type = override.value
          }
        }
      }
    }
  }

  initial_lifecycle_hook {
    name                 = "deckhand-launch"
    lifecycle_transition = "autoscaling:EC2_INSTANCE_LAUNCHING"
    default_result       = "ABANDON"
    heartbeat_timeout    = local.launch_heartbeat_seconds
  }

  initial_lifecycle_hook {
    name                 = "deckhand-terminate"
    lifecycle_transition = "autoscaling:EC2_INSTANCE_TERMINATING"
    default_result       = "CONTINUE"
    heartbeat_timeout    = local.terminate_heartbeat_seconds
  }

  # The agent's service name (SPEC section 1.2), and what its IAM conditions test on the group
  # and, propagated, on its instance.
  tag {
    key                 = "deckhand:service"
    value               = var.service
    propagate_at_launch = true
  }

  dynamic "tag" {
    for_each = var.tags

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # Scaling policies and operators move desired capacity; a plan must not set it back.
    ignore_changes = [desired_capacity]
  }
}
