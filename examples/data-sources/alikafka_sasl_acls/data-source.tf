# What the orders service may do with topics starting with "orders-".
data "alikafka_sasl_acls" "orders" {
  instance_id               = "alikafka_post-cn-emulator01"
  username                  = "orders-service"
  acl_resource_type         = "Topic"
  acl_resource_name         = "orders-"
  acl_resource_pattern_type = "PREFIXED"
}

output "orders_operations" {
  value = [for a in data.alikafka_sasl_acls.orders.acls : a.acl_operation_type]
}
