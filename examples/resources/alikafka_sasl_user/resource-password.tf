# Terraform before 1.11: the password is kept in the state, marked sensitive.
variable "billing_service_password" {
  description = "Password of the billing service's SASL user."
  type        = string
  sensitive   = true
}

resource "alikafka_sasl_user" "billing_service" {
  instance_id = "alikafka_post-cn-emulator01"
  username    = "billing-service"
  password    = var.billing_service_password
}
