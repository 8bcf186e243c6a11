//! Where authentication and authorization plug into the Kafka listener.
//!
//! Every request passes [`Security::authorize`] with the connection's [`Principal`] before
//! it touches a topic, group or the cluster; a refusal is answered with the API's
//! `*_AUTHORIZATION_FAILED` code by the handler. PLAINTEXT connections are anonymous and
//! unchecked (the service's default endpoint); a SASL_PLAINTEXT connection
//! (`kafka_sasl_listen`, the service's `SaslEndPoint`) may use only ApiVersions,
//! SaslHandshake and SaslAuthenticate until it logs in as one of the management API's SASL
//! users ([`authenticate`], mechanisms in [`super::sasl`]); its requests are then checked
//! against that user's ACLs.

use super::sasl::{self, Mechanism, ScramServer};
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::access::{self, Acl};

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

/// The ACLs that apply to a SASL user (its own and those of user `*`), as the management
/// API holds them; loaded for every request so that CreateAcl/DeleteAcl apply at once.
/// PLAINTEXT connections are not checked (the service applies no ACLs there).
#[derive(Debug, Default, Clone)]
pub struct Security {
    pub acls: Vec<Acl>,
}

impl Security {
    /// Whether `principal` may do `operation` on `resource`: Kafka's rules over ALLOW
    /// entries (the only kind a reserved instance has): the resource type and operation
    /// match (Describe is implied by Read and Write; IdempotentWrite on the cluster by Write
    /// on any topic, as since Kafka 2.8), the name matches LITERAL (or `*`) or PREFIXED.
    /// Creating topics is never granted: with ACLs on, the service creates no topics
    /// automatically.
    pub fn authorize(
        &self,
        principal: &Principal,
        operation: Operation,
        resource: Resource<'_>,
    ) -> bool {
        match principal {
            Principal::Anonymous => true,
            Principal::User(_) => self.acls.iter().any(|acl| grants(acl, operation, resource)),
        }
    }
}

fn grants(acl: &Acl, operation: Operation, resource: Resource<'_>) -> bool {
    if !acl.permission_type.eq_ignore_ascii_case("ALLOW") {
        return false;
    }
    let op = acl.operation_type.to_ascii_lowercase().replace('_', "");
    let op_grants = |wanted: Operation| match wanted {
        Operation::Read => op == "read",
        Operation::Write => op == "write",
        Operation::Describe => matches!(op.as_str(), "describe" | "read" | "write"),
        Operation::IdempotentWrite => op == "idempotentwrite",
        Operation::Create => false,
    };
    let kind = acl.resource_type.to_ascii_lowercase();
    let name_matches = |name: &str| {
        if acl.pattern_type.eq_ignore_ascii_case("PREFIXED") {
            name.starts_with(acl.resource_name.as_str())
        } else {
            acl.resource_name == "*" || acl.resource_name == name
        }
    };
    match resource {
        Resource::Topic(name) => kind == "topic" && op_grants(operation) && name_matches(name),
        Resource::Group(name) => kind == "group" && op_grants(operation) && name_matches(name),
        Resource::Cluster => match operation {
            Operation::IdempotentWrite => {
                (kind == "cluster" && op_grants(operation)) || (kind == "topic" && op == "write")
            }
            _ => false,
        },
    }
}

/// A SASL exchange in progress on a connection.
pub enum SaslState {
    /// SaslHandshake chose the mechanism; nothing received yet.
    Chosen(Mechanism),
    /// SCRAM: the server's first message was sent.
    Scram(ScramServer),
}

/// What one SaslAuthenticate round produced.
pub enum Step {
    /// Send these bytes and wait for the client's next message.
    Continue(Vec<u8>),
    /// Logged in: send these bytes (empty for PLAIN).
    Done(Principal, Vec<u8>),
    /// Wrong user, password or message (no detail reaches the client or the log).
    Failed,
}

