# Topics of one instance whose name starts with "orders".
data "alikafka_topics" "orders" {
  instance_id = "alikafka_post-cn-emulator01"
  name_regex  = "^orders"
}

output "order_topic_partitions" {
  value = { for t in data.alikafka_topics.orders.topics : t.topic => t.partition_num }
}
