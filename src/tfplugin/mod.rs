//! The Terraform plugin protocol 6 layer: handshake, mTLS, gRPC services, cty values,
//! schemas, diagnostics, logging, and a small framework that makes a resource a short
//! declarative type. Knows nothing of Alibaba.

pub mod cty;
pub mod diagnostics;
pub mod framework;
pub mod handshake;
pub mod logging;
pub mod proto;
pub mod schema;
pub mod server;
pub mod service;
pub mod tls;
