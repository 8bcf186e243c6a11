# terraform query: the SASL users of an instance whose name starts with "app-".
list "alikafka_sasl_user" "apps" {
  provider = alikafka

  config {
    instance_id = "alikafka_post-cn-emulator01"
    name_regex  = "^app-"
  }
}
