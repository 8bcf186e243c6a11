data "alikafka_consumer_progress" "billing" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "billing-service"
}

# Messages the group has yet to consume, over every topic it reads.
output "billing_lag" {
  value = data.alikafka_consumer_progress.billing.total_diff
}

output "billing_lag_by_topic" {
  value = { for t in data.alikafka_consumer_progress.billing.topics : t.topic => t.total_diff }
}