/// One SaslAuthenticate round on `instance_id`, against the management API's SASL users
/// (a `plain` user logs in with PLAIN, a `scram` user with either SCRAM mechanism).
pub async fn authenticate(
    app: &App,
    instance_id: &str,
    state: &mut Option<SaslState>,
    bytes: &[u8],
) -> Step {
    match state.take() {
        Some(SaslState::Chosen(Mechanism::Plain)) => {
            let Some((user, password)) = sasl::parse_plain(bytes) else {
                return Step::Failed;
            };
            match password_of(app, instance_id, &user, Mechanism::Plain).await {
                Some(stored) if stored == password => Step::Done(Principal::User(user), Vec::new()),
                _ => Step::Failed,
            }
        }
        Some(SaslState::Chosen(mechanism)) => match ScramServer::start(mechanism, bytes) {
            Some(server) => {
                let first = server.server_first().to_vec();
                *state = Some(SaslState::Scram(server));
                Step::Continue(first)
            }
            None => Step::Failed,
        },
        Some(SaslState::Scram(server)) => {
            let mechanism = if server.is_sha512() {
                Mechanism::ScramSha512
            } else {
                Mechanism::ScramSha256
            };
            let Some(password) = password_of(app, instance_id, &server.username, mechanism).await
            else {
                return Step::Failed;
            };
            match server.finish(bytes, &password) {
                Some(last) => Step::Done(Principal::User(server.username.clone()), last),
                None => Step::Failed,
            }
        }
        None => Step::Failed,
    }
}

/// The password of a live, visible user of the type `mechanism` logs in.
async fn password_of(
    app: &App,
    instance_id: &str,
    username: &str,
    mechanism: Mechanism,
) -> Option<String> {
    let (instance_id, username) = (instance_id.to_owned(), username.to_owned());
    app.db
        .run(move |conn| {
            Ok(access::users(conn, &instance_id, now_ms(), true)?
                .into_iter()
                .find(|u| {
                    u.username == username && u.user_type == mechanism.user_type() && !u.deleted
                })
                .map(|u| u.password))
        })
        .await
        .ok()
        .flatten()
}

/// The visible ACLs of `username` and of user `*`.
pub async fn acls_of(app: &App, instance_id: &str, username: &str) -> Vec<Acl> {
    let (instance_id, username) = (instance_id.to_owned(), username.to_owned());
    app.db
        .run(move |conn| {
            Ok(access::all_acls(conn, &instance_id, now_ms())?
                .into_iter()
                .filter(|r| r.visible && !r.deleted)
                .map(|r| r.acl)
                .filter(|acl| acl.username == username || acl.username == "*")
                .collect())
        })
        .await
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(kind: &str, name: &str, pattern: &str, op: &str) -> Acl {
        Acl {
            username: "alice".into(),
            resource_type: kind.into(),
            resource_name: name.into(),
            pattern_type: pattern.into(),
            operation_type: op.into(),
            permission_type: "ALLOW".into(),
            host: "*".into(),
        }
    }

    #[test]
    fn acls_grant_by_type_pattern_and_operation() {
        let user = Principal::User("alice".into());
        let security = Security {
            acls: vec![
                acl("Topic", "orders", "PREFIXED", "Write"),
                acl("Topic", "audit", "LITERAL", "Read"),
                acl("Group", "*", "LITERAL", "Read"),
            ],
        };
        let may = |op, res| security.authorize(&user, op, res);
        assert!(may(Operation::Write, Resource::Topic("orders-eu")));
        assert!(may(Operation::Describe, Resource::Topic("orders-eu")));
        assert!(!may(Operation::Read, Resource::Topic("orders-eu")));
        assert!(may(Operation::Read, Resource::Topic("audit")));
        assert!(!may(Operation::Read, Resource::Topic("audit-2")), "literal");
        assert!(!may(Operation::Write, Resource::Topic("audit")));
        assert!(may(Operation::Read, Resource::Group("anything")));
        assert!(may(Operation::IdempotentWrite, Resource::Cluster));
        assert!(!may(Operation::Create, Resource::Cluster));
        assert!(!Security::default().authorize(&user, Operation::Describe, Resource::Topic("x")));
        assert!(Security::default().authorize(
            &Principal::Anonymous,
            Operation::Write,
            Resource::Topic("x")
        ));
    }
}
