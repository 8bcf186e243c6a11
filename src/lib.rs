//! terraform-provider-alikafka: a Terraform provider (plugin protocol 6) for Alibaba Cloud
//! Message Queue for Apache Kafka, and `alikafka-emulator`, a local stand-in for its API.
//!
//! Layers, each knowing only what it must:
//! - [`tfplugin`]: the Terraform plugin protocol (handshake, mTLS, gRPC, cty values, schemas).
//! - [`api`]: the alikafka management API client (signing, credentials, retries, rate limits).
//! - [`provider`]: the provider itself, the only place where the two meet.
//! - [`emulator`]: the local alikafka management API.

pub mod api;
pub mod emulator;
pub mod provider;
pub mod tfplugin;
