//! SASL users and ACLs: CreateSaslUser, DeleteSaslUser, DescribeSaslUsers, CreateAcl,
//! DeleteAcl, DescribeAcls. Every emulated instance is a reserved (non-serverless) one:
//! parameters the SDK documents as serverless-only are accepted where their value is what
//! a reserved instance does anyway (`AclPermissionType=ALLOW`, `Host=*`; `Mechanism` is
//! checked, then not kept) and refused where it would change the meaning (`DENY`, one
//! host, `AclOperationTypes`, `IDEMPOTENT_WRITE`, `DESCRIBE_CONFIGS`): a reserved instance
//! cannot enforce them, and an ACL silently broader than asked for is a security hole.

use std::sync::Arc;

use super::{caller_instance, require_running};
use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::access::{self, Acl};
use crate::emulator::storage::{groups, topics};

type Fields = Vec<(&'static str, Node)>;

const NAME_MAX: usize = 64;
const PASSWORD_MAX: usize = 64;
const USER_TYPES: [&str; 2] = ["plain", "scram"];
const MECHANISMS: [&str; 2] = ["SCRAM-SHA-512", "SCRAM-SHA-256"];
const RESOURCE_TYPES: [&str; 4] = ["Topic", "Group", "Cluster", "TransactionalId"];
const PATTERN_TYPES: [&str; 2] = ["LITERAL", "PREFIXED"];
const OPERATIONS: [&str; 4] = ["Write", "Read", "Describe", "IdempotentWrite"];
const SERVERLESS_OPERATIONS: [&str; 2] = ["IDEMPOTENT_WRITE", "DESCRIBE_CONFIGS"];
const PERMISSIONS: [&str; 2] = ["ALLOW", "DENY"];
/// What an ACL of a reserved instance is: allowing, from any host.
const ALLOW: &str = "ALLOW";
const ANY_HOST: &str = "*";

fn serverless_only(field: &str, value: &str) -> ApiError {
    ApiError::field_invalid(
        field,
        &format!("{value:?} is only available on serverless instances"),
    )
}

/// A SASL username: 1-64 of letters, digits and `_ - . @` (unconfirmed: the SDK documents
/// no rule; the alicloud provider checks 1-64 characters).
fn username(p: &Params<'_>) -> Result<String, ApiError> {
    let raw = p.required("Username")?;
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "_-.@".contains(c);
    if raw.chars().count() > NAME_MAX || !raw.chars().all(ok_char) {
        return Err(ApiError::field_invalid(
            "Username",
            "the value must be 1 to 64 letters, digits, \"_\", \"-\", \".\" or \"@\"",
        ));
    }
    Ok(raw.to_owned())
}

/// `Type`: plain (the default) or scram, any case; LDAP belongs to Confluent instances.
fn user_type(p: &Params<'_>) -> Result<&'static str, ApiError> {
    let Some(raw) = p.optional("Type") else {
        return Ok(USER_TYPES[0]);
    };
    if raw.eq_ignore_ascii_case("ldap") {
        return Err(ApiError::field_invalid(
            "Type",
            "LDAP users exist only on ApsaraMQ for Confluent instances",
        ));
    }
    USER_TYPES
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(raw))
        .ok_or_else(|| ApiError::invalid_parameter("Type"))
}

fn check_mechanism(p: &Params<'_>) -> Result<(), ApiError> {
    match p.optional("Mechanism") {
        Some(m) if !MECHANISMS.contains(&m) => Err(ApiError::invalid_parameter("Mechanism")),
        _ => Ok(()),
    }
}

/// CreateSaslUser: creates the user, or sets the password of the existing user of that
/// name and type.
pub async fn create_user(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let name = username(p)?;
    let password = p.required("Password")?.to_owned();
    if password.chars().count() > PASSWORD_MAX || password.chars().any(char::is_control) {
        return Err(ApiError::field_invalid(
            "Password",
            "the value must be 1 to 64 characters without control characters",
        ));
    }
    let kind = user_type(p)?;
    check_mechanism(p)?;
    require_running(instance)?;
    let instance_id = instance.id().to_owned();
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            crate::emulator::storage::purge_gone(&tx, &instance_id, now)?;
            access::put_user(
                &tx,
                &instance_id,
                &name,
                kind,
                &password,
                now,
                now.saturating_add(delay),
            )?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

/// DeleteSaslUser: deleting a user that does not exist changes nothing and succeeds
/// (unconfirmed: the SDK documents no error for it).
pub async fn delete_user(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let name = username(p)?;
    let kind = user_type(p)?;
    check_mechanism(p)?;
    require_running(instance)?;
    let instance_id = instance.id().to_owned();
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            if let Some(id) = access::live_user(&tx, &instance_id, &name, kind)? {
                access::delete_user(&tx, id, now, now.saturating_add(delay))?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

/// DescribeSaslUsers: every visible user with its password, as the service answers.
pub async fn describe_users(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let instance_id = instance.id().to_owned();
    let users = app
        .db
        .run(move |conn| Ok(access::users(conn, &instance_id, now_ms(), true)?))
        .await?;
    let items = users
        .into_iter()
        .map(|u| {
            Node::Obj(vec![
                ("Username", Node::Str(u.username)),
                ("Password", Node::Str(u.password)),
                ("Type", Node::Str(u.user_type)),
            ])
        })
        .collect();
    Ok(vec![(
        "SaslUserList",
        Node::Obj(vec![("SaslUserVO", Node::List(items))]),
    )])
}

fn one_of(p: &Params<'_>, name: &str, values: &[&'static str]) -> Result<&'static str, ApiError> {
    let raw = p.required(name)?;
    values
        .iter()
        .copied()
        .find(|v| *v == raw)
        .ok_or_else(|| ApiError::invalid_parameter(name))
}

fn acl_username(p: &Params<'_>) -> Result<String, ApiError> {
    if p.optional("Username") == Some(ANY_HOST) {
        return Ok(ANY_HOST.to_owned());
    }
    username(p)
}

fn resource_name(p: &Params<'_>) -> Result<String, ApiError> {
    let raw = p.required("AclResourceName")?;
    if raw.chars().count() > NAME_MAX || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::field_invalid(
            "AclResourceName",
            "the value must be 1 to 64 characters without spaces",
        ));
    }
    Ok(raw.to_owned())
}

