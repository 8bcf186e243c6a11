variable "region" {
  description = "Region of the instance to check."
  type        = string
  default     = "cn-hangzhou"
}

variable "endpoint" {
  description = "alikafka API endpoint. null means the region's public endpoint (or ALIBABA_CLOUD_ENDPOINT_ALIKAFKA); set it to an alikafka-emulator URL to check against the emulator."
  type        = string
  default     = null
}

variable "instance_id" {
  description = "The instance whose topics and consumer group are checked."
  type        = string
  default     = "alikafka_post-cn-emulator01"
}

variable "consumer_id" {
  description = "The consumer group whose lag is watched."
  type        = string
  default     = "billing-service"
}

variable "max_lag" {
  description = "Largest acceptable lag of the consumer group, in messages over all its topics."
  type        = number
  default     = 1000

  validation {
    condition     = var.max_lag >= 0
    error_message = "The max_lag variable must be zero or more."
  }
}

variable "min_partitions" {
  description = "Topics that must exist, with the smallest acceptable partition count of each."
  type        = map(number)
  default = {
    orders = 12
  }
}
