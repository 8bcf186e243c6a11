locals {
  group = provider::alikafka::parse_consumer_group_id("alikafka_post-cn-emulator01:billing-service")
}

output "group_instance" {
  value = local.group.instance_id
}

output "group_name" {
  value = local.group.consumer_id
}
