//! What the access resources (SASL users, ACLs, allowlist entries) and their data sources
//! share: how each object is named within its instance ([`ObjectKey::name`], also the
//! tail of its ID), the import IDs, and the plan-time checks of the values the API
//! documents.
//!
//! IDs join fields with `:`, as the alicloud provider's do. No field can hold a `:` but an
//! ACL's resource name (a transactional ID may), so ACL IDs are read from both ends.

use std::net::Ipv4Addr;

use super::lifecycle::ObjectKey;
use crate::api::{
    AclOperation, AclPatternType, AclPermission, AclResourceType, AllowedListType, SCRAM_MECHANISMS,
};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;

const SEPARATOR: char = ':';
/// `*`: every user, every resource of a type, or every host.
pub const ANY: &str = "*";
/// What an ACL is when the serverless-only fields are left out: allowing, from any host.
pub const DEFAULT_PERMISSION: AclPermission = AclPermission::Allow;
/// Characters of a username, password or ACL resource name (the limit the alicloud
/// provider checks; the SDK documents none).
pub const MAX_LEN: usize = 64;
/// Characters of an allowlist entry's description (unconfirmed: the SDK documents none).
pub const MAX_DESCRIPTION_LEN: usize = 256;

/// The SASL user types the resource manages, as the API spells them (`LDAP` belongs to
/// Confluent instances).
pub const USER_TYPES: [&str; 2] = ["plain", "scram"];

fn expect_str(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got a {}", value.kind_name()))
}

/// 1 to [`MAX_LEN`] characters, none of them a control character, a space or `:`.
fn check_name(raw: &str) -> Result<(), String> {
    let len = raw.chars().count();
    if len == 0 || len > MAX_LEN {
        return Err(format!("must be 1 to {MAX_LEN} characters long, got {len}"));
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || *c == SEPARATOR)
    {
        return Err(format!(
            "must not contain spaces, control characters or ':', found {bad:?}"
        ));
    }
    Ok(())
}

/// Validator: a SASL username (`*` is reserved: in ACLs it means every user).
pub fn username(value: &Value) -> Result<(), String> {
    let raw = expect_str(value)?;
    if raw == ANY {
        return Err("must name one user: \"*\" means every user in ACLs".to_string());
    }
    check_name(raw)
}

/// Validator: the user an ACL is for, or `*` for every user.
pub fn acl_username(value: &Value) -> Result<(), String> {
    match expect_str(value)? {
        ANY => Ok(()),
        raw => check_name(raw),
    }
}

/// Validator: a SASL password. The message never shows the value.
pub fn password(value: &Value) -> Result<(), String> {
    let raw = expect_str(value)?;
    let len = raw.chars().count();
    if len == 0 || len > MAX_LEN {
        return Err(format!("must be 1 to {MAX_LEN} characters long, got {len}"));
    }
    if raw.chars().any(char::is_control) {
        return Err("must not contain control characters".to_string());
    }
    Ok(())
}

/// Validator: a SCRAM mechanism.
pub fn mechanism(value: &Value) -> Result<(), String> {
    let raw = expect_str(value)?;
    if SCRAM_MECHANISMS.contains(&raw) {
        Ok(())
    } else {
        Err(format!("must be one of {}", quoted(&SCRAM_MECHANISMS)))
    }
}

/// Validator: an ACL's resource name (a topic, group, cluster or transactional ID), or
/// `*` for every resource of its type. Any `:` it holds stays unambiguous in the ID.
pub fn resource_name(value: &Value) -> Result<(), String> {
    let raw = expect_str(value)?;
    let len = raw.chars().count();
    if len == 0 || len > MAX_LEN {
        return Err(format!("must be 1 to {MAX_LEN} characters long, got {len}"));
    }
    match raw.chars().find(|c| c.is_control() || c.is_whitespace()) {
        Some(bad) => Err(format!(
            "must not contain spaces or control characters, found {bad:?}"
        )),
        None => Ok(()),
    }
}

