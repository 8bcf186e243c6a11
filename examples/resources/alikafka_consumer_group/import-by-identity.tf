# Terraform 1.12 and later: adopt an existing consumer group by its identity.
import {
  to = alikafka_consumer_group.billing
  identity = {
    instance_id = "alikafka_post-cn-emulator01"
    consumer_id = "billing-service"
  }
}
