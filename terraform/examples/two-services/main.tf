# Two deckhand services in one VPC:
# - web: stateless, one group across every AZ, behind an internet-facing NLB;
# - db: stateful, with an EBS volume per instance, so one group per AZ (EBS volumes are zonal).
# Set vpc_id, the subnets, ami_id (and key_name if you want SSH), then terraform apply.

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_security_group" "web" {
  name_prefix = "deckhand-web-"
  description = "deckhand web: HTTP from clients through the NLB"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTP from clients (the NLB keeps their addresses) and its health checks"
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = distinct(concat(var.client_cidr_blocks, [data.aws_vpc.this.cidr_block]))
  }

  egress {
    description = "Images, SSM, Auto Scaling and EC2 APIs, and the db"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "db" {
  name_prefix = "deckhand-db-"
  description = "deckhand db: its port from web only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "PostgreSQL from web"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.web.id]
  }

  egress {
    description = "Images and the AWS APIs"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lb" "web" {
  name_prefix        = "dhweb-"
  load_balancer_type = "network"
  internal           = false
  subnets            = var.public_subnet_ids

  enable_cross_zone_load_balancing = true
}

resource "aws_lb_target_group" "web" {
  name_prefix = "dhweb-"
  port        = 8080
  protocol    = "TCP"
  vpc_id      = var.vpc_id
  target_type = "instance"

  # The manifest's rollout.drainDelay (30s) covers this: the agent waits it out after the
  # instance leaves the group, before it stops the containers.
  deregistration_delay = 30

  health_check {
    protocol            = "HTTP"
    path                = "/healthz"
    port                = "traffic-port"
    healthy_threshold   = 2
    unhealthy_threshold = 2
    interval            = 10
  }
}

resource "aws_lb_listener" "web" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

module "web" {
  source = "../../modules/service"

  service            = "web"
  ami_id             = var.ami_id
  instance_types     = ["m7i.large", "m6i.large"]
  security_group_ids = [aws_security_group.web.id]
  manifest_file      = "${path.root}/manifests/web.yaml"
  key_name           = var.key_name
  target_group_arns  = [aws_lb_target_group.web.arn]

  # rollout.bootDeadline 5m; drainDelay 30s + stopTimeout 30s, with room to spare.
  boot_deadline_seconds = 300
  drain_seconds         = 120

  groups = {
    all = {
      subnet_ids       = values(var.private_subnet_ids)
      min_size         = 2
      max_size         = 6
      desired_capacity = 3
    }
  }
}

module "db" {
  source = "../../modules/service"

  service            = "db"
  ami_id             = var.ami_id
  instance_types     = ["r7i.large"]
  security_group_ids = [aws_security_group.db.id]
  manifest_file      = "${path.root}/manifests/db.yaml"
  key_name           = var.key_name
  ebs_volumes        = true

  # rollout.bootDeadline 10m; stopTimeout 2m + unmounting and detaching the volume.
  boot_deadline_seconds = 600
  drain_seconds         = 300

  # One instance per AZ, each with its own volume: a replacement re-attaches the volume of the
  # instance it replaces, which is in the same AZ because the group is.
  groups = {
    for az, subnet in var.private_subnet_ids : az => {
      subnet_ids       = [subnet]
      min_size         = 1
      max_size         = 1
      desired_capacity = 1
    }
  }
}
