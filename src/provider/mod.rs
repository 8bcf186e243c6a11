//! The alikafka Terraform provider: configuration, resources and data sources.
//! The only place where the protocol layer and the API client meet.
pub mod names;
pub mod shared_list;
