# Terraform 1.11 and later: the password is write-only, kept in no plan and no state.
variable "orders_service_password" {
  description = "Password of the orders service's SASL user."
  type        = string
  sensitive   = true
  ephemeral   = true
}

resource "alikafka_sasl_user" "orders_service" {
  instance_id         = "alikafka_post-cn-emulator01"
  username            = "orders-service"
  type                = "scram"
  password_wo         = var.orders_service_password
  password_wo_version = 1 # raise it to send a new password
}
