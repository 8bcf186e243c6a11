//! Resource `alikafka_instance_allowed_ip_attachment`: one address or CIDR block on one
//! port range of an instance's VPC or Internet allowlist.
//!
//! UpdateAllowedIp adds a comma list as one stored entry and deletes one address at a time;
//! the list is read one item per address (see [`AllowedIpsOf`]), so an address that the
//! service keeps inside a comma-separated entry reads back as itself, and deleting it
//! leaves the entry's other addresses. Everything is fixed at creation.

use async_trait::async_trait;
use serde::Deserialize;

use super::access::{self, AllowedIpKey};
use super::from_alicloud;
use super::identity;
use super::journal;
use super::kafka::Scope;
use super::lifecycle::{self, Kind, Listed, ObjectKey};
use super::lists::AllowedIpsOf;
use super::support;
use super::Shared;
use crate::api::{AllowedIpEntry, AllowedListType, UpdateAllowedIpRequest};
use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::one_of;
use crate::tfplugin::framework::{
    ApplyError, Context, CreateRequest, DeleteRequest, MoveStateRequest, ReadRequest, Resource,
    Timeouts, UpdateRequest,
};
use crate::tfplugin::schema::{Attribute, Description, IdentitySchema, Schema};

pub const TYPE_NAME: &str = "alikafka_instance_allowed_ip_attachment";

/// Every documented port range, VPC ones first.
const PORT_RANGES: [&str; 4] = ["9092/9092", "9094/9094", "9095/9095", "9093/9093"];

pub struct AllowedIpResource {
    shared: Shared,
}

impl AllowedIpResource {
    pub fn new(shared: Shared) -> AllowedIpResource {
        AllowedIpResource { shared }
    }
}

/// The configured part of an entry, from a plan or a state.
#[derive(Debug, Deserialize)]
pub struct EntrySpec {
    instance_id: String,
    allowed_type: String,
    port_range: String,
    allowed_ip: String,
    description: Option<String>,
}

impl EntrySpec {
    fn request(&self, add: bool) -> Result<UpdateAllowedIpRequest, Diagnostics> {
        let list_type = AllowedListType::parse(&self.allowed_type).ok_or_else(|| {
            Diagnostics::error(
                "Invalid allowed_type",
                "allowed_type is \"vpc\" or \"internet\".",
            )
        })?;
        Ok(UpdateAllowedIpRequest {
            instance_id: self.instance_id.clone(),
            list_type,
            port_range: self.port_range.clone(),
            add,
            allowed_ips: self.allowed_ip.clone(),
            description: self.description.clone().filter(|d| add && !d.is_empty()),
        })
    }
}

/// Allowlist entries in the instance's shared allowlist.
pub struct AllowedIps;

impl Listed for AllowedIps {
    type Query = AllowedIpsOf;
    type Spec = EntrySpec;

    const KIND: Kind = Kind {
        type_name: TYPE_NAME,
        noun: "allowlist entry",
        ready: "listed",
        name_attribute: "allowed_ip",
        journal: journal::Kind::AllowedIp,
    };

    /// Adding an address the list holds already changes nothing and succeeds.
    const CREATE_ACCEPTS_EXISTING: bool = true;

    fn identity_attributes() -> Vec<&'static str> {
        vec!["instance_id", "allowed_type", "port_range", "allowed_ip"]
    }

    fn key(state: &Value) -> Option<ObjectKey> {
        let key = AllowedIpKey {
            list_type: AllowedListType::parse(state.attr("allowed_type").as_str()?)?,
            port_range: state.attr("port_range").as_str()?.to_string(),
            allowed_ip: state.attr("allowed_ip").as_str()?.to_string(),
        };
        Some(access::object_key(
            state.attr("instance_id").as_str()?,
            key.name(),
        ))
    }

    fn key_attributes() -> String {
        "instance_id, allowed_type, port_range or allowed_ip".to_string()
    }

    fn differences(spec: &EntrySpec, entry: &AllowedIpEntry) -> Vec<String> {
        let listed = entry.description.as_deref().unwrap_or("");
        let wanted = spec.description.as_deref().unwrap_or("");
        if listed == wanted {
            Vec::new()
        } else {
            vec![format!("description is {listed:?}, not {wanted:?}")]
        }
    }

    /// The description the service keeps for the entry holding the address; "none" and
    /// an empty one read as whichever of null and "" the state had.
    fn state_from(base: &Value, entry: &AllowedIpEntry, _scope: &Scope) -> Value {
        let mut state = base.clone();
        let listed = entry.description.clone().unwrap_or_default();
        let description = if listed.is_empty() && base.attr("description").as_str() != Some("") {
            Value::Null
        } else {
            Value::from(listed)
        };
        if let Some(key) = AllowedIps::key(base) {
            state.set_attr("id", Value::from(key.id()));
        }
        state.set_attr("description", description);
        state
    }
}

