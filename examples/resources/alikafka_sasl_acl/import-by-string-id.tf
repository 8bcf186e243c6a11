# Terraform 1.5 and later: adopt an existing ACL during plan and apply.
import {
  to = alikafka_sasl_acl.orders_write
  id = "alikafka_post-cn-emulator01:orders-service:Topic:orders-:PREFIXED:Write"
}
