variable "region" {
  type        = string
  description = "The AWS Region of the VPC and the AMI."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must be an AWS Region code such as eu-west-1."
  }
}

variable "vpc_id" {
  type        = string
  description = "The VPC both services run in."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "The vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  type        = map(string)
  description = "One private subnet per Availability Zone, by AZ name (eu-west-1a = subnet-...): the web group spans them all, the db gets a group in each."

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for id in values(var.private_subnet_ids) : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "The private_subnet_ids must map at least two AZs to subnet ids such as subnet-0123456789abcdef0."
  }
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets of the internet-facing NLB, one per AZ of private_subnet_ids."

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "The public_subnet_ids must list at least two subnet ids."
  }
}

variable "ami_id" {
  type        = string
  description = "The AMI baked from ami/ (packer-manifest.json's artifact_id, after the region and colon)."

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "The ami_id must be an AMI id such as ami-0123456789abcdef0."
  }
}

variable "key_name" {
  type        = string
  description = "An EC2 key pair for SSH to the instances, or null for none."
  default     = null

  validation {
    condition     = var.key_name == null || length(coalesce(var.key_name, "-")) <= 255
    error_message = "The key_name must be null or a key pair name of at most 255 characters."
  }
}

variable "client_cidr_blocks" {
  type        = list(string)
  description = "Who may reach the web service through the NLB (which keeps client addresses, so the instances' security group sees them)."
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for cidr in var.client_cidr_blocks : can(cidrhost(cidr, 0))])
    error_message = "Each of client_cidr_blocks must be a CIDR block such as 203.0.113.0/24."
  }
}