/// Validator: an ACL's host, one IPv4 address or `*` (the API takes no CIDR block here).
pub fn acl_host(value: &Value) -> Result<(), String> {
    match expect_str(value)? {
        ANY => Ok(()),
        raw if raw.parse::<Ipv4Addr>().is_ok() => Ok(()),
        _ => Err(
            "must be one IPv4 address, such as \"192.168.0.10\", or \"*\" for every host \
             (the service takes no CIDR block for an ACL)"
                .to_string(),
        ),
    }
}

/// Validator: an allowlist entry, an IPv4 address or CIDR block in the form the service
/// lists (no leading zeros, no host bits under the prefix), so that it reads back as
/// written.
pub fn allowed_ip(value: &Value) -> Result<(), String> {
    let raw = expect_str(value)?;
    let form = "must be an IPv4 address such as \"192.168.0.10\" or a CIDR block such as \
                \"192.168.0.0/16\"";
    let (address, prefix) = match raw.split_once('/') {
        None => (raw, None),
        Some((address, prefix)) => {
            let bits = prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= 32 && prefix == p.to_string());
            match bits {
                Some(bits) => (address, Some(bits)),
                None => return Err(format!("{form}: the prefix length is 0 to 32")),
            }
        }
    };
    let Ok(ip) = address.parse::<Ipv4Addr>() else {
        return Err(format!("{form}, got {raw:?}"));
    };
    if let Some(bits) = prefix {
        let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
        let network = Ipv4Addr::from(u32::from(ip) & mask);
        if network != ip {
            return Err(format!(
                "has bits set below its /{bits} prefix: write \"{network}/{bits}\", the block \
                 it stands for"
            ));
        }
    }
    Ok(())
}

/// Validator: a description of at most [`MAX_DESCRIPTION_LEN`] characters.
pub fn description(value: &Value) -> Result<(), String> {
    let raw = expect_str(value)?;
    let len = raw.chars().count();
    if len > MAX_DESCRIPTION_LEN {
        return Err(format!(
            "must be at most {MAX_DESCRIPTION_LEN} characters long, got {len}"
        ));
    }
    match raw.chars().find(|c| c.is_control()) {
        Some(bad) => Err(format!(
            "must not contain control characters, found {bad:?}"
        )),
        None => Ok(()),
    }
}

/// `"a", "b"`, for messages and docs.
pub fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for an import ID not in one of `forms`.
pub fn invalid_import_id(raw: &str, forms: &[&str], why: &str) -> Diagnostics {
    let forms: Vec<String> = forms.iter().map(|f| format!("\"{f}\"")).collect();
    Diagnostics::error(
        "Invalid import ID",
        format!(
            "The import ID {raw:?} is not of the form {}: {why}.",
            forms.join(" or ")
        ),
    )
}

/// Splits `<instance_id>:<rest>`, the instance ID being non-empty.
fn instance_and_rest(raw: &str) -> Option<(&str, &str)> {
    raw.split_once(SEPARATOR)
        .filter(|(instance, rest)| !instance.trim().is_empty() && !rest.is_empty())
}

// ---------------------------------------------------------------------------------------
// SASL users
// ---------------------------------------------------------------------------------------

/// A SASL user within its instance: the service keeps users of one name apart by type
/// (and, on serverless instances, by mechanism).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserKey {
    pub username: String,
    /// `None` when not known yet (an import that gave none).
    pub user_type: Option<String>,
    pub mechanism: Option<String>,
}

impl UserKey {
    pub const IMPORT_FORMS: [&'static str; 2] = [
        "<instance_id>:<username>",
        "<instance_id>:<username>:<type>",
    ];

    /// The key's [`ObjectKey::name`]: `username[:type[:mechanism]]`.
    pub fn name(&self) -> String {
        let mut name = self.username.clone();
        if let Some(t) = &self.user_type {
            name.push(SEPARATOR);
            name.push_str(t);
            if let Some(m) = &self.mechanism {
                name.push(SEPARATOR);
                name.push_str(m);
            }
        }
        name
    }

