# Terraform 1.5 and later: adopt an existing SASL user during plan and apply.
import {
  to = alikafka_sasl_user.orders_service
  id = "alikafka_post-cn-emulator01:orders-service"
}
