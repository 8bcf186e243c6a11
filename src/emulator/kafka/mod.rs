//! The Kafka protocol side of the emulator: each instance listens for Kafka clients on a
//! loopback port of its own and serves the topics and consumer groups the management API
//! holds. One node per instance (node id [`NODE_ID`]), no replication, no transactions.
//!
//! Layout: [`listener`] binds and accepts; [`conn`] frames requests, decodes headers with
//! `kafka-protocol` and dispatches; [`versions`] is the table of what is advertised;
//! [`metadata`], [`produce`], [`fetch`], [`offsets`] and [`group_api`] answer the APIs, on
//! the partition logs in SQLite ([`crate::emulator::storage::kafka_log`]), the in-memory
//! group [`groups::Coordinator`] and the idempotent producer cache [`producers`];
//! [`security`] is where SASL authentication and ACLs plug in.

pub mod batch;
pub mod conn;
pub mod fetch;
pub mod group_api;
pub mod groups;
pub mod listener;
pub mod metadata;
pub mod offsets;
pub mod produce;
pub mod producers;
pub mod sasl;
pub mod security;
pub mod versions;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

pub use listener::{bind, start};

/// The node id of every instance's single broker.
pub const NODE_ID: i32 = 1;

/// Where an instance's Kafka listeners are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    /// PLAINTEXT (the service's default VPC endpoint, `EndPoint`).
    pub plaintext: SocketAddr,
    /// SASL_PLAINTEXT (`SaslEndPoint`), when configured.
    pub sasl_plaintext: Option<SocketAddr>,
}

/// Kafka state shared by the listeners and the management API (`App::kafka`).
pub struct KafkaState {
    pub groups: Arc<groups::Coordinator>,
    pub producers: Mutex<producers::ProducerStates>,
    /// Bumped after every append, so waiting fetches look again.
    appended: tokio::sync::watch::Sender<u64>,
    endpoints: RwLock<HashMap<String, Endpoints>>,
    bound: Mutex<Vec<listener::Bound>>,
}

impl Default for KafkaState {
    fn default() -> Self {
        KafkaState {
            groups: Arc::default(),
            producers: Mutex::default(),
            appended: tokio::sync::watch::channel(0).0,
            endpoints: RwLock::default(),
            bound: Mutex::default(),
        }
    }
}

impl KafkaState {
    /// The instance's listeners, once bound.
    pub fn endpoints(&self, instance_id: &str) -> Option<Endpoints> {
        self.endpoints
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(instance_id)
            .copied()
    }

    pub(crate) fn notify_appended(&self) {
        self.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn watch_appends(&self) -> tokio::sync::watch::Receiver<u64> {
        self.appended.subscribe()
    }

    /// Forgets groups and producers (the control API's reset).
    pub fn clear(&self) {
        self.groups.clear();
        self.producers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
