# Who may reach the VPC SASL_PLAINTEXT endpoint of an instance.
data "alikafka_allowed_ips" "sasl_plaintext" {
  instance_id  = "alikafka_post-cn-emulator01"
  allowed_type = "vpc"
  port_range   = "9094/9094"
}

output "sasl_plaintext_allowed" {
  value = data.alikafka_allowed_ips.sasl_plaintext.allowed_ips
}
