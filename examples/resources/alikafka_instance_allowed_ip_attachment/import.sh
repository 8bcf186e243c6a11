# An allowlist entry is imported by "<instance_id>:<allowed_type>:<port_range>:<allowed_ip>".
terraform import alikafka_instance_allowed_ip_attachment.orders_subnet alikafka_post-cn-emulator01:vpc:9094/9094:192.168.10.0/24
