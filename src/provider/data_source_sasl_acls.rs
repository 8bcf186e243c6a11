//! Data source `alikafka_sasl_acls`: the ACLs of one user on one resource name and type
//! (what DescribeAcls answers), optionally narrowed to a pattern type. Reads the shared
//! list the `alikafka_sasl_acl` resources of that user and resource read.

use async_trait::async_trait;
use serde::Deserialize;

use super::access::{self, AclKey, ANY, DEFAULT_PERMISSION};
use super::data_source_common::{instance_id_attribute, read_error, strings};
use super::lists::{AclQuery, AclsOf};
use super::Shared;
use crate::api::{AclOperation, AclPatternType, AclPermission, AclResourceType, KafkaAcl};
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::validators::one_of;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct SaslAclsDataSource {
    shared: Shared,
}

impl SaslAclsDataSource {
    pub fn new(shared: Shared) -> SaslAclsDataSource {
        SaslAclsDataSource { shared }
    }
}

#[derive(Deserialize)]
struct Config {
    instance_id: String,
    username: String,
    acl_resource_type: String,
    acl_resource_name: String,
    acl_resource_pattern_type: Option<String>,
}

fn acl_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("username", Type::String),
        ("acl_resource_type", Type::String),
        ("acl_resource_name", Type::String),
        ("acl_resource_pattern_type", Type::String),
        ("acl_operation_type", Type::String),
        ("acl_permission_type", Type::String),
        ("host", Type::String),
    ])
}

/// A listed ACL in the documented spellings (the service may answer `TOPIC`, `WRITE`),
/// with the ID of the `alikafka_sasl_acl` that would manage it. `None` for an ACL whose
/// values the API does not document (left out rather than shown wrongly).
fn acl_key(acl: &KafkaAcl) -> Option<AclKey> {
    let permission = acl
        .acl_permission_type
        .as_deref()
        .filter(|p| !p.is_empty())
        .map_or(Some(DEFAULT_PERMISSION), AclPermission::parse_loose)?;
    Some(AclKey {
        username: acl.username.clone(),
        resource_type: AclResourceType::parse_loose(&acl.acl_resource_type)?,
        resource_name: acl.acl_resource_name.clone(),
        pattern_type: AclPatternType::parse_loose(&acl.acl_resource_pattern_type)?,
        operation_type: AclOperation::parse_loose(&acl.acl_operation_type)?,
        operation_types: Vec::new(),
        permission_type: permission,
        host: acl
            .host
            .clone()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| ANY.to_string()),
    })
}

fn acl_value(instance_id: &str, key: &AclKey) -> Value {
    Value::object([
        ("id", Value::from(format!("{instance_id}:{}", key.name()))),
        ("username", Value::from(key.username.as_str())),
        ("acl_resource_type", Value::from(key.resource_type.as_str())),
        ("acl_resource_name", Value::from(key.resource_name.as_str())),
        (
            "acl_resource_pattern_type",
            Value::from(key.pattern_type.as_str()),
        ),
        (
            "acl_operation_type",
            Value::from(key.operation_type.as_str()),
        ),
        (
            "acl_permission_type",
            Value::from(key.permission_type.as_str()),
        ),
        ("host", Value::from(key.host.as_str())),
    ])
}

fn result(config: &Value, c: &Config, all: &[KafkaAcl]) -> Value {
    let pattern = c
        .acl_resource_pattern_type
        .as_deref()
        .and_then(AclPatternType::parse);
    let found: Vec<AclKey> = all
        .iter()
        .filter_map(acl_key)
        .filter(|k| pattern.is_none_or(|p| k.pattern_type == p))
        .collect();
    let mut out = config.clone();
    out.set_attr(
        "ids",
        strings(
            found
                .iter()
                .map(|k| format!("{}:{}", c.instance_id, k.name())),
        ),
    );
    out.set_attr(
        "acls",
        Value::List(found.iter().map(|k| acl_value(&c.instance_id, k)).collect()),
    );
    out
}

