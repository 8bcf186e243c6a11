data "alikafka_topic_status" "orders" {
  instance_id = "alikafka_post-cn-emulator01"
  topic       = "orders"
}

output "orders_message_count" {
  value = data.alikafka_topic_status.orders.total_count
}

# Messages currently retained in each partition.
output "orders_messages_by_partition" {
  value = { for o in data.alikafka_topic_status.orders.offsets : o.partition => o.max_offset - o.min_offset }
}
