# A consumer group is imported by "<instance_id>:<consumer_id>".
terraform import alikafka_consumer_group.billing alikafka_post-cn-emulator01:billing-service
