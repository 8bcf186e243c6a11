# Terraform 1.5 and later: adopt an existing topic during plan and apply.
import {
  to = alikafka_topic.orders
  id = "alikafka_post-cn-emulator01:orders"
}
