# terraform query: every allowlist entry of an instance in 192.168.0.0/16.
list "alikafka_instance_allowed_ip_attachment" "office" {
  provider = alikafka

  config {
    instance_id = "alikafka_post-cn-emulator01"
    name_regex  = "^192\\.168\\."
  }
}
