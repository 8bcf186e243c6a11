variable "instance_id" {
  description = "The instance the team's topics live on."
  type        = string
}

variable "team" {
  description = "The team's name: the prefix of its topics, its group and its SASL user."
  type        = string
}

variable "topics" {
  description = "The team's topics (without the team prefix), with their partition counts."
  type        = map(number)
}

variable "password" {
  description = "The password of the team's SASL user. Ephemeral and write-only: kept in no plan and no state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "password_version" {
  description = "Raise it to send a new password (a rotation)."
  type        = number
  default     = 1
}

variable "client_cidr" {
  description = "The VPC range the team's clients connect from."
  type        = string
}

variable "port_range" {
  description = "The endpoint the team's clients use: 9094/9094 is VPC SASL_PLAINTEXT."
  type        = string
  default     = "9094/9094"
}
