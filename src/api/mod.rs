//! The alikafka management API client: signing, credentials, transport, retries, rate
//! limiting and typed actions. Knows nothing of Terraform.
