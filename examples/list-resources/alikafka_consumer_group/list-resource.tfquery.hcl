# terraform query: the consumer groups of an instance that carry the tag team = "billing".
list "alikafka_consumer_group" "billing" {
  provider = alikafka

  config {
    instance_id = "alikafka_post-cn-emulator01"
    tags        = { team = "billing" }
  }
}
