# A job in an ACK cluster with RRSA: the pod's service account is bound to a RAM role, and
# the RRSA webhook sets ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_ROLE_ARN and
# ALIBABA_CLOUD_OIDC_TOKEN_FILE (a token it rotates), plus the STS endpoint variables.
# The provider block needs nothing about credentials: those variables are enough.
terraform {
  required_providers {
    alikafka = {
      source  = "alikafka/alikafka"
      version = "~> 0.1"
    }
  }
}

provider "alikafka" {
  region = "cn-hangzhou"
}
