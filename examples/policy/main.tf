# Policy checks for one alikafka instance, meant to run as `terraform plan` in CI.
# Nothing here creates anything: the data sources read, the rules judge.
#   - Hard rules (output preconditions): a violation is an error and fails the plan.
#   - Soft signals (check blocks): a violation is a warning; the plan still succeeds.
# Credentials come from the environment (ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY or their
# ALIBABA_CLOUD_* twins) or from an aliyun CLI profile. See docs/guides/policy-checks.md.

terraform {
  # check blocks need Terraform 1.5 or later.
  required_version = ">= 1.5"

  required_providers {
    alikafka = {
      source  = "alikafka/alikafka"
      version = "~> 0.1"
    }
  }
}

provider "alikafka" {
  region   = var.region
  endpoint = var.endpoint
}

data "alikafka_topics" "all" {
  instance_id = var.instance_id
}

locals {
  topics_by_name = { for t in data.alikafka_topics.all.topics : t.topic => t }

  # Topics whose remark is empty or only blanks.
  topics_without_remark = sort([
    for t in data.alikafka_topics.all.topics : t.topic if try(trimspace(t.remark), "") == ""
  ])

  # Required topics that are missing (counted as 0 partitions) or have too few partitions.
  partition_shortfalls = sort([
    for name, minimum in var.min_partitions :
    format("%s has %d, needs %d", name, try(local.topics_by_name[name].partition_num, 0), minimum)
    if try(local.topics_by_name[name].partition_num, 0) < minimum
  ])
}

# Hard rule: every topic says what it carries.
output "topic_remarks" {
  description = "The remark of every topic of the instance."
  value       = { for t in data.alikafka_topics.all.topics : t.topic => t.remark }

  precondition {
    condition     = length(local.topics_without_remark) == 0
    error_message = "Every topic needs a non-empty remark; these have none: ${join(", ", local.topics_without_remark)}."
  }
}

# Hard rule: the topics the platform relies on exist with enough partitions.
output "topic_partitions" {
  description = "The partition count of every topic of the instance."
  value       = { for t in data.alikafka_topics.all.topics : t.topic => t.partition_num }

  precondition {
    condition     = length(local.partition_shortfalls) == 0
    error_message = "Topics below their minimum partition count: ${join("; ", local.partition_shortfalls)}."
  }
}

# Soft signal: consumer lag moves by the minute, so it warns instead of blocking a change.
# The data source is scoped to the check: if it fails (say, the group does not exist yet),
# that too is a warning.
check "consumer_lag" {
  data "alikafka_consumer_progress" "watched" {
    instance_id = var.instance_id
    consumer_id = var.consumer_id
  }

  assert {
    condition     = data.alikafka_consumer_progress.watched.total_diff < var.max_lag
    error_message = "Consumer group ${var.consumer_id} is ${data.alikafka_consumer_progress.watched.total_diff} messages behind (limit ${var.max_lag})."
  }
}
