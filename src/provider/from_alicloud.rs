//! `moved { from = alicloud_alikafka_topic.x  to = alikafka_topic.x }` (Terraform 1.8+):
//! the states the alicloud provider (aliyun/terraform-provider-alicloud) wrote for its
//! alikafka resources, translated into ours with no API call (the provider is not even
//! configured then). The refresh that follows the move reads every computed value from the
//! service, so a translation carries what the configuration decides (names, remark,
//! partitions, storage, tags, timeouts) and whatever computed value the source holds.
//!
//! Every alicloud alikafka resource has been schema version 0 in every release, though
//! their attributes changed (see `tests/fixtures/alicloud/README.md`), so a translation
//! reads each attribute by its presence, not by version:
//!
//! - `alicloud_alikafka_topic` (1.56.0 to today): `instance_id`, `topic`, `remark`,
//!   `partition_num`, `local_topic`, `compact_topic` (null before their defaults, 1.63.0:
//!   `false`), `tags` (1.63.0), `timeouts` (1.119.0), and from 1.262.1 `region_id`,
//!   `create_time` and `status` (a string there, a number here). `configs` (1.262.1: the
//!   service's whole `TopicConfig`, defaults included) is not taken as `config`: like an
//!   import, the first refresh manages the settings that differ from their defaults.
//! - `alicloud_alikafka_consumer_group` (1.56.0 to today): `instance_id`, `consumer_id`,
//!   `tags` (1.63.0), `description` (1.157.0) or `remark` (1.268.0; the same value, both
//!   read from the service's `Remark`), `region_id` and `create_time` (1.268.0), `timeouts`.
//!
//! - `alicloud_alikafka_sasl_user` (1.66.0 to today): `instance_id`, `username`,
//!   `password` (in clear, sensitive), `kms_encrypted_password` and
//!   `kms_encryption_context`, `type` (1.159.0; absent before: `plain`), `mechanism` and
//!   `timeouts` (1.266.0; `mechanism` `""` when not set). The password is never taken:
//!   the move cannot see the configuration, so it cannot tell whether it will be
//!   `password` (kept in our state) or `password_wo` (kept nowhere). The moved user is
//!   then as after an import: the plan after the move shows an update that sets the
//!   configured password once (`password_set_at` known after apply).
//! - `alicloud_alikafka_sasl_acl` (1.66.0 to today): `instance_id`, `username` and the
//!   four `acl_*` key fields (spelled as the API takes them; read in any case), and from
//!   1.270.0 `acl_operation_types`, `acl_permission_type`, `host` and `timeouts`.
//! - `alicloud_alikafka_instance_allowed_ip_attachment` (1.163.0 to today):
//!   `instance_id`, `allowed_type`, `port_range`, `allowed_ip`, `timeouts`; it has no
//!   description (null here, as the service reads an entry added without one).
//!
//! Empty maps and remarks become null, as our resources read them, so a configuration
//! that leaves them out plans nothing.

use serde_json::Value as Json;

use super::lifecycle::Listed;
use super::resource_allowed_ip_attachment::AllowedIps;
use super::resource_sasl_acl::Acls;
use super::support;
use crate::api::{AclOperation, AclPatternType, AclPermission, AclResourceType};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, MoveStateRequest};
use crate::tfplugin::schema::Schema;

/// The alicloud provider's source address (any hostname: mirrors differ).
pub const ALICLOUD: &str = "aliyun/alicloud";
pub const ALICLOUD_TOPIC: &str = "alicloud_alikafka_topic";
pub const ALICLOUD_CONSUMER_GROUP: &str = "alicloud_alikafka_consumer_group";
pub const ALICLOUD_SASL_USER: &str = "alicloud_alikafka_sasl_user";
pub const ALICLOUD_SASL_ACL: &str = "alicloud_alikafka_sasl_acl";
pub const ALICLOUD_ALLOWED_IP: &str = "alicloud_alikafka_instance_allowed_ip_attachment";