/// The operations each resource type takes: Topic Read/Write, Group Read, Cluster
/// IdempotentWrite, TransactionalId Describe/Write (unconfirmed: the SDK only says
/// "Describe: read TransactionalId" and "IdempotentWrite: idempotent write to Cluster").
fn operation_fits(resource_type: &str, operation: &str) -> bool {
    matches!(
        (resource_type, operation),
        ("Topic", "Read" | "Write")
            | ("Group", "Read")
            | ("Cluster", "IdempotentWrite")
            | ("TransactionalId", "Describe" | "Write")
    )
}

/// The operation type, checked; serverless-only spellings are refused (see the module).
fn operation(p: &Params<'_>, required: bool) -> Result<Option<&'static str>, ApiError> {
    let Some(raw) = p.optional("AclOperationType") else {
        return if required {
            Err(ApiError::missing_parameter("AclOperationType"))
        } else {
            Ok(None)
        };
    };
    if let Some(op) = SERVERLESS_OPERATIONS.iter().find(|o| **o == raw) {
        return Err(serverless_only("AclOperationType", op));
    }
    OPERATIONS
        .iter()
        .copied()
        .find(|o| *o == raw)
        .map(Some)
        .ok_or_else(|| ApiError::invalid_parameter("AclOperationType"))
}

/// `AclPermissionType` and `Host` on a reserved instance: only ALLOW and `*`.
fn permission_and_host(
    p: &Params<'_>,
) -> Result<(Option<&'static str>, Option<&'static str>), ApiError> {
    let permission = match p.optional("AclPermissionType") {
        None => None,
        Some(raw) => {
            let value = PERMISSIONS
                .iter()
                .copied()
                .find(|v| *v == raw)
                .ok_or_else(|| ApiError::invalid_parameter("AclPermissionType"))?;
            if value != ALLOW {
                return Err(serverless_only("AclPermissionType", value));
            }
            Some(ALLOW)
        }
    };
    let host = match p.optional("Host") {
        None => None,
        Some(ANY_HOST) => Some(ANY_HOST),
        Some(other) => {
            if other.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(ApiError::invalid_parameter("Host"));
            }
            return Err(serverless_only("Host", other));
        }
    };
    Ok((permission, host))
}

/// Every field of the ACL CreateAcl or DeleteAcl names.
fn acl_of(p: &Params<'_>) -> Result<Acl, ApiError> {
    let username = acl_username(p)?;
    let resource_type = one_of(p, "AclResourceType", &RESOURCE_TYPES)?;
    let resource_name = resource_name(p)?;
    let pattern_type = one_of(p, "AclResourcePatternType", &PATTERN_TYPES)?;
    let operation = operation(p, true)?.unwrap_or(OPERATIONS[0]);
    if p.optional("AclOperationTypes").is_some() {
        return Err(serverless_only("AclOperationTypes", "AclOperationTypes"));
    }
    if !operation_fits(resource_type, operation) {
        return Err(ApiError::field_invalid(
            "AclOperationType",
            &format!("{operation} does not apply to resource type {resource_type}"),
        ));
    }
    permission_and_host(p)?;
    Ok(Acl {
        username,
        resource_type: resource_type.to_owned(),
        resource_name,
        pattern_type: pattern_type.to_owned(),
        operation_type: operation.to_owned(),
        permission_type: ALLOW.to_owned(),
        host: ANY_HOST.to_owned(),
    })
}

