output "group_names" {
  description = "The Auto Scaling groups, by their key in var.groups."
  value       = { for key, group in aws_autoscaling_group.this : key => group.name }
}

output "launch_template_id" {
  description = "The launch template of every group."
  value       = aws_launch_template.this.id
}

output "launch_template_version" {
  description = "The launch template version the groups launch from; a new ami_id makes a new one."
  value       = aws_launch_template.this.latest_version
}

output "role_arn" {
  description = "The agent's instance role."
  value       = aws_iam_role.agent.arn
}

output "role_name" {
  description = "The agent's instance role, to attach more policies (e.g. AmazonSSMManagedInstanceCore for Session Manager)."
  value       = aws_iam_role.agent.name
}

output "manifest_parameter" {
  description = "The SSM parameter holding the manifest."
  value       = aws_ssm_parameter.manifest.name
}

output "version_parameter" {
  description = "The SSM parameter a release sets (deckhand release <service> <version>)."
  value       = aws_ssm_parameter.version.name
}

output "operator_policy_json" {
  description = "An IAM policy for whoever releases and watches the service: PutParameter and GetParameterHistory on the version, reads of the service's parameters, Describe* of the fleet."
  value       = data.aws_iam_policy_document.operator.json
}
