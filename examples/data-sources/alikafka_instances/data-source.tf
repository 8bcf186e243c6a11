data "alikafka_instances" "all" {
  name_regex = "^prod-"
}

output "first_instance_id" {
  value = data.alikafka_instances.all.ids[0]
}