/// `alikafka_topic` from `alicloud_alikafka_topic`; `None` for any other source.
pub fn topic(
    ctx: &Context,
    schema: &Schema,
    req: &MoveStateRequest,
) -> Result<Option<Value>, Diagnostics> {
    if !req.is_from(ALICLOUD, ALICLOUD_TOPIC) {
        return Ok(None);
    }
    let source = Source::of(req)?;
    let (instance_id, name) = (source.name("instance_id")?, source.name("topic")?);
    let status = source
        .string("status")
        .and_then(|s| s.trim().parse::<i64>().ok());
    let tags = source.tags();
    let state = support::object_with(
        schema,
        &[
            ("id", Value::from(format!("{instance_id}:{name}"))),
            ("instance_id", Value::from(instance_id)),
            ("topic", Value::from(name)),
            ("remark", Value::from(source.string("remark"))),
            (
                "partition_num",
                Value::from(source.integer("partition_num")),
            ),
            // Null in 1.56.0 states when not configured: the service's default, false.
            ("local_topic", Value::from(source.flag("local_topic"))),
            ("compact_topic", Value::from(source.flag("compact_topic"))),
            ("region_id", Value::from(source.string("region_id"))),
            ("create_time", Value::from(source.integer("create_time"))),
            ("status", Value::from(status)),
            ("tags", tags.clone()),
            ("tags_all", tags),
            ("timeouts", source.timeouts(schema)),
        ],
    );
    // As after an import: the first read decides which settings the topic manages.
    support::mark_imported(ctx);
    Ok(Some(state))
}

/// `alikafka_consumer_group` from `alicloud_alikafka_consumer_group`; `None` for any other
/// source.
pub fn consumer_group(
    schema: &Schema,
    req: &MoveStateRequest,
) -> Result<Option<Value>, Diagnostics> {
    if !req.is_from(ALICLOUD, ALICLOUD_CONSUMER_GROUP) {
        return Ok(None);
    }
    let source = Source::of(req)?;
    let (instance_id, name) = (source.name("instance_id")?, source.name("consumer_id")?);
    let remark = source
        .string("remark")
        .or_else(|| source.string("description"))
        .filter(|r| !r.is_empty());
    let tags = source.tags();
    Ok(Some(support::object_with(
        schema,
        &[
            ("id", Value::from(format!("{instance_id}:{name}"))),
            ("instance_id", Value::from(instance_id)),
            ("consumer_id", Value::from(name)),
            ("remark", Value::from(remark)),
            ("region_id", Value::from(source.string("region_id"))),
            ("tags", tags.clone()),
            ("tags_all", tags),
            ("timeouts", source.timeouts(schema)),
        ],
    )))
}

/// `alikafka_sasl_user` from `alicloud_alikafka_sasl_user`, without its password (see the
/// module's notes); `None` for any other source.
pub fn sasl_user(schema: &Schema, req: &MoveStateRequest) -> Result<Option<Value>, Diagnostics> {
    if !req.is_from(ALICLOUD, ALICLOUD_SASL_USER) {
        return Ok(None);
    }
    let source = Source::of(req)?;
    let (instance_id, name) = (source.name("instance_id")?, source.name("username")?);
    let user_type = source
        .string("type")
        .filter(|t| !t.is_empty())
        .map_or_else(|| "plain".to_string(), |t| t.to_ascii_lowercase());
    let mechanism = source.string("mechanism").filter(|m| !m.is_empty());
    Ok(Some(support::object_with(
        schema,
        &[
            ("id", Value::from(format!("{instance_id}:{name}"))),
            ("instance_id", Value::from(instance_id)),
            ("username", Value::from(name)),
            ("type", Value::from(user_type)),
            ("mechanism", Value::from(mechanism)),
            ("timeouts", source.timeouts(schema)),
        ],
    )))
}

/// `alikafka_sasl_acl` from `alicloud_alikafka_sasl_acl`; `None` for any other source.
pub fn sasl_acl(schema: &Schema, req: &MoveStateRequest) -> Result<Option<Value>, Diagnostics> {
    if !req.is_from(ALICLOUD, ALICLOUD_SASL_ACL) {
        return Ok(None);
    }
    let source = Source::of(req)?;
    let resource_type = source.value("acl_resource_type", AclResourceType::parse_loose)?;
    let pattern_type = source.value("acl_resource_pattern_type", AclPatternType::parse_loose)?;
    let operation_type = source.value("acl_operation_type", AclOperation::parse_loose)?;
    let permission_type = match source
        .string("acl_permission_type")
        .filter(|p| !p.is_empty())
    {
        Some(_) => source.value("acl_permission_type", AclPermission::parse_loose)?,
        None => AclPermission::Allow,
    };
    let operation_types = source
        .string("acl_operation_types")
        .filter(|list| !list.trim().is_empty());
    let host = source
        .string("host")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "*".to_string());
    let mut state = support::object_with(
        schema,
        &[
            ("instance_id", Value::from(source.name("instance_id")?)),
            ("username", Value::from(source.name("username")?)),
            ("acl_resource_type", Value::from(resource_type.as_str())),
            (
                "acl_resource_name",
                Value::from(source.name("acl_resource_name")?),
            ),
            (
                "acl_resource_pattern_type",
                Value::from(pattern_type.as_str()),
            ),
            ("acl_operation_type", Value::from(operation_type.as_str())),
            ("acl_operation_types", Value::from(operation_types)),
            ("acl_permission_type", Value::from(permission_type.as_str())),
            ("host", Value::from(host)),
            ("timeouts", source.timeouts(schema)),
        ],
    );
    let key = Acls::key(&state).ok_or_else(|| source.invalid("an ACL key"))?;
    state.set_attr("id", Value::from(Acls::id(&key)));
    Ok(Some(state))
}

