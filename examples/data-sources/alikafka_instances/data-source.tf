# Instances of the provider's region whose name starts with "prod-".
data "alikafka_instances" "prod" {
  name_regex = "^prod-"
}

output "prod_instances" {
  value = { for i in data.alikafka_instances.prod.instances : i.id => i.name }
}

output "prod_bootstrap_servers" {
  value = [for i in data.alikafka_instances.prod.instances : i.end_point]
}
