# Team tenancy: what a platform team gives one service team on a shared instance. Its
# topics, its consumer group, its SASL user and the ACLs that let that user write to the
# topics, read them and consume with the group, and the network range its clients
# connect from. Use it as a module, once per team (see README.md).
terraform {
  # The SASL password is write-only and ephemeral: Terraform 1.11 or later.
  required_version = ">= 1.11"
  required_providers {
    alikafka = {
      source = "alikafka/alikafka"
    }
  }
}
