# Quickstart: a few topics and a consumer group on the emulator's demo instance.
# `bash scripts/demo.sh` runs this against a fresh local alikafka-emulator.

terraform {
  required_providers {
    alikafka = {
      source = "alikafka/alikafka"
    }
  }
}

variable "endpoint" {
  description = "The alikafka API endpoint; the emulator's by default."
  type        = string
  default     = "http://127.0.0.1:9120"
}

provider "alikafka" {
  region     = "cn-hangzhou"
  endpoint   = var.endpoint
  access_key = "emulator-demo-ak"
  secret_key = "emulator-demo-sk"
}

data "alikafka_instances" "demo" {
  name_regex = "emulator"
}

locals {
  instance_id = data.alikafka_instances.demo.ids[0]
  topics = {
    "orders"   = { partitions = 12, remark = "Orders placed by the web shop" }
    "payments" = { partitions = 6, remark = "Payment events" }
    "audit"    = { partitions = 3, remark = "Audit trail" }
  }
}

resource "alikafka_topic" "this" {
  for_each = local.topics

  instance_id   = local.instance_id
  topic         = each.key
  remark        = each.value.remark
  partition_num = each.value.partitions
}

resource "alikafka_consumer_group" "billing" {
  instance_id = local.instance_id
  consumer_id = "billing-service"
  remark      = "Reads orders and payments"
}

output "instance" {
  value = {
    id     = local.instance_id
    name   = data.alikafka_instances.demo.names[0]
    region = data.alikafka_instances.demo.instances[0].region_id
  }
}

output "topics" {
  value = { for name, t in alikafka_topic.this : name => "${t.id} (${t.partition_num} partitions, ${t.status_name})" }
}

output "consumer_group" {
  value = alikafka_consumer_group.billing.id
}

# The instance's Kafka endpoint: what a producer or consumer puts in bootstrap.servers.
output "bootstrap_servers" {
  value = data.alikafka_instances.demo.instances[0].end_point
}
