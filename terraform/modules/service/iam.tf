# The agent's instance role. Every statement is one thing the agent does, scoped to its own
# service; test/infra/iam-proof.test.ts evaluates every call the agents make in the end-to-end
# suite against this document and checks that each statement is needed.
#
# Written as aws_iam_policy_document blocks, not jsonencode(), so that tools (and that test)
# can read the policy from the HCL.

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "Ec2AssumesTheAgentRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "agent" {
  # The manifest, the version and the parameters the manifest references under its path.
  # GetParametersByPath would be authorised on the path's own ARN, hence both.
  statement {
    sid       = "ReadOwnParameters"
    actions   = ["ssm:GetParameters"]
    resources = [local.parameter_arn, "${local.parameter_arn}/*"]
  }

  # Parameters the manifest references outside its path.
  dynamic "statement" {
    for_each = length(var.extra_parameter_arns) > 0 ? [var.extra_parameter_arns] : []

    content {
      sid       = "ReadReferencedParameters"
      actions   = ["ssm:GetParameters"]
      resources = statement.value
    }
  }

  # SecureStrings under a customer managed key: SSM decrypts on the agent's behalf, with the
  # parameter's ARN as encryption context.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "DecryptOwnParameters"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:PARAMETER_ARN"
        values   = ["${local.parameter_arn}/*"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  # The rollout gate's view and the instance's identity. These actions support no resource-level
  # permissions, so "*" is the only resource they take.
  statement {
    sid = "DescribeFleet"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLifecycleHooks",
      "ec2:DescribeInstances",
      "ec2:DescribeLaunchTemplateVersions",
    ]
    resources = ["*"]
  }

  # Hooks, health and self-termination, on groups of this service only.
  statement {
    sid = "ActOnOwnGroups"
    actions = [
      "autoscaling:CompleteLifecycleAction",
      "autoscaling:RecordLifecycleActionHeartbeat",
      "autoscaling:SetInstanceHealth",
      "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    resources = [local.group_arns]

    condition {
      test     = "StringEquals"
      variable = "autoscaling:ResourceTag/deckhand:service"
      values   = [var.service]
    }
  }

  # deckhand's own tags (SPEC section 6), on instances of this service only; never
  # deckhand:service itself, which would move an instance to another service.
  statement {
    sid       = "TagOwnInstances"
    actions   = ["ec2:CreateTags"]
    resources = [local.instance_arns]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/deckhand:service"
      values   = [var.service]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["deckhand:revision", "deckhand:state", "deckhand:ready-at", "deckhand:reason", "deckhand:slot"]
    }
  }

  # deckhand:reason is removed when a crash loop ends and the instance serves again; nothing else.
  statement {
    sid       = "UntagOwnReason"
    actions   = ["ec2:DeleteTags"]
    resources = [local.instance_arns]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/deckhand:service"
      values   = [var.service]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["deckhand:reason"]
    }
  }

  # ECR: the agent turns the role into a registry token for dockerd.
  statement {
    sid       = "GetRegistryToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  # What dockerd then pulls with that token.
  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [var.ecr_repository_arns] : []

    content {
      sid       = "PullImages"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = statement.value
    }
  }

  # EBS volumes (SPEC section 4, issue 13), in the EBS CSI driver's pattern: create only with
  # the service's tag in the same call, tag only at creation or with deckhand:formatted, attach
  # and detach only when volume and instance both carry the service's tag, never delete.
  dynamic "statement" {
    for_each = var.ebs_volumes ? [local.volume_arns] : []

    content {
      sid       = "EbsCreateOwnVolumes"
      actions   = ["ec2:CreateVolume"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/deckhand:service"
        values   = [var.service]
      }
    }
  }

  dynamic "statement" {
    for_each = var.ebs_volumes ? [local.volume_arns] : []

    content {
      sid       = "EbsTagOnCreate"
      actions   = ["ec2:CreateTags"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "ec2:CreateAction"
        values   = ["CreateVolume"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.ebs_volumes ? [local.volume_arns] : []

    content {
      sid       = "EbsMarkOwnVolumesFormatted"
      actions   = ["ec2:CreateTags"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/deckhand:service"
        values   = [var.service]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "aws:TagKeys"
        values   = ["deckhand:formatted"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.ebs_volumes ? [[local.volume_arns, local.instance_arns]] : []

    content {
      sid       = "EbsAttachOwnVolumes"
      actions   = ["ec2:AttachVolume", "ec2:DetachVolume"]
      resources = statement.value

      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/deckhand:service"
        values   = [var.service]
      }
    }
  }

  dynamic "statement" {
    for_each = var.ebs_volumes ? ["*"] : []

    content {
      sid       = "EbsDescribeVolumes"
      actions   = ["ec2:DescribeVolumes"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role" "agent" {
  name_prefix        = "deckhand-${var.service}-"
  description        = "deckhand agent of ${var.service}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "agent" {
  name   = "deckhand-agent"
  role   = aws_iam_role.agent.id
  policy = data.aws_iam_policy_document.agent.json
}

resource "aws_iam_instance_profile" "agent" {
  name_prefix = "deckhand-${var.service}-"
  role        = aws_iam_role.agent.name
  tags        = local.tags
}

# For the people and pipelines that release: set the version, read its history to roll back,
# read the manifest to check a release, and watch the fleet.
data "aws_iam_policy_document" "operator" {
  statement {
    sid       = "Release"
    actions   = ["ssm:PutParameter", "ssm:GetParameterHistory"]
    resources = [aws_ssm_parameter.version.arn]
  }

  statement {
    sid       = "ReadRelease"
    actions   = ["ssm:GetParameters", "ssm:GetParameter"]
    resources = [local.parameter_arn, "${local.parameter_arn}/*"]
  }

  statement {
    sid = "WatchFleet"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "ec2:DescribeInstances",
      "ec2:DescribeLaunchTemplateVersions",
    ]
    resources = ["*"]
  }
}
