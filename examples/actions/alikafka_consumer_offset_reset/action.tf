# Replays the orders of the last day to billing-service: terraform apply
# -invoke=action.alikafka_consumer_offset_reset.replay_orders (with the consumers stopped).
action "alikafka_consumer_offset_reset" "replay_orders" {
  config {
    instance_id = "alikafka_post-cn-emulator01"
    consumer_id = "billing-service"
    topic       = "orders"
    timestamp   = timeadd(plantimestamp(), "-24h")
  }
}
