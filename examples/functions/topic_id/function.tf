# The ID to import an existing topic with.
import {
  to = alikafka_topic.orders
  id = provider::alikafka::topic_id("alikafka_post-cn-emulator01", "orders")
}

resource "alikafka_topic" "orders" {
  instance_id = "alikafka_post-cn-emulator01"
  topic       = "orders"
  remark      = "Orders placed by the web shop"
}
