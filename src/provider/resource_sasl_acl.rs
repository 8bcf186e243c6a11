//! Resource `alikafka_sasl_acl`.
//!
//! An ACL cannot be edited: CreateAcl and DeleteAcl name it by all its fields, so every
//! field replaces it. DescribeAcls lists the ACLs of one user on one resource name (there
//! is no list of an instance's ACLs): each resource waits on the shared list of its own
//! user, resource type, resource name and pattern type, see [`AclsOf`].

use async_trait::async_trait;
use serde::Deserialize;

use super::access::{self, AclKey, ANY, DEFAULT_PERMISSION};
use super::from_alicloud;
use super::identity;
use super::journal;
use super::kafka::Scope;
use super::lifecycle::{self, Kind, Listed, ObjectKey};
use super::lists::AclsOf;
use super::support;
use super::Shared;
use crate::api::{
    AclOperation, AclPatternType, AclPermission, AclResourceType, AclSpec, CreateAclRequest,
    DeleteAclRequest, KafkaAcl,
};
use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::one_of;
use crate::tfplugin::framework::{
    ApplyError, Context, CreateRequest, DeleteRequest, MoveStateRequest, ReadRequest, Resource,
    Timeouts, UpdateRequest,
};
use crate::tfplugin::schema::{Attribute, Description, IdentitySchema, Schema};

pub const TYPE_NAME: &str = "alikafka_sasl_acl";

pub struct SaslAclResource {
    shared: Shared,
}

impl SaslAclResource {
    pub fn new(shared: Shared) -> SaslAclResource {
        SaslAclResource { shared }
    }
}

/// Every field of an ACL, from a plan or a state.
#[derive(Debug, Deserialize)]
pub struct AclFields {
    instance_id: String,
    username: String,
    acl_resource_type: String,
    acl_resource_name: String,
    acl_resource_pattern_type: String,
    acl_operation_type: String,
    acl_operation_types: Option<String>,
    acl_permission_type: Option<String>,
    host: Option<String>,
}

/// The operations of `acl_operation_types`, as written (blank items ignored).
fn operations_of(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|o| !o.is_empty())
}

impl AclFields {
    /// The ACL these fields name, or what is wrong with them.
    fn key(&self) -> Result<AclKey, String> {
        let resource_type = AclResourceType::parse_loose(&self.acl_resource_type)
            .ok_or("acl_resource_type is not a documented value")?;
        let pattern_type = AclPatternType::parse_loose(&self.acl_resource_pattern_type)
            .ok_or("acl_resource_pattern_type is not a documented value")?;
        let operation_type = AclOperation::parse_loose(&self.acl_operation_type)
            .ok_or("acl_operation_type is not a documented value")?;
        let mut operation_types = Vec::new();
        if let Some(list) = &self.acl_operation_types {
            for op in operations_of(list) {
                operation_types.push(
                    AclOperation::parse_loose(op)
                        .ok_or("acl_operation_types holds an undocumented value")?,
                );
            }
        }
        // The batch starts with acl_operation_type, as the ID shows it.
        if let Some(i) = operation_types.iter().position(|o| *o == operation_type) {
            operation_types.remove(i);
            operation_types.insert(0, operation_type);
        }
        let permission_type = match &self.acl_permission_type {
            Some(p) => AclPermission::parse_loose(p)
                .ok_or("acl_permission_type is not a documented value")?,
            None => DEFAULT_PERMISSION,
        };
        Ok(AclKey {
            username: self.username.clone(),
            resource_type,
            resource_name: self.acl_resource_name.clone(),
            pattern_type,
            operation_type,
            operation_types,
            permission_type,
            host: self.host.clone().unwrap_or_else(|| ANY.to_string()),
        })
    }

    /// What CreateAcl and DeleteAcl send: the serverless-only fields only when they say
    /// something a reserved instance does not do anyway.
    fn spec(&self) -> Result<AclSpec, Diagnostics> {
        let key = self
            .key()
            .map_err(|why| Diagnostics::error("Invalid ACL", why))?;
        Ok(AclSpec {
            instance_id: self.instance_id.clone(),
            permission_type: Some(key.permission_type).filter(|p| *p != DEFAULT_PERMISSION),
            host: Some(key.host.clone()).filter(|h| h != ANY),
            username: key.username,
            resource_type: key.resource_type,
            resource_name: key.resource_name,
            pattern_type: key.pattern_type,
            operation_type: key.operation_type,
            operation_types: key.operation_types,
        })
    }
}

/// ACLs in the shared list of their user and resource.
pub struct Acls;

impl Listed for Acls {
    type Query = AclsOf;
    type Spec = AclFields;

    const KIND: Kind = Kind {
        type_name: TYPE_NAME,
        noun: "ACL",
        ready: "listed",
        name_attribute: "username",
        journal: journal::Kind::Acl,
    };

