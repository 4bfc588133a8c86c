output "web_url" {
  description = "The web service, through the NLB."
  value       = "http://${aws_lb.web.dns_name}/"
}

output "web_groups" {
  description = "The web service's Auto Scaling group."
  value       = module.web.group_names
}

output "db_groups" {
  description = "The db service's Auto Scaling groups, one per AZ."
  value       = module.db.group_names
}

output "operator_policies" {
  description = "IAM policies for whoever releases each service (attach them to a role or group)."
  value = {
    web = module.web.operator_policy_json
    db  = module.db.operator_policy_json
  }
}
