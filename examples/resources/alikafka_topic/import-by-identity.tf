# Terraform 1.12 and later: adopt an existing topic by its identity.
import {
  to = alikafka_topic.orders
  identity = {
    instance_id = "alikafka_post-cn-emulator01"
    topic       = "orders"
  }
}
