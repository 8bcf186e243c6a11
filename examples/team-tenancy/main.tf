locals {
  prefix = "${var.team}-"
}

resource "alikafka_topic" "team" {
  for_each      = var.topics
  instance_id   = var.instance_id
  topic         = "${local.prefix}${each.key}"
  remark        = "Topic of team ${var.team}"
  partition_num = each.value
}

resource "alikafka_consumer_group" "team" {
  instance_id = var.instance_id
  consumer_id = "${local.prefix}consumers"
  remark      = "Consumers of team ${var.team}"
}

resource "alikafka_sasl_user" "team" {
  instance_id         = var.instance_id
  username            = var.team
  type                = "scram"
  password_wo         = var.password
  password_wo_version = var.password_version
}

# Write to each of its topics, by name.
resource "alikafka_sasl_acl" "write" {
  for_each                  = alikafka_topic.team
  instance_id               = var.instance_id
  username                  = alikafka_sasl_user.team.username
  acl_resource_type         = "Topic"
  acl_resource_name         = each.value.topic
  acl_resource_pattern_type = "LITERAL"
  acl_operation_type        = "Write"
}

# Read every topic of the team, including ones added later.
resource "alikafka_sasl_acl" "read" {
  instance_id               = var.instance_id
  username                  = alikafka_sasl_user.team.username
  acl_resource_type         = "Topic"
  acl_resource_name         = local.prefix
  acl_resource_pattern_type = "PREFIXED"
  acl_operation_type        = "Read"
}

# Consume with its own group.
resource "alikafka_sasl_acl" "group" {
  instance_id               = var.instance_id
  username                  = alikafka_sasl_user.team.username
  acl_resource_type         = "Group"
  acl_resource_name         = alikafka_consumer_group.team.consumer_id
  acl_resource_pattern_type = "LITERAL"
  acl_operation_type        = "Read"
}

resource "alikafka_instance_allowed_ip_attachment" "clients" {
  instance_id  = var.instance_id
  allowed_type = "vpc"
  port_range   = var.port_range
  allowed_ip   = var.client_cidr
  description  = "Clients of team ${var.team}"
}