/// `alikafka_instance_allowed_ip_attachment` from
/// `alicloud_alikafka_instance_allowed_ip_attachment`; `None` for any other source.
pub fn allowed_ip(schema: &Schema, req: &MoveStateRequest) -> Result<Option<Value>, Diagnostics> {
    if !req.is_from(ALICLOUD, ALICLOUD_ALLOWED_IP) {
        return Ok(None);
    }
    let source = Source::of(req)?;
    let mut state = support::object_with(
        schema,
        &[
            ("instance_id", Value::from(source.name("instance_id")?)),
            ("allowed_type", Value::from(source.name("allowed_type")?)),
            ("port_range", Value::from(source.name("port_range")?)),
            ("allowed_ip", Value::from(source.name("allowed_ip")?)),
            ("timeouts", source.timeouts(schema)),
        ],
    );
    let key = AllowedIps::key(&state).ok_or_else(|| source.invalid("an allowed_type"))?;
    state.set_attr("id", Value::from(AllowedIps::id(&key)));
    Ok(Some(state))
}

/// The stored attributes of the alicloud resource being moved.
struct Source<'a> {
    type_name: &'a str,
    attributes: &'a serde_json::Map<String, Json>,
}

impl<'a> Source<'a> {
    fn of(req: &'a MoveStateRequest) -> Result<Source<'a>, Diagnostics> {
        let type_name = req.source_type_name.as_str();
        if req.source_schema_version != 0 {
            return Err(Diagnostics::error(
                "Unsupported alicloud state version",
                format!(
                    "The state of {type_name} has schema version {}, and every release of the \
                     alicloud provider so far writes version 0: it was written by a release \
                     newer than this provider knows. Move it with the alicloud release that \
                     wrote version 0, or import the object instead.",
                    req.source_schema_version
                ),
            ));
        }
        let attributes = req.source_state.as_object().ok_or_else(|| {
            Diagnostics::error(
                "Invalid alicloud state",
                format!("The state of {type_name} is not an object of attributes."),
            )
        })?;
        Ok(Source {
            type_name,
            attributes,
        })
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        self.attributes.get(name).filter(|v| !v.is_null())
    }

    fn string(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Json::as_str).map(str::to_owned)
    }

    /// An attribute that locates the object: present and not empty, or the move fails.
    fn name(&self, name: &str) -> Result<String, Diagnostics> {
        match self.string(name).filter(|s| !s.trim().is_empty()) {
            Some(value) => Ok(value),
            None => Err(Diagnostics::error(
                "Invalid alicloud state",
                format!(
                    "The state of {} has no {name}, so the object it tracks is not known. \
                     Refresh it with the alicloud provider first, or import the object \
                     instead of moving it.",
                    self.type_name
                ),
            )),
        }
    }

    /// A documented value (read in any case), or the move fails naming the attribute.
    fn value<T>(&self, name: &str, parse: fn(&str) -> Option<T>) -> Result<T, Diagnostics> {
        let text = self.name(name)?;
        parse(&text).ok_or_else(|| self.invalid(&format!("a documented {name} ({text:?})")))
    }

    fn invalid(&self, what: &str) -> Diagnostics {
        Diagnostics::error(
            "Invalid alicloud state",
            format!(
                "The state of {} does not hold {what}. Import the object instead of moving it.",
                self.type_name
            ),
        )
    }

