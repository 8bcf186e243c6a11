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

# A second configuration, for a local alikafka-emulator. The keys are the emulator's public
# demo account: never write real credentials into a configuration.
provider "alikafka" {
  alias      = "emulator"
  region     = "cn-hangzhou"
  endpoint   = "http://127.0.0.1:9120"
  access_key = "emulator-demo-ak"
  secret_key = "emulator-demo-sk"

  # The service's own limits, shown explicitly; every alikafka_* call of the run shares them.
  requests_per_second              = 3
  create_topic_requests_per_second = 1
  max_retries                      = 5
  request_timeout                  = "10s"
}
