# terraform query: the topics of an instance whose names start with "orders-".
list "alikafka_topic" "orders" {
  provider = alikafka
  limit    = 1000

  config {
    instance_id = "alikafka_post-cn-emulator01"
    name_regex  = "^orders-"
  }
}
