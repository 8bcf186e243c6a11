variable "topic_ids" {
  type    = list(string)
  default = ["alikafka_post-cn-emulator01:orders", "alikafka_post-cn-emulator01:payments"]
}

# The topic names, whatever instance they are on.
output "topic_names" {
  value = [for id in var.topic_ids : provider::alikafka::parse_topic_id(id).topic]
}
