output "topics" {
  description = "The team's topic names."
  value       = [for t in alikafka_topic.team : t.topic]
}

output "consumer_group" {
  description = "The team's consumer group."
  value       = alikafka_consumer_group.team.consumer_id
}

output "username" {
  description = "The team's SASL user (its password is the one given; Terraform keeps none)."
  value       = alikafka_sasl_user.team.username
}

output "acl_ids" {
  description = "The IDs of the team's ACLs."
  value = concat(
    [for a in alikafka_sasl_acl.write : a.id],
    [alikafka_sasl_acl.read.id, alikafka_sasl_acl.group.id],
  )
}