    /// CreateAcl of an ACL that exists changes nothing and succeeds.
    const CREATE_ACCEPTS_EXISTING: bool = true;

    fn identity_attributes() -> Vec<&'static str> {
        vec![
            "instance_id",
            "username",
            "acl_resource_type",
            "acl_resource_name",
            "acl_resource_pattern_type",
            "acl_operation_type",
        ]
    }

    fn identity_optional_attributes() -> Vec<&'static str> {
        vec!["acl_operation_types", "acl_permission_type", "host"]
    }

    fn key(state: &Value) -> Option<ObjectKey> {
        let fields: AclFields = crate::tfplugin::framework::decode(state).ok()?;
        let key = fields.key().ok()?;
        Some(access::object_key(&fields.instance_id, key.name()))
    }

    fn key_attributes() -> String {
        "instance_id, username or an acl_* attribute".to_string()
    }

    /// Every field is in the key: a listed ACL is the configured one.
    fn differences(_fields: &AclFields, _acl: &KafkaAcl) -> Vec<String> {
        Vec::new()
    }

    /// Everything is known from `base`; the list only confirms it.
    fn state_from(base: &Value, _acl: &KafkaAcl, _scope: &Scope) -> Value {
        let mut state = base.clone();
        if let Some(key) = Acls::key(base) {
            state.set_attr("id", Value::from(key.id()));
        }
        state
    }
}

/// The attribute a field's documented values are checked at, with its values.
fn field(name: &str, values: &[&str], markdown: String) -> Attribute {
    Attribute::string(name)
        .required()
        .requires_replace()
        .validator(one_of(values))
        .markdown_description(markdown)
}

/// Validator: a comma list of documented operations.
fn operation_list(value: &Value) -> Result<(), String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("expected a string, got a {}", value.kind_name()))?;
    let mut seen = 0;
    for op in operations_of(text) {
        seen += 1;
        if AclOperation::parse(op).is_none() {
            return Err(format!(
                "must be a comma-separated list of {}, found {op:?}",
                access::quoted(&AclOperation::names())
            ));
        }
    }
    if seen == 0 {
        return Err("must name at least one operation".to_string());
    }
    Ok(())
}

