terraform {
  required_providers {
    alikafka = {
      source  = "alikafka/alikafka"
      version = "~> 0.1"
    }
  }
}

# Credentials and region come from the environment (ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY,
# ALICLOUD_REGION, or their ALIBABA_CLOUD_* twins) or from an aliyun CLI profile.
provider "alikafka" {
  region  = "cn-hangzhou"
  profile = "default"
}
