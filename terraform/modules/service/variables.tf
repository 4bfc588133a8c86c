variable "service" {
  type        = string
  description = "The deckhand service: the deckhand:service tag of its groups and the SSM path /deckhand/<service>/."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.service))
    error_message = "The service must be 1-40 lower-case letters, digits or dashes, starting with a letter (it names groups, roles and SSM paths)."
  }
}

variable "ami_id" {
  type        = string
  description = "The deckhand AMI baked from ami/ (packer-manifest.json names it). An explicit id: a new one makes a new launch template version, which the agents see as drift and roll out."
  nullable    = false

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "The ami_id must be an AMI id such as ami-0123456789abcdef0; resolve:ssm: would make no new launch template version, so no agent would ever see the change."
  }
}

variable "instance_types" {
  type        = list(string)
  description = "Instance types: the first is the launch template's; with spot = true every one is an override of the mixed instances policy."
  nullable    = false

  validation {
    condition     = length(var.instance_types) > 0 && alltrue([for type in var.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", type))])
    error_message = "The instance_types must list at least one EC2 instance type such as m7i.large."
  }
}

variable "groups" {
  type = map(object({
    subnet_ids       = list(string)
    min_size         = number
    max_size         = number
    desired_capacity = number
  }))
  description = "The Auto Scaling groups of the service, by a short key (the group is named <service>-<key>): one group across AZs for a stateless service, one group per AZ for a service with EBS volumes, which are zonal."
  nullable    = false

  validation {
    condition     = length(var.groups) > 0 && alltrue([for key, group in var.groups : can(regex("^[a-z0-9-]{1,20}$", key)) && length(group.subnet_ids) > 0 && group.min_size <= group.desired_capacity && group.desired_capacity <= group.max_size])
    error_message = "Each group needs a key of 1-20 lower-case letters, digits or dashes, at least one subnet, and min_size <= desired_capacity <= max_size."
  }
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the instances."
  nullable    = false

  validation {
    condition     = alltrue([for id in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "Each of security_group_ids must be a security group id such as sg-0123456789abcdef0."
  }
}

variable "manifest_file" {
  type        = string
  description = "The deckhand manifest (YAML or JSON) stored at /deckhand/<service>/manifest; check it first with deckhand validate."
  nullable    = false

  validation {
    condition     = fileexists(var.manifest_file)
    error_message = "The manifest_file must name an existing file, e.g. \"$${path.root}/manifests/web.yaml\"."
  }
}

variable "initial_version" {
  type        = string
  description = "The first value of /deckhand/<service>/version. Terraform creates it and then leaves it to releases (deckhand release, or aws ssm put-parameter)."
  default     = "1"
  nullable    = false

  validation {
    condition     = length(var.initial_version) > 0 && length(var.initial_version) <= 128
    error_message = "The initial_version must be 1-128 characters."
  }
}

variable "boot_deadline_seconds" {
  type        = number
  description = "The manifest's rollout.bootDeadline in seconds: the launch hook's heartbeat timeout is this plus a margin, so the agent, not the timeout, decides CONTINUE or ABANDON."
  default     = 600
  nullable    = false

  validation {
    condition     = var.boot_deadline_seconds >= 30 && var.boot_deadline_seconds <= 7000
    error_message = "The boot_deadline_seconds must be between 30 and 7000 (a lifecycle hook's heartbeat timeout is at most 7200 s)."
  }
}

variable "drain_seconds" {
  type        = number
  description = "The longest drain: the manifest's rollout.drainDelay + every container's stopTimeout + detaching volumes. Sets the terminate hook's heartbeat timeout; keep it within the unit's TimeoutStopSec (15 min)."
  default     = 600
  nullable    = false

  validation {
    condition     = var.drain_seconds >= 30 && var.drain_seconds <= 900
    error_message = "The drain_seconds must be between 30 and 900: the systemd unit gives a drain 15 minutes (TimeoutStopSec) before it kills the agent."
  }
}

variable "metadata_hop_limit" {
  type        = number
  description = "IMDSv2 hop limit: 1 keeps the metadata service (and the instance role) out of bridge-networked containers; 2 lets them reach it."
  default     = 1
  nullable    = false

  validation {
    condition     = contains([1, 2], var.metadata_hop_limit)
    error_message = "The metadata_hop_limit must be 1 (containers cannot reach IMDS) or 2 (bridge-networked containers can)."
  }
}

variable "spot" {
  type        = bool
  description = "Run on spot instances (mixed instances policy over instance_types, price-capacity-optimized) with capacity rebalancing: the replacement launches before the terminate hook reaches the old instance."
  default     = false
  nullable    = false
}

variable "ebs_volumes" {
  type        = bool
  description = "Grant the agent the EBS actions of SPEC section 4 (create, tag, attach and detach volumes tagged with this service; never delete). Set it when the manifest has ebs volumes."
  default     = false
  nullable    = false
}

variable "root_volume_size" {
  type        = number
  description = "The root gp3 volume in GiB, at least the AMI's."
  default     = 20
  nullable    = false

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 16384
    error_message = "The root_volume_size must be between 8 and 16384 GiB."
  }
}

variable "target_group_arns" {
  type        = list(string)
  description = "Load balancer target groups the groups register their instances with; the groups then use ELB health checks."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.target_group_arns : can(regex("^arn:aws[a-z-]*:elasticloadbalancing:", arn))])
    error_message = "Each of target_group_arns must be an Elastic Load Balancing target group ARN."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "The customer managed KMS key of the service's SecureString parameters, if any; null when they use the AWS managed key aws/ssm."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "The kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "extra_parameter_arns" {
  type        = list(string)
  description = "SSM parameters the manifest references as { ssm: <name> } outside /deckhand/<service>/ (those inside are already readable)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.extra_parameter_arns : can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/", arn))])
    error_message = "Each of extra_parameter_arns must be an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>)."
  }
}

variable "ecr_repository_arns" {
  type        = list(string)
  description = "ECR repositories the manifest's images come from: dockerd pulls them with the token the agent gets for the instance role."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/", arn))])
    error_message = "Each of ecr_repository_arns must be an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>)."
  }
}

variable "key_name" {
  type        = string
  description = "An EC2 key pair for SSH, or null for none (prefer Session Manager)."
  default     = null

  validation {
    condition     = var.key_name == null || length(coalesce(var.key_name, "-")) <= 255
    error_message = "The key_name must be null or a key pair name of at most 255 characters."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource the module creates, and propagated to the instances."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key in keys(var.tags) : !startswith(key, "deckhand:") && !startswith(key, "aws:")])
    error_message = "The tags must not use the deckhand: or aws: prefixes, which deckhand and AWS write."
  }
}
