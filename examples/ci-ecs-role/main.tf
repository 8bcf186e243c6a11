# A CI runner on an ECS instance with a RAM role attached: credentials come from the
# instance metadata service (hardened mode, with a session token), refreshed before they
# expire. A role assumed from there may narrow or widen what the runner can do.
terraform {
  required_providers {
    alikafka = {
      source  = "alikafka/alikafka"
      version = "~> 0.1"
    }
  }
}

provider "alikafka" {
  region        = "cn-hangzhou"
  ecs_role_name = "ci-runner"

  # Optional: assume another role with the instance's credentials.
  assume_role {
    role_arn     = "acs:ram::1000000000000000:role/kafka-admin"
    session_name = "ci-runner"
  }
}
