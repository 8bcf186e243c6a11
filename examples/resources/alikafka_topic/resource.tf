resource "alikafka_topic" "orders" {
  instance_id   = "alikafka_post-cn-emulator01"
  topic         = "orders"
  remark        = "Orders placed by the web shop"
  partition_num = 12

  timeouts = {
    create = "5m"
    delete = "5m"
  }
}

# Latest state per customer: log compaction keeps the newest message of each key.
resource "alikafka_topic" "customer_state" {
  instance_id   = "alikafka_post-cn-emulator01"
  topic         = "customer-state"
  remark        = "Latest state per customer"
  partition_num = 6
  local_topic   = true
  compact_topic = true
}