    pub fn parse(name: &str) -> UserKey {
        let mut parts = name.splitn(3, SEPARATOR);
        UserKey {
            username: parts.next().unwrap_or_default().to_string(),
            user_type: parts.next().map(str::to_string),
            mechanism: parts.next().map(str::to_string),
        }
    }

    /// Whether a listed user is this one. A service that lists no type lists plain users
    /// (its default); a mechanism counts only where both sides have one.
    pub fn matches(&self, username: &str, user_type: &str, mechanism: Option<&str>) -> bool {
        let listed_type = if user_type.is_empty() {
            USER_TYPES[0]
        } else {
            user_type
        };
        username == self.username
            && self
                .user_type
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case(listed_type))
            && match (self.mechanism.as_deref(), mechanism) {
                (Some(mine), Some(listed)) => mine.eq_ignore_ascii_case(listed),
                _ => true,
            }
    }

    /// Reads `<instance_id>:<username>[:<type>]`.
    pub fn parse_import_id(raw: &str) -> Result<(String, UserKey), Diagnostics> {
        let invalid = |why: &str| invalid_import_id(raw, &Self::IMPORT_FORMS, why);
        let (instance, rest) = instance_and_rest(raw)
            .ok_or_else(|| invalid("it needs the instance ID, then the username"))?;
        let (username, user_type) = match rest.split_once(SEPARATOR) {
            None => (rest, None),
            Some((username, t)) => {
                let t = USER_TYPES
                    .into_iter()
                    .find(|known| known.eq_ignore_ascii_case(t))
                    .ok_or_else(|| {
                        invalid(&format!("the type is one of {}", quoted(&USER_TYPES)))
                    })?;
                (username, Some(t.to_string()))
            }
        };
        check_name(username).map_err(|e| invalid(&format!("the username {e}")))?;
        Ok((
            instance.to_string(),
            UserKey {
                username: username.to_string(),
                user_type,
                mechanism: None,
            },
        ))
    }
}

// ---------------------------------------------------------------------------------------
// ACLs
// ---------------------------------------------------------------------------------------

/// Every field of an ACL but its instance: what CreateAcl and DeleteAcl name it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclKey {
    pub username: String,
    pub resource_type: AclResourceType,
    pub resource_name: String,
    pub pattern_type: AclPatternType,
    pub operation_type: AclOperation,
    /// Serverless instances only: the batch (`AclOperationTypes`), `operation_type` first.
    pub operation_types: Vec<AclOperation>,
    pub permission_type: AclPermission,
    /// One IPv4 address or `*`.
    pub host: String,
}

impl AclKey {
    pub const IMPORT_FORMS: [&'static str; 2] = [
        "<instance_id>:<username>:<acl_resource_type>:<acl_resource_name>:<acl_resource_pattern_type>:<acl_operation_type>",
        "<instance_id>:<username>:<acl_resource_type>:<acl_resource_name>:<acl_resource_pattern_type>:<acl_operation_type>:<acl_permission_type>:<host>",
    ];

    /// Whether the ACL is what a reserved instance makes: allowing, from any host.
    fn is_default_scope(&self) -> bool {
        self.permission_type == DEFAULT_PERMISSION && self.host == ANY
    }

    /// The operation field of the ID: one operation, or the batch joined with `,`.
    fn operations_field(&self) -> String {
        if self.operation_types.is_empty() {
            self.operation_type.as_str().to_string()
        } else {
            let all: Vec<&str> = self.operation_types.iter().map(|o| o.as_str()).collect();
            all.join(",")
        }
    }

    /// The key's [`ObjectKey::name`] and the ID's tail: the six fields of the alicloud
    /// provider's ID, plus permission and host when they are not `ALLOW` and `*`.
    pub fn name(&self) -> String {
        let mut fields = vec![
            self.username.clone(),
            self.resource_type.as_str().to_string(),
            self.resource_name.clone(),
            self.pattern_type.as_str().to_string(),
            self.operations_field(),
        ];
        if !self.is_default_scope() {
            fields.push(self.permission_type.as_str().to_string());
            fields.push(self.host.clone());
        }
        fields.join(&SEPARATOR.to_string())
    }

