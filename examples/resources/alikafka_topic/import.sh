# A topic is imported by "<instance_id>:<topic>".
terraform import alikafka_topic.orders alikafka_post-cn-emulator01:orders
