variable "region" {
  type        = string
  description = "The AWS Region to bake in; the AMI is registered there only (copy it to others with ami_regions or aws ec2 copy-image)."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must be an AWS Region code such as eu-west-1."
  }
}

variable "instance_type" {
  type        = string
  description = "The instance type of the build instance; its architecture must match source_ami_name (x86_64 or arm64)."
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "The instance_type must be an EC2 instance type such as t3.small or m7g.medium."
  }
}

variable "subnet_id" {
  type        = string
  description = "The subnet of the build instance (it needs a route to the Amazon Linux repositories and, for pre-pulled images, to their registries). Empty: the default VPC."
  default     = ""

  validation {
    condition     = var.subnet_id == "" || can(regex("^subnet-[0-9a-f]{8,17}$", var.subnet_id))
    error_message = "The subnet_id must be empty (default VPC) or a subnet id such as subnet-0123456789abcdef0."
  }
}

variable "source_ami_name" {
  type        = string
  description = "The name pattern of the base AMI, owned by Amazon: Amazon Linux 2023 minimal, kernel 6.1 (the newest match is used)."
  default     = "al2023-ami-minimal-2023.*-kernel-6.1-x86_64"

  validation {
    condition     = can(regex("^al2023-ami-minimal-", var.source_ami_name))
    error_message = "The source_ami_name must name Amazon Linux 2023 minimal (al2023-ami-minimal-...): the provisioning scripts use its dnf packages nodejs22 and docker."
  }
}

variable "root_volume_size" {
  type        = number
  description = "The root gp3 volume in GiB: the OS, Docker's images and the containers' local logs."
  default     = 20

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024
    error_message = "The root_volume_size must be between 8 and 1024 GiB."
  }
}

variable "prepull_images" {
  type        = list(string)
  description = "Images pulled into the AMI so that the first boot skips their download, each pinned by digest (registry/name@sha256:...). EBS snapshots load lazily, so these layers are slow on their first read."
  default     = []

  validation {
    condition     = alltrue([for image in var.prepull_images : can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", image))])
    error_message = "Each of prepull_images must be pinned by digest, like registry.example/app@sha256:<64 hex digits>: a tag would bake whatever it pointed to that day."
  }
}

variable "ami_name_prefix" {
  type        = string
  description = "The AMI is named <prefix>-<deckhand version>-<UTC time of the build>."
  default     = "deckhand"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", var.ami_name_prefix))
    error_message = "The ami_name_prefix must be 1-64 letters, digits, dots, dashes or underscores."
  }
}

variable "artifact" {
  type        = string
  description = "The deckhand artifact made by `npm run build` (a tar.gz of dist/, node_modules/ and package.json). Empty: artifact/deckhand.tar.gz of this repository."
  default     = ""

  validation {
    condition     = var.artifact == "" || can(regex("\\.tar\\.gz$", var.artifact))
    error_message = "The artifact must be empty or the path of a .tar.gz made by npm run build."
  }
}
