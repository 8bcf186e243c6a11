# Terraform 1.5 and later: adopt an existing consumer group during plan and apply.
import {
  to = alikafka_consumer_group.billing
  id = "alikafka_post-cn-emulator01:billing-service"
}
