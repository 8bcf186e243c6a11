# The SASL users of one instance whose name ends in "-service" (never their passwords).
data "alikafka_sasl_users" "services" {
  instance_id = "alikafka_post-cn-emulator01"
  name_regex  = "-service$"
}

output "service_users" {
  value = { for u in data.alikafka_sasl_users.services.users : u.username => u.type }
}