#[async_trait]
impl Resource for AllowedIpResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let attributes = vec![
            support::id_attribute(
                "`<instance_id>:<allowed_type>:<port_range>:<allowed_ip>`, the ID used to \
                 import the entry."
                    .to_string(),
            ),
            support::instance_id_attribute("allowlist"),
            Attribute::string("allowed_type")
                .required()
                .requires_replace()
                .validator(one_of(&["vpc", "internet"]))
                .markdown_description(
                    "`vpc` (the allowlist of the VPC endpoints) or `internet` (of the public \
                     endpoint, on instances that have one). Changing it replaces the entry.",
                ),
            Attribute::string("port_range")
                .required()
                .requires_replace()
                .validator(one_of(&PORT_RANGES))
                .markdown_description(
                    "The port range the entry opens: `9092/9092` (VPC, PLAINTEXT), \
                     `9094/9094` (VPC, SASL_PLAINTEXT), `9095/9095` (VPC, SASL_SSL) or \
                     `9093/9093` (Internet, SASL_SSL); it must belong to `allowed_type` \
                     (checked at plan time). Changing it replaces the entry.",
                ),
            Attribute::string("allowed_ip")
                .required()
                .requires_replace()
                .validator(access::allowed_ip)
                .markdown_description(
                    "One IPv4 address (`192.168.0.10`) or CIDR block (`192.168.0.0/16`, \
                     written with no bits set below the prefix), checked at plan time. \
                     Changing it replaces the entry.",
                ),
            Attribute::string("description")
                .optional()
                .requires_replace()
                .validator(access::description)
                .markdown_description(
                    "What the entry is for: at most 256 characters. The service keeps one \
                     description per stored entry; it cannot be changed, so changing it \
                     replaces the entry.",
                ),
            Timeouts::attribute_for(&["create", "delete"]),
        ];
        Schema::new(attributes).description(Description::markdown(
            "Manages one entry (an IPv4 address or CIDR block) of a Message Queue for Apache \
             Kafka instance's IP allowlist.",
        ))
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let list_type = config
            .attr("allowed_type")
            .as_str()
            .and_then(AllowedListType::parse);
        let port_range = config.attr("port_range").as_str();
        let (Some(list_type), Some(port_range)) = (list_type, port_range) else {
            return Diagnostics::new();
        };
        if !PORT_RANGES.contains(&port_range) {
            return Diagnostics::new(); // the attribute's own check says why
        }
        match access::check_port_range(list_type, port_range) {
            Ok(()) => Diagnostics::new(),
            Err(why) => Diagnostic::error("Port range of another allowlist", format!("The {why}."))
                .at(AttributePath::attr("port_range"))
                .into(),
        }
    }

    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let spec: EntrySpec = ctx.decode(&req.planned_state)?;
        let request = spec.request(true)?;
        let kafka = self.shared.kafka()?;
        lifecycle::create::<AllowedIps, _>(ctx, &kafka, &req.planned_state, &request).await
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        lifecycle::read::<AllowedIps>(ctx, &*self.shared.kafka()?, req).await
    }

    /// Only `timeouts` can change in place: nothing to tell the service.
    async fn update(&self, _ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        Ok(support::known_or_null(&req.planned_state))
    }

    /// Deletes this one address: the other addresses of its stored entry stay.
    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let spec: EntrySpec = ctx.decode(&req.prior_state)?;
        let request = spec.request(false)?;
        let kafka = self.shared.kafka()?;
        lifecycle::delete::<AllowedIps, _>(ctx, &kafka, &req.prior_state, &request).await
    }

    async fn move_state(
        &self,
        _: &Context,
        req: &MoveStateRequest,
    ) -> Result<Option<Value>, Diagnostics> {
        from_alicloud::allowed_ip(&self.schema(), req)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema::<AllowedIps>(&self.schema()))
    }

    async fn import_by_identity(
        &self,
        ctx: &Context,
        _: &IdentitySchema,
        identity: &Value,
    ) -> Result<Value, Diagnostics> {
        let id = identity::import_id::<AllowedIps>(&self.schema(), identity)?;
        self.import(ctx, &id).await
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let (instance_id, key) = AllowedIpKey::parse_import_id(id)?;
        Ok(support::object_with(
            &self.schema(),
            &[
                ("id", Value::from(format!("{instance_id}:{}", key.name()))),
                ("instance_id", Value::from(instance_id.as_str())),
                ("allowed_type", Value::from(key.list_type.as_str())),
                ("port_range", Value::from(key.port_range.as_str())),
                ("allowed_ip", Value::from(key.allowed_ip.as_str())),
            ],
        ))
    }
}

#[cfg(test)]
#[path = "resource_allowed_ip_attachment_test.rs"]
mod tests;
