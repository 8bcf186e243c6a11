# Terraform 1.5 and later: adopt an existing allowlist entry during plan and apply.
import {
  to = alikafka_instance_allowed_ip_attachment.orders_subnet
  id = "alikafka_post-cn-emulator01:vpc:9094/9094:192.168.10.0/24"
}
