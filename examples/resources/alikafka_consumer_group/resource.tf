resource "alikafka_consumer_group" "billing" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "billing-service"
  remark      = "Reads orders and payments"

  tags = {
    team = "billing"
  }
}