    /// A whole number, as the SDK stores TypeInt (a JSON number; some tools write strings).
    fn integer(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Json::Number(n) => n.as_i64(),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name).and_then(Json::as_bool).unwrap_or(false)
    }

    /// `tags`, null when absent or empty (an empty map is what the SDK keeps after a
    /// refresh of an untagged object; our resources read that as null).
    fn tags(&self) -> Value {
        let Some(Json::Object(tags)) = self.get("tags") else {
            return Value::Null;
        };
        if tags.is_empty() {
            return Value::Null;
        }
        Value::Map(
            tags.iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), Value::from(text))
                })
                .collect(),
        )
    }

    /// The SDK's `timeouts` block as our `timeouts` attribute: the operations both have,
    /// null when none is set.
    fn timeouts(&self, schema: &Schema) -> Value {
        let (Some(Json::Object(set)), Some(nested)) = (
            self.get("timeouts"),
            schema.attribute("timeouts").and_then(|a| a.nested_type()),
        ) else {
            return Value::Null;
        };
        let operations: Vec<(String, Value)> = nested
            .attributes
            .iter()
            .map(|op| {
                let value = set.get(&op.name).and_then(Json::as_str).map(str::to_owned);
                (op.name.clone(), Value::from(value))
            })
            .collect();
        if operations.iter().all(|(_, v)| v.is_null()) {
            return Value::Null;
        }
        Value::object(operations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::resource_allowed_ip_attachment::AllowedIpResource;
    use crate::provider::resource_consumer_group::ConsumerGroupResource;
    use crate::provider::resource_sasl_acl::SaslAclResource;
    use crate::provider::resource_sasl_user::SaslUserResource;
    use crate::provider::resource_topic::TopicResource;
    use crate::provider::Shared;
    use crate::tfplugin::framework::{ProviderAddress, Resource};
    use serde_json::json;

    fn request(type_name: &str, version: i64, state: Json) -> MoveStateRequest {
        MoveStateRequest {
            source_provider: ProviderAddress::parse("registry.terraform.io/aliyun/alicloud"),
            source_type_name: type_name.into(),
            source_schema_version: version,
            source_state: state,
            source_private: Vec::new(),
            source_identity: None,
            source_identity_schema_version: 0,
        }
    }

    #[test]
    fn topics_of_the_first_and_the_latest_release() {
        let schema = TopicResource::new(Shared::default()).schema();
        let ctx = Context::detached();
        let old = json!({"id": "i-1:orders", "instance_id": "i-1", "topic": "orders",
            "local_topic": null, "compact_topic": null, "partition_num": 12, "remark": "Orders"});
        let moved = topic(&ctx, &schema, &request(ALICLOUD_TOPIC, 0, old))
            .unwrap()
            .expect("taken");
        moved.conforms_to(&schema.value_type()).unwrap();
        assert!(moved.is_wholly_known());
        assert_eq!(moved.attr("id"), &Value::from("i-1:orders"));
        assert_eq!(moved.attr("local_topic"), &Value::from(false));
        assert_eq!(moved.attr("partition_num"), &Value::from(12));
        assert!(moved.attr("tags").is_null() && moved.attr("timeouts").is_null());
        assert!(support::is_imported(
            &ctx.take_private().unwrap_or_default()
        ));

        let latest = json!({"compact_topic": false, "configs": "{\"retention.ms\":\"86400000\"}",
            "create_time": 1717200000000_i64, "id": "i-1:events", "instance_id": "i-1",
            "local_topic": true, "partition_num": 6, "region_id": "cn-hangzhou",
            "remark": "Events", "status": "0", "tags": {"team": "pay"},
            "timeouts": {"create": "5m", "update": null, "delete": "16m"}, "topic": "events"});
        let moved = topic(&ctx, &schema, &request(ALICLOUD_TOPIC, 0, latest))
            .unwrap()
            .expect("taken");
        moved.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(moved.attr("status"), &Value::from(0));
        assert_eq!(moved.attr("region_id"), &Value::from("cn-hangzhou"));
        assert_eq!(moved.attr("tags"), moved.attr("tags_all"));
        assert_eq!(moved.attr("timeouts").attr("delete"), &Value::from("16m"));
        assert!(moved.attr("timeouts").attr("update").is_null());
        assert!(moved.attr("config").is_null(), "the first read decides");
    }

    #[test]
    fn groups_take_remark_or_description() {
        let schema = ConsumerGroupResource::new(Shared::default()).schema();
        let described = json!({"id": "i-1:g", "instance_id": "i-1", "consumer_id": "g",
            "description": "Billing", "tags": {}});
        let moved = consumer_group(&schema, &request(ALICLOUD_CONSUMER_GROUP, 0, described))
            .unwrap()
            .expect("taken");
        moved.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(moved.attr("remark"), &Value::from("Billing"));
        assert!(moved.attr("tags").is_null());
        let unremarked = json!({"instance_id": "i-1", "consumer_id": "g", "remark": "",
            "description": "", "region_id": "cn-hangzhou", "timeouts": null});
        let moved = consumer_group(&schema, &request(ALICLOUD_CONSUMER_GROUP, 0, unremarked))
            .unwrap()
            .expect("taken");
        assert!(moved.attr("remark").is_null());
        assert_eq!(moved.attr("id"), &Value::from("i-1:g"));
    }

    #[test]
    fn sasl_users_move_without_their_password() {
        let schema = SaslUserResource::new(Shared::default()).schema();
        let first = json!({"id": "i-1:app", "instance_id": "i-1", "username": "app",
            "password": "alicloud-Passw0rd", "kms_encrypted_password": null,
            "kms_encryption_context": null});
        let moved = sasl_user(&schema, &request(ALICLOUD_SASL_USER, 0, first))
            .unwrap()
            .expect("taken");
        moved.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(moved.attr("type"), &Value::from("plain"));
        assert!(moved.attr("password").is_null() && moved.attr("password_set_at").is_null());
        assert!(!format!("{moved:?}").contains("alicloud-Passw0rd"));
        let latest = json!({"id": "i-1:app", "instance_id": "i-1", "username": "app",
            "password": "alicloud-Passw0rd", "type": "SCRAM", "mechanism": "",
            "timeouts": {"create": "7m"}});
        let moved = sasl_user(&schema, &request(ALICLOUD_SASL_USER, 0, latest))
            .unwrap()
            .expect("taken");
        assert_eq!(moved.attr("type"), &Value::from("scram"));
        assert!(moved.attr("mechanism").is_null());
        assert_eq!(moved.attr("timeouts").attr("create"), &Value::from("7m"));
        assert_eq!(moved.attr("id"), &Value::from("i-1:app"));
    }

    #[test]
    fn acls_and_allowlist_entries_keep_the_alicloud_id() {
        let schema = SaslAclResource::new(Shared::default()).schema();
        let acl = json!({"id": "i-1:app:Topic:orders:LITERAL:Write", "instance_id": "i-1",
            "username": "app", "acl_resource_type": "topic", "acl_resource_name": "orders",
            "acl_resource_pattern_type": "literal", "acl_operation_type": "write",
            "host": "*"});
        let moved = sasl_acl(&schema, &request(ALICLOUD_SASL_ACL, 0, acl))
            .unwrap()
            .expect("taken");
        moved.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            moved.attr("id"),
            &Value::from("i-1:app:Topic:orders:LITERAL:Write")
        );
        assert_eq!(moved.attr("acl_permission_type"), &Value::from("ALLOW"));
        let unknown_op = json!({"instance_id": "i-1", "username": "app",
            "acl_resource_type": "Topic", "acl_resource_name": "orders",
            "acl_resource_pattern_type": "LITERAL", "acl_operation_type": "Erase"});
        let refused = sasl_acl(&schema, &request(ALICLOUD_SASL_ACL, 0, unknown_op)).unwrap_err();
        assert!(
            refused.to_string().contains("acl_operation_type"),
            "{refused}"
        );

        let schema = AllowedIpResource::new(Shared::default()).schema();
        let entry = json!({"id": "i-1:vpc:9092/9092:10.0.0.0/8", "instance_id": "i-1",
            "allowed_type": "vpc", "port_range": "9092/9092", "allowed_ip": "10.0.0.0/8",
            "timeouts": null});
        let moved = allowed_ip(&schema, &request(ALICLOUD_ALLOWED_IP, 0, entry))
            .unwrap()
            .expect("taken");
        moved.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            moved.attr("id"),
            &Value::from("i-1:vpc:9092/9092:10.0.0.0/8")
        );
        assert!(moved.attr("description").is_null());
    }

    #[test]
    fn other_sources_are_not_taken_and_broken_ones_are_refused() {
        let schema = TopicResource::new(Shared::default()).schema();
        let ctx = Context::detached();
        let state = json!({"instance_id": "i-1", "consumer_id": "g"});
        let other_type = request(ALICLOUD_CONSUMER_GROUP, 0, state.clone());
        assert!(topic(&ctx, &schema, &other_type).unwrap().is_none());
        let mut other_provider = request(ALICLOUD_TOPIC, 0, state.clone());
        other_provider.source_provider = ProviderAddress::parse("example/alicloud");
        assert!(topic(&ctx, &schema, &other_provider).unwrap().is_none());
        let newer = topic(&ctx, &schema, &request(ALICLOUD_TOPIC, 1, state.clone()));
        let d = newer.unwrap_err();
        assert!(d.to_string().contains("schema version 1"), "{d}");
        let nameless = topic(&ctx, &schema, &request(ALICLOUD_TOPIC, 0, state)).unwrap_err();
        assert!(
            nameless
                .to_string()
                .contains("alicloud_alikafka_topic has no topic"),
            "{nameless}"
        );
    }
}
