# Consumer groups of one instance whose name starts with "billing-".
data "alikafka_consumer_groups" "billing" {
  instance_id = "alikafka_post-cn-emulator01"
  name_regex  = "^billing-"
}

output "billing_groups" {
  value = { for g in data.alikafka_consumer_groups.billing.groups : g.consumer_id => g.remark }
}