    /// Reads [`AclKey::name`] back; values are matched in any case and kept as the API
    /// spells them.
    pub fn parse(name: &str) -> Result<AclKey, String> {
        let fields: Vec<&str> = name.split(SEPARATOR).collect();
        let n = fields.len();
        if n < 5 {
            return Err(format!("it has {} fields, not 6 or 8", n + 1));
        }
        let pattern_at = |i: usize| AclPatternType::parse_loose(fields[i]);
        // Read from the right: the resource name, third from the left, may hold ':'.
        let with_scope = n >= 7
            && AclPermission::parse_loose(fields[n - 2]).is_some()
            && pattern_at(n - 4).is_some();
        let (pattern_index, scope) = if with_scope {
            (n - 4, Some((fields[n - 2], fields[n - 1])))
        } else {
            (n - 2, None)
        };
        let pattern_type = pattern_at(pattern_index).ok_or_else(|| {
            format!(
                "the pattern type is one of {}",
                quoted(&AclPatternType::names())
            )
        })?;
        let username = fields[0].to_string();
        let resource_type = AclResourceType::parse_loose(fields[1]).ok_or_else(|| {
            format!(
                "the resource type is one of {}",
                quoted(&AclResourceType::names())
            )
        })?;
        let resource_name = fields[2..pattern_index].join(&SEPARATOR.to_string());
        let mut operations = Vec::new();
        for op in fields[pattern_index + 1].split(',') {
            operations.push(AclOperation::parse_loose(op).ok_or_else(|| {
                format!(
                    "the operation type is one of {}",
                    quoted(&AclOperation::names())
                )
            })?);
        }
        let (permission_type, host) = match scope {
            None => (DEFAULT_PERMISSION, ANY.to_string()),
            Some((permission, host)) => (
                AclPermission::parse_loose(permission).unwrap_or(DEFAULT_PERMISSION),
                host.to_string(),
            ),
        };
        for (what, check) in [
            ("username", acl_username(&Value::from(username.as_str()))),
            ("resource name", resource_name_check(&resource_name)),
            ("host", acl_host(&Value::from(host.as_str()))),
        ] {
            check.map_err(|e| format!("the {what} {e}"))?;
        }
        let operation_type = operations[0];
        let operation_types = if operations.len() > 1 {
            operations
        } else {
            Vec::new()
        };
        Ok(AclKey {
            username,
            resource_type,
            resource_name,
            pattern_type,
            operation_type,
            operation_types,
            permission_type,
            host,
        })
    }

    pub fn parse_import_id(raw: &str) -> Result<(String, AclKey), Diagnostics> {
        let invalid = |why: &str| invalid_import_id(raw, &Self::IMPORT_FORMS, why);
        let (instance, rest) =
            instance_and_rest(raw).ok_or_else(|| invalid("it starts with the instance ID"))?;
        let key = AclKey::parse(rest).map_err(|why| invalid(&why))?;
        Ok((instance.to_string(), key))
    }

    /// Whether a listed ACL is this one. The service may answer values in its own case
    /// (`TOPIC`, `WRITE`), and a reserved instance may leave permission and host out.
    pub fn matches(&self, acl: &crate::api::KafkaAcl) -> bool {
        let permission = acl
            .acl_permission_type
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(DEFAULT_PERMISSION.as_str());
        let host = acl.host.as_deref().filter(|h| !h.is_empty()).unwrap_or(ANY);
        acl.username == self.username
            && acl.acl_resource_name == self.resource_name
            && self.resource_type.is(&acl.acl_resource_type)
            && self.pattern_type.is(&acl.acl_resource_pattern_type)
            && self.operation_type.is(&acl.acl_operation_type)
            && self.permission_type.is(permission)
            && host == self.host
    }
}

