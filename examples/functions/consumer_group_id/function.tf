# The ID to import an existing consumer group with.
import {
  to = alikafka_consumer_group.billing
  id = provider::alikafka::consumer_group_id("alikafka_post-cn-emulator01", "billing-service")
}

resource "alikafka_consumer_group" "billing" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "billing-service"
}