#[async_trait]
impl Resource for SaslAclResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let operations = access::quoted(&AclOperation::names());
        let attributes = vec![
            support::id_attribute(
                "The ACL's fields joined with `:`, the ID used to import it: \
                 `<instance_id>:<username>:<acl_resource_type>:<acl_resource_name>:\
                 <acl_resource_pattern_type>:<acl_operation_type>`, followed by \
                 `:<acl_permission_type>:<host>` when those are not `ALLOW` and `*`."
                    .to_string(),
            ),
            support::instance_id_attribute("ACL"),
            Attribute::string("username")
                .required()
                .requires_replace()
                .validator(access::acl_username)
                .markdown_description(
                    "The SASL user the ACL is for, or `*` for every user. Changing it \
                     replaces the ACL.",
                ),
            field(
                "acl_resource_type",
                &AclResourceType::names(),
                "What the ACL is about: `Topic`, `Group`, `Cluster` or `TransactionalId`. \
                 Changing it replaces the ACL."
                    .to_string(),
            ),
            Attribute::string("acl_resource_name")
                .required()
                .requires_replace()
                .validator(access::resource_name)
                .markdown_description(
                    "The topic, group, cluster or transactional ID name (a prefix with \
                     `PREFIXED`), or `*` for every one: 1 to 64 characters without spaces. \
                     Changing it replaces the ACL.",
                ),
            field(
                "acl_resource_pattern_type",
                &AclPatternType::names(),
                "`LITERAL` (the name exactly) or `PREFIXED` (every name starting with it). \
                 Changing it replaces the ACL."
                    .to_string(),
            ),
            field(
                "acl_operation_type",
                &AclOperation::names(),
                format!(
                    "What the ACL allows (or denies): one of {operations}. `Read` and `Write` \
                     apply to topics, `Read` to groups, `IdempotentWrite` (`IDEMPOTENT_WRITE` \
                     on serverless instances) to the cluster, `Describe` and `Write` to \
                     transactional IDs, `DESCRIBE_CONFIGS` (serverless) to any. Checked at \
                     plan time. Changing it replaces the ACL."
                ),
            ),
            Attribute::string("acl_operation_types")
                .optional()
                .requires_replace()
                .validator(operation_list)
                .markdown_description(
                    "Serverless instances only: several operations at once, comma-separated \
                     (`\"Read,Write\"`), including `acl_operation_type`. Changing it replaces \
                     the ACL.",
                ),
            Attribute::string("acl_permission_type")
                .optional()
                .computed()
                .default(DEFAULT_PERMISSION.as_str())
                .requires_replace()
                .validator(one_of(&AclPermission::names()))
                .markdown_description(
                    "`ALLOW` (the default, and all a reserved instance does) or `DENY` \
                     (serverless instances only). Changing it replaces the ACL.",
                ),
            Attribute::string("host")
                .optional()
                .computed()
                .default(ANY)
                .requires_replace()
                .validator(access::acl_host)
                .markdown_description(
                    "The client address the ACL applies to: `*` (the default, every host) or \
                     one IPv4 address (serverless instances only; no CIDR block). Changing it \
                     replaces the ACL.",
                ),
            Timeouts::attribute_for(&["create", "delete"]),
        ];
        Schema::new(attributes).description(Description::markdown(
            "Manages an ACL of a Message Queue for Apache Kafka instance: what a SASL user \
             may do with a topic, group, the cluster or a transactional ID.",
        ))
    }

    /// The operations must be ones the API documents for the resource type.
    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let mut out = Diagnostics::new();
        let Some(resource_type) = config
            .attr("acl_resource_type")
            .as_str()
            .and_then(AclResourceType::parse)
        else {
            return out;
        };
        let misfit = |op: AclOperation, path: &str| {
            Diagnostic::error(
                "Operation does not apply to the resource type",
                format!(
                    "{} does not apply to acl_resource_type {}: {} takes {}.",
                    op.as_str(),
                    resource_type.as_str(),
                    resource_type.as_str(),
                    access::quoted(&fitting(resource_type))
                ),
            )
            .at(AttributePath::attr(path))
        };
        let primary = config
            .attr("acl_operation_type")
            .as_str()
            .and_then(AclOperation::parse);
        if let Some(op) = primary.filter(|op| !access::operation_fits(resource_type, *op)) {
            out.push(misfit(op, "acl_operation_type"));
        }
        if let Some(list) = config.attr("acl_operation_types").as_str() {
            let batch: Vec<AclOperation> = operations_of(list)
                .filter_map(AclOperation::parse)
                .collect();
            if let Some(op) = batch
                .iter()
                .find(|op| !access::operation_fits(resource_type, **op))
            {
                out.push(misfit(*op, "acl_operation_types"));
            }
            if let Some(op) = primary.filter(|op| !batch.is_empty() && !batch.contains(op)) {
                out.push(
                    Diagnostic::error(
                        "acl_operation_types must include acl_operation_type",
                        format!(
                            "The batch {list:?} does not include acl_operation_type {}: the \
                             service requires acl_operation_type with every ACL, and this \
                             resource tracks the ACL by it.",
                            op.as_str()
                        ),
                    )
                    .at(AttributePath::attr("acl_operation_types")),
                );
            }
        }
        out
    }

    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let fields: AclFields = ctx.decode(&req.planned_state)?;
        let request = CreateAclRequest(fields.spec()?);
        let kafka = self.shared.kafka()?;
        lifecycle::create::<Acls, _>(ctx, &kafka, &req.planned_state, &request).await
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        lifecycle::read::<Acls>(ctx, &*self.shared.kafka()?, req).await
    }

    /// Only `timeouts` can change in place: nothing to tell the service.
    async fn update(&self, _ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        Ok(support::known_or_null(&req.planned_state))
    }

    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let fields: AclFields = ctx.decode(&req.prior_state)?;
        let request = DeleteAclRequest(fields.spec()?);
        let kafka = self.shared.kafka()?;
        lifecycle::delete::<Acls, _>(ctx, &kafka, &req.prior_state, &request).await
    }

    async fn move_state(
        &self,
        _: &Context,
        req: &MoveStateRequest,
    ) -> Result<Option<Value>, Diagnostics> {
        from_alicloud::sasl_acl(&self.schema(), req)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema::<Acls>(&self.schema()))
    }

    async fn import_by_identity(
        &self,
        ctx: &Context,
        _: &IdentitySchema,
        identity: &Value,
    ) -> Result<Value, Diagnostics> {
        let id = identity::import_id::<Acls>(&self.schema(), identity)?;
        self.import(ctx, &id).await
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let (instance_id, key) = AclKey::parse_import_id(id)?;
        let batch: Vec<&str> = key.operation_types.iter().map(|o| o.as_str()).collect();
        let operation_types = if batch.is_empty() {
            Value::Null
        } else {
            Value::from(batch.join(","))
        };
        Ok(support::object_with(
            &self.schema(),
            &[
                ("id", Value::from(format!("{instance_id}:{}", key.name()))),
                ("instance_id", Value::from(instance_id.as_str())),
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
                ("acl_operation_types", operation_types),
                (
                    "acl_permission_type",
                    Value::from(key.permission_type.as_str()),
                ),
                ("host", Value::from(key.host.as_str())),
            ],
        ))
    }
}

/// The operations the API documents for `resource_type`.
fn fitting(resource_type: AclResourceType) -> Vec<&'static str> {
    AclOperation::ALL
        .iter()
        .filter(|op| access::operation_fits(resource_type, **op))
        .map(|op| op.as_str())
        .collect()
}

#[cfg(test)]
#[path = "resource_sasl_acl_test.rs"]
mod tests;