fn resource_name_check(raw: &str) -> Result<(), String> {
    resource_name(&Value::from(raw))
}

/// Whether the API documents `operation` for `resource_type`: Read and Write for topics,
/// Read for groups, the idempotent writes for the cluster, Describe and Write for
/// transactional IDs; DESCRIBE_CONFIGS (serverless) on any.
pub fn operation_fits(resource_type: AclResourceType, operation: AclOperation) -> bool {
    use AclOperation as O;
    use AclResourceType as R;
    matches!(
        (resource_type, operation),
        (R::Topic, O::Read | O::Write)
            | (R::Group, O::Read)
            | (
                R::Cluster,
                O::IdempotentWrite | O::IdempotentWriteServerless
            )
            | (R::TransactionalId, O::Describe | O::Write)
            | (_, O::DescribeConfigs)
    )
}

// ---------------------------------------------------------------------------------------
// Allowlist entries
// ---------------------------------------------------------------------------------------

/// One address or CIDR block on one port range of one allowlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedIpKey {
    pub list_type: AllowedListType,
    pub port_range: String,
    pub allowed_ip: String,
}

impl AllowedIpKey {
    pub const IMPORT_FORM: &'static str = "<instance_id>:<allowed_type>:<port_range>:<allowed_ip>";

    /// `<allowed_type>:<port_range>:<allowed_ip>`, the ID's tail.
    pub fn name(&self) -> String {
        format!(
            "{}{SEPARATOR}{}{SEPARATOR}{}",
            self.list_type.as_str(),
            self.port_range,
            self.allowed_ip
        )
    }

    pub fn parse(name: &str) -> Result<AllowedIpKey, String> {
        let mut parts = name.splitn(3, SEPARATOR);
        let (Some(list_type), Some(port_range), Some(allowed_ip)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err("it has fewer than 4 fields".to_string());
        };
        let list_type = AllowedListType::parse(list_type)
            .ok_or_else(|| "the allowed type is \"vpc\" or \"internet\"".to_string())?;
        check_port_range(list_type, port_range)?;
        allowed_ip_check(allowed_ip).map_err(|e| format!("the allowed IP {e}"))?;
        Ok(AllowedIpKey {
            list_type,
            port_range: port_range.to_string(),
            allowed_ip: allowed_ip.to_string(),
        })
    }

    pub fn parse_import_id(raw: &str) -> Result<(String, AllowedIpKey), Diagnostics> {
        let invalid = |why: &str| invalid_import_id(raw, &[Self::IMPORT_FORM], why);
        let (instance, rest) =
            instance_and_rest(raw).ok_or_else(|| invalid("it starts with the instance ID"))?;
        let key = AllowedIpKey::parse(rest).map_err(|why| invalid(&why))?;
        Ok((instance.to_string(), key))
    }

    pub fn matches(&self, entry: &crate::api::AllowedIpEntry) -> bool {
        entry.list_type == self.list_type
            && entry.port_range == self.port_range
            && entry.address == self.allowed_ip
    }
}

fn allowed_ip_check(raw: &str) -> Result<(), String> {
    allowed_ip(&Value::from(raw))
}

/// The port range belongs to the list: the VPC's 9092 (PLAINTEXT), 9094 (SASL_PLAINTEXT)
/// and 9095 (SASL_SSL), the Internet's 9093 (SASL_SSL).
pub fn check_port_range(list_type: AllowedListType, port_range: &str) -> Result<(), String> {
    let own = list_type.port_ranges();
    if own.contains(&port_range) {
        return Ok(());
    }
    Err(format!(
        "port range {port_range:?} is not one of the {} allowlist's: {}",
        list_type.as_str(),
        quoted(own)
    ))
}

/// The key of an object of the access kinds: its instance and its composite name.
pub fn object_key(instance_id: &str, name: String) -> ObjectKey {
    ObjectKey {
        instance_id: instance_id.to_string(),
        name,
    }
}

#[cfg(test)]
#[path = "access_test.rs"]
mod tests;
