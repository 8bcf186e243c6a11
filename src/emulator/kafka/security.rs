//! Where authentication and authorization plug into the Kafka listener.
//!
//! Every request passes [`Security::authorize`] with the connection's [`Principal`] before
//! it touches a topic, group or the cluster; a refusal is answered with the API's
//! `*_AUTHORIZATION_FAILED` code by the handler. Phase 1 listens on PLAINTEXT only, where
//! the service checks no ACLs ([`Security::allows_all`] on an anonymous principal).
//!
//! The SASL_PLAINTEXT listener (`kafka_sasl_listen`, the service's `SaslEndPoint`) needs
//! [`Security::authenticate`] backed by the management API's SASL users and `authorize`
//! by its ACLs: [`super::conn`] already refuses every API but ApiVersions, SaslHandshake
//! and SaslAuthenticate before a SASL connection has authenticated.

use std::net::SocketAddr;

/// How a listener's connections are secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    SaslPlaintext,
}

/// Who a connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A PLAINTEXT connection: the service applies no ACLs on its default endpoint.
    Anonymous,
    /// A SASL user of the instance.
    User(String),
}

/// What a request does, for ACL checks (the service's AclOperationType values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    Write,
    Describe,
    IdempotentWrite,
    Create,
}

/// What a request touches (the service's AclResourceType values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    Topic(&'a str),
    Group(&'a str),
    Cluster,
}

/// A failed SASL login.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("authentication failed: invalid username or password")]
pub struct AuthenticationFailed;

/// The phase-1 policy: PLAINTEXT only, everything allowed, no SASL users.
#[derive(Debug, Default, Clone, Copy)]
pub struct Security;

impl Security {
    /// The SASL mechanisms offered in SaslHandshake.
    pub fn mechanisms(&self) -> &'static [&'static str] {
        &["PLAIN"]
    }

    /// Checks a SASL login on `instance_id`. Phase 1 holds no SASL users.
    pub fn authenticate(
        &self,
        _instance_id: &str,
        _mechanism: &str,
        _auth_bytes: &[u8],
        _peer: SocketAddr,
    ) -> Result<Principal, AuthenticationFailed> {
        Err(AuthenticationFailed)
    }

    /// Whether `principal` may do `operation` on `resource` of `instance_id`.
    pub fn authorize(
        &self,
        _instance_id: &str,
        principal: &Principal,
        _operation: Operation,
        _resource: Resource<'_>,
    ) -> bool {
        self.allows_all(principal)
    }

    fn allows_all(&self, principal: &Principal) -> bool {
        matches!(principal, Principal::Anonymous)
    }
}
