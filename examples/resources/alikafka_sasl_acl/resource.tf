# The orders service may write to every topic whose name starts with "orders-"...
resource "alikafka_sasl_acl" "orders_write" {
  instance_id               = "alikafka_post-cn-emulator01"
  username                  = "orders-service"
  acl_resource_type         = "Topic"
  acl_resource_name         = "orders-"
  acl_resource_pattern_type = "PREFIXED"
  acl_operation_type        = "Write"
}

# ...and consume with its own group.
resource "alikafka_sasl_acl" "orders_group" {
  instance_id               = "alikafka_post-cn-emulator01"
  username                  = "orders-service"
  acl_resource_type         = "Group"
  acl_resource_name         = "orders-service"
  acl_resource_pattern_type = "LITERAL"
  acl_operation_type        = "Read"
}
