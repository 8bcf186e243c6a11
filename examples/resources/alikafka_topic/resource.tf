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

# Settings, replication and tags: local storage, 7 days of retention, 4 MiB messages.
resource "alikafka_topic" "payments" {
  instance_id         = "alikafka_post-cn-emulator01"
  topic               = "payments"
  remark              = "Payments, kept a week"
  local_topic         = true
  replication_factor  = 3
  min_insync_replicas = 2

  config = {
    "retention.ms"      = 604800000
    "max.message.bytes" = 4194304
  }

  tags = {
    team        = "payments"
    cost-center = "cc-1234"
  }
}
