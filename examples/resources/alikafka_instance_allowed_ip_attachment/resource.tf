# Clients in the orders subnet may connect to the VPC SASL_PLAINTEXT endpoint.
resource "alikafka_instance_allowed_ip_attachment" "orders_subnet" {
  instance_id  = "alikafka_post-cn-emulator01"
  allowed_type = "vpc"
  port_range   = "9094/9094"
  allowed_ip   = "192.168.10.0/24"
  description  = "orders subnet"
}