/// A literal ACL on one topic or group needs it to be listed: topics answer
/// `BIZ_TOPIC_NOT_FOUND`, groups `BIZ_FIND_CONSUMER_GROUP_INFO_ERROR` (what users of the
/// service see right after creating a group).
fn require_named_resource(
    conn: &rusqlite::Connection,
    instance_id: &str,
    acl: &Acl,
    now: i64,
    group_error: fn(&str) -> ApiError,
) -> Result<(), ApiError> {
    if acl.resource_name == ANY_HOST || acl.pattern_type != "LITERAL" {
        return Ok(());
    }
    match acl.resource_type.as_str() {
        "Topic" => {
            topics::find(conn, instance_id, &acl.resource_name, now)?
                .filter(|t| t.is_visible(now) && !t.is_deleted())
                .ok_or_else(|| ApiError::topic_not_found(&acl.resource_name))?;
        }
        "Group" => {
            groups::find(conn, instance_id, &acl.resource_name, now)?
                .filter(|g| g.is_visible(now) && !g.is_deleted())
                .ok_or_else(|| group_error(&acl.resource_name))?;
        }
        _ => {}
    }
    Ok(())
}

/// CreateAcl: the same ACL twice is one ACL (the second call changes nothing).
pub async fn create_acl(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let acl = acl_of(p)?;
    require_running(instance)?;
    let instance_id = instance.id().to_owned();
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            crate::emulator::storage::purge_gone(&tx, &instance_id, now)?;
            require_named_resource(&tx, &instance_id, &acl, now, ApiError::group_info_not_found)?;
            if access::live_acl(&tx, &instance_id, &acl)?.is_none() {
                access::insert_acl(&tx, &instance_id, &acl, now, now.saturating_add(delay))?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

/// DeleteAcl: the ACL with exactly these fields; none is no change (unconfirmed).
pub async fn delete_acl(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let acl = acl_of(p)?;
    require_running(instance)?;
    let instance_id = instance.id().to_owned();
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            if let Some(id) = access::live_acl(&tx, &instance_id, &acl)? {
                access::delete_acl(&tx, id, now, now.saturating_add(delay))?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

/// DescribeAcls: the visible ACLs of exactly this user and resource name, narrowed by the
/// optional fields. A literal topic or group name must exist.
pub async fn describe_acls(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let username = acl_username(p)?;
    let resource_type = one_of(p, "AclResourceType", &RESOURCE_TYPES)?;
    let resource_name = resource_name(p)?;
    let pattern_type = match p.optional("AclResourcePatternType") {
        None => None,
        Some(_) => Some(one_of(p, "AclResourcePatternType", &PATTERN_TYPES)?),
    };
    let operation = operation(p, false)?;
    permission_and_host(p)?;
    let instance_id = instance.id().to_owned();
    let acls = app
        .db
        .run(move |conn| {
            let now = now_ms();
            let probe = Acl {
                username: username.clone(),
                resource_type: resource_type.to_owned(),
                resource_name: resource_name.clone(),
                pattern_type: pattern_type.unwrap_or("LITERAL").to_owned(),
                operation_type: String::new(),
                permission_type: String::new(),
                host: String::new(),
            };
            require_named_resource(
                conn,
                &instance_id,
                &probe,
                now,
                ApiError::subscription_not_found,
            )?;
            let all = access::visible_acls_of(
                conn,
                &instance_id,
                now,
                &username,
                resource_type,
                &resource_name,
            )?;
            Ok(all
                .into_iter()
                .filter(|a| pattern_type.is_none_or(|pt| a.pattern_type == pt))
                .filter(|a| operation.is_none_or(|op| a.operation_type == op))
                .collect::<Vec<_>>())
        })
        .await?;
    let items = acls
        .into_iter()
        .map(|a| {
            Node::Obj(vec![
                ("AclOperationType", Node::Str(a.operation_type)),
                ("AclPermissionType", Node::Str(a.permission_type)),
                ("AclResourceName", Node::Str(a.resource_name)),
                ("AclResourcePatternType", Node::Str(a.pattern_type)),
                ("AclResourceType", Node::Str(a.resource_type)),
                ("Host", Node::Str(a.host)),
                ("Username", Node::Str(a.username)),
            ])
        })
        .collect();
    Ok(vec![(
        "KafkaAclList",
        Node::Obj(vec![("KafkaAclVO", Node::List(items))]),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_fit_their_resource_types() {
        assert!(operation_fits("Topic", "Write"));
        assert!(operation_fits("Group", "Read"));
        assert!(!operation_fits("Group", "Write"));
        assert!(operation_fits("Cluster", "IdempotentWrite"));
        assert!(!operation_fits("Topic", "IdempotentWrite"));
        assert!(operation_fits("TransactionalId", "Describe"));
    }
}
