# A SASL user is imported by "<instance_id>:<username>", or "<instance_id>:<username>:<type>"
# when users of both types share the name.
terraform import alikafka_sasl_user.orders_service alikafka_post-cn-emulator01:orders-service
