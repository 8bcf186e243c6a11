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