#[async_trait]
impl DataSource for SaslAclsDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_sasl_acls"
    }

    fn schema(&self) -> Schema {
        let attributes = vec![
            instance_id_attribute("whose ACLs are listed"),
            Attribute::string("username")
                .required()
                .validator(access::acl_username)
                .markdown_description(
                    "The user whose ACLs are listed. `*` lists the ACLs granted to every user \
                     (`username = \"*\"`), not the ACLs of all users.",
                ),
            Attribute::string("acl_resource_type")
                .required()
                .validator(one_of(&AclResourceType::names()))
                .markdown_description("`Topic`, `Group`, `Cluster` or `TransactionalId`."),
            Attribute::string("acl_resource_name")
                .required()
                .validator(access::resource_name)
                .markdown_description(
                    "The resource name the ACLs name (of either pattern type), or `*` for \
                     the ACLs granted on every resource of the type. A topic or group named \
                     here must exist.",
                ),
            Attribute::string("acl_resource_pattern_type")
                .optional()
                .validator(one_of(&AclPatternType::names()))
                .markdown_description("Keep only `LITERAL` or only `PREFIXED` ACLs."),
            Attribute::new("ids", Type::list(Type::String))
                .computed()
                .markdown_description(
                    "The import IDs of the ACLs found (see `alikafka_sasl_acl`).",
                ),
            Attribute::new("acls", Type::list(acl_type()))
                .computed()
                .markdown_description(
                    "The ACLs found, in the service's order, in the documented spellings: \
                     `id`, `username`, `acl_resource_type`, `acl_resource_name`, \
                     `acl_resource_pattern_type`, `acl_operation_type`, \
                     `acl_permission_type` and `host`.",
                ),
        ];
        Schema::new(attributes).description(Description::markdown(
            "Lists the ACLs of a SASL user on a resource of a Message Queue for Apache Kafka \
             instance.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let c: Config = ctx.decode(config)?;
        let resource_type = AclResourceType::parse(&c.acl_resource_type).ok_or_else(|| {
            Diagnostics::error(
                "Invalid acl_resource_type",
                format!(
                    "acl_resource_type is one of {}.",
                    access::quoted(&AclResourceType::names())
                ),
            )
        })?;
        let kafka = self.shared.kafka()?;
        let query = AclsOf::new(
            &c.instance_id,
            AclQuery {
                username: c.username.clone(),
                resource_type,
                resource_name: c.acl_resource_name.clone(),
                pattern_type: c
                    .acl_resource_pattern_type
                    .as_deref()
                    .and_then(AclPatternType::parse),
            },
        );
        let all = ctx
            .run(kafka.lists::<AclsOf>().get(&query))
            .await?
            .map_err(|e| {
                read_error(
                    format!(
                        "Cannot list the ACLs of {} on {} {} of instance {}",
                        c.username, c.acl_resource_type, c.acl_resource_name, c.instance_id
                    ),
                    &e,
                    kafka.region(),
                    &["instance_id"],
                )
            })?;
        Ok(result(config, &c, &all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str, pattern: &str, op: &str) -> KafkaAcl {
        KafkaAcl {
            username: "svc".into(),
            acl_resource_type: "TOPIC".into(),
            acl_resource_name: name.into(),
            acl_resource_pattern_type: pattern.into(),
            acl_operation_type: op.into(),
            acl_permission_type: None,
            host: Some(String::new()),
        }
    }

    #[test]
    fn acls_read_in_documented_spellings_and_filter_by_pattern() {
        let ds = SaslAclsDataSource::new(Shared::default());
        let schema = ds.schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let config = Value::object([
            ("instance_id", Value::from("i-1")),
            ("username", Value::from("svc")),
            ("acl_resource_type", Value::from("Topic")),
            ("acl_resource_name", Value::from("orders")),
            ("acl_resource_pattern_type", Value::from("LITERAL")),
            ("ids", Value::Null),
            ("acls", Value::Null),
        ]);
        let c: Config = crate::tfplugin::framework::decode(&config).unwrap();
        let all = [
            listed("orders", "LITERAL", "WRITE"),
            listed("orders", "PREFIXED", "READ"),
            listed("orders", "LITERAL", "ALTER"),
        ];
        let v = result(&config, &c, &all);
        v.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            v.attr("ids"),
            &Value::List(vec!["i-1:svc:Topic:orders:LITERAL:Write".into()])
        );
        let acls = v.attr("acls").as_elements().unwrap();
        assert_eq!(acls[0].attr("acl_permission_type"), &Value::from("ALLOW"));
        assert_eq!(acls[0].attr("host"), &Value::from("*"));
    }
}
