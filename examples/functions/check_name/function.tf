variable "topic" {
  type = string

  validation {
    condition     = provider::alikafka::check_name(var.topic).valid
    error_message = "The topic name is refused: ${provider::alikafka::check_name(var.topic).reason}"
  }
}
