# An ACL is imported by its fields joined with ":":
# "<instance_id>:<username>:<acl_resource_type>:<acl_resource_name>:<acl_resource_pattern_type>:<acl_operation_type>",
# followed by ":<acl_permission_type>:<host>" when those are not ALLOW and *.
terraform import alikafka_sasl_acl.orders_write alikafka_post-cn-emulator01:orders-service:Topic:orders-:PREFIXED:Write
