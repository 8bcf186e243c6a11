//! The traits a provider implements: [`ProviderDef`], [`Resource`] and [`DataSource`],
//! with the request types they receive. No msgpack, no gRPC.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use super::action::Action;
use super::context::Context;
use super::function::Function;
use super::generate::config_from_state;
use super::identity::{identity_from_state, state_from_identity, upgrade_current_identity_version};
use super::list::ListResource;
use super::plan::{Plan, PlanRequest};
use crate::tfplugin::cty::json::{self, JsonOptions};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::{IdentitySchema, Schema};

/// ApplyResourceChange creating a resource.
#[derive(Clone, Debug)]
pub struct CreateRequest {
    pub config: Value,
    /// The plan: configured values, defaults, and unknown for computed attributes. Holds
    /// the configured values of write-only attributes too (Terraform plans them null);
    /// the framework nulls them again in the state returned.
    pub planned_state: Value,
    pub planned_private: Vec<u8>,
}

/// ApplyResourceChange updating a resource in place.
#[derive(Clone, Debug)]
pub struct UpdateRequest {
    pub config: Value,
    pub prior_state: Value,
    /// As in [`CreateRequest::planned_state`], with the configured write-only values.
    pub planned_state: Value,
    pub planned_private: Vec<u8>,
}

/// ApplyResourceChange destroying a resource.
#[derive(Clone, Debug)]
pub struct DeleteRequest {
    pub prior_state: Value,
    pub planned_private: Vec<u8>,
}

/// ReadResource: refresh the state from the remote object.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

/// ConfigureProvider.
#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    pub config: Value,
    pub terraform_version: String,
}

/// A failed create or update: diagnostics, and the state of what exists now if anything
/// was created or changed before the failure (Terraform then records it, as tainted after
/// a create). Without a state, a failed create records nothing and a failed update keeps
/// the prior state.
#[derive(Clone, Debug, Default)]
pub struct ApplyError {
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

impl ApplyError {
    /// Keeps `state` as the resource's state despite the error.
    pub fn with_state(mut self, state: Value) -> ApplyError {
        self.state = Some(state);
        self
    }
}

impl From<Diagnostics> for ApplyError {
    fn from(diagnostics: Diagnostics) -> ApplyError {
        ApplyError {
            state: None,
            diagnostics,
        }
    }
}

impl From<Diagnostic> for ApplyError {
    fn from(diagnostic: Diagnostic) -> ApplyError {
        Diagnostics::from(diagnostic).into()
    }
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The full type name, e.g. `"alikafka_topic"`.
    fn type_name(&self) -> &'static str;

    /// Called once, when the server starts.
    fn schema(&self) -> Schema;

    /// Checks beyond the attribute validators (which have already run); the config may hold
    /// unknown values.
    async fn validate(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Resource-specific plan rules, run after the generic plan (defaults, unknown computed
    /// values, use_state_for_unknown). Adjust `plan.planned_state`, add
    /// `plan.requires_replace` paths, or return errors (e.g. "partitions can only grow").
    /// `plan.requires_replace` arrives filled with the changed `requires_replace`
    /// attributes, so a non-empty list means the resource is being replaced (Terraform
    /// then plans the new object again with a null prior state); changes the hook makes
    /// to such attributes are detected afterwards. Also called for destroy plans
    /// (`req.is_destroy()`).
    async fn modify_plan(
        &self,
        _ctx: &Context,
        _req: &PlanRequest,
        _plan: &mut Plan,
    ) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Creates the remote object; returns the new state (wholly known).
    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError>;

    /// Reads the remote object: `Ok(None)` when it no longer exists.
    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics>;

    /// Updates in place; returns the new state (wholly known).
    async fn update(&self, ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError>;

    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics>;

    /// `terraform import` / `import {}` blocks: a state with at least what `read` needs
    /// (other attributes may be left out: they are null); Terraform then calls `read`.
    async fn import(&self, _ctx: &Context, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::error(
            "Import not supported",
            format!("Resource type {} cannot be imported.", self.type_name()),
        ))
    }

    /// Upgrades stored state (JSON) written with schema `version` to the current schema.
    /// The default accepts the current version only, dropping attributes the schema no
    /// longer has.
    async fn upgrade_state(
        &self,
        _ctx: &Context,
        version: i64,
        raw_state: &serde_json::Value,
    ) -> Result<Value, Diagnostics> {
        upgrade_current_version(&self.schema(), version, raw_state)
    }

    /// The identity schema (Terraform 1.12+) when objects of this type have one; called
    /// once, when the server starts. With one, the framework returns the identity on
    /// create, read, update and import, accepts `import { identity = {...} }` and states
    /// written before identities existed, and refuses any change of an identity.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` describes: wholly known for a state after
    /// create, read, update or import; may hold unknown values for a planned state. The
    /// default copies each identity attribute from the state attribute of that name.
    fn identity(
        &self,
        identity_schema: &IdentitySchema,
        state: &Value,
    ) -> Result<Value, Diagnostics> {
        Ok(identity_from_state(identity_schema, state))
    }

    /// `import { to = ..., identity = {...} }`: like [`Resource::import`], from an identity
    /// whose `required_for_import` attributes are set. The default sets the state
    /// attributes named like the identity attributes; `read` then fills the rest.
    async fn import_by_identity(
        &self,
        _ctx: &Context,
        identity_schema: &IdentitySchema,
        identity: &Value,
    ) -> Result<Value, Diagnostics> {
        Ok(state_from_identity(identity_schema, identity))
    }

    /// Upgrades a stored identity (JSON) written with identity schema `version`. The
    /// default accepts the current version only.
    async fn upgrade_identity(
        &self,
        _ctx: &Context,
        identity_schema: &IdentitySchema,
        version: i64,
        raw_identity: &serde_json::Value,
    ) -> Result<Value, Diagnostics> {
        upgrade_current_identity_version(identity_schema, version, raw_identity)
    }

    /// `moved { from = OTHER_TYPE.x  to = THIS_TYPE.x }` (Terraform 1.8+), also from
    /// another provider: translates the source's stored state into a state of this type.
    /// Runs unconfigured (no API calls); the state arrives as stored, not upgraded, so
    /// parse it at `req.source_schema_version`. The result must be wholly known; the
    /// refresh and plan that follow reconcile the rest. `Ok(None)`: not a source this type
    /// accepts (the framework answers with an error naming it). The identity of the result
    /// comes from [`Resource::identity`]; private state from `ctx.set_private`.
    async fn move_state(
        &self,
        _ctx: &Context,
        _req: &MoveStateRequest,
    ) -> Result<Option<Value>, Diagnostics> {
        Ok(None)
    }

    /// `terraform query -generate-config-out`: the configuration to write for an object
    /// with this state. The default (see [`config_from_state`]) leaves out computed-only
    /// attributes and optional+computed ones that are null or at their default.
    fn generate_config(&self, schema: &Schema, state: &Value) -> Result<Value, Diagnostics> {
        Ok(config_from_state(schema, state))
    }
}

/// MoveResourceState: the object being moved into this resource type.
#[derive(Clone, Debug)]
pub struct MoveStateRequest {
    /// The provider the source resource belonged to.
    pub source_provider: ProviderAddress,
    pub source_type_name: String,
    pub source_schema_version: i64,
    /// The stored attributes, as the source provider wrote them.
    pub source_state: serde_json::Value,
    pub source_private: Vec<u8>,
    /// The stored identity, when the source had one.
    pub source_identity: Option<serde_json::Value>,
    pub source_identity_schema_version: i64,
}

impl MoveStateRequest {
    /// True for a source of type `type_name` from provider `provider` (`"namespace/type"`,
    /// or a full address; hostnames are ignored, as mirrors and registries differ).
    pub fn is_from(&self, provider: &str, type_name: &str) -> bool {
        self.source_type_name == type_name && self.source_provider.is(provider)
    }
}

/// A provider source address, `hostname/namespace/type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderAddress {
    pub hostname: String,
    pub namespace: String,
    pub type_name: String,
}

impl ProviderAddress {
    /// Parses `hostname/namespace/type` or `namespace/type` (the public registry).
    pub fn parse(raw: &str) -> ProviderAddress {
        let parts: Vec<&str> = raw.trim().split('/').collect();
        let (hostname, namespace, type_name) = match parts.as_slice() {
            [host, namespace, type_name] => (*host, *namespace, *type_name),
            [namespace, type_name] => ("registry.terraform.io", *namespace, *type_name),
            _ => ("", "", raw),
        };
        ProviderAddress {
            hostname: hostname.to_ascii_lowercase(),
            namespace: namespace.to_ascii_lowercase(),
            type_name: type_name.to_ascii_lowercase(),
        }
    }

    /// Same namespace and type as `other` (parsed), whatever the hostnames.
    pub fn is(&self, other: &str) -> bool {
        let other = ProviderAddress::parse(other);
        self.namespace == other.namespace && self.type_name == other.type_name
    }
}

impl std::fmt::Display for ProviderAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.hostname, self.namespace, self.type_name)
    }
}

/// The default state upgrade: same version only.
pub fn upgrade_current_version(
    schema: &Schema,
    version: i64,
    raw_state: &serde_json::Value,
) -> Result<Value, Diagnostics> {
    if version != schema.version {
        return Err(Diagnostics::error(
            "Unsupported state version",
            format!(
                "The stored state has schema version {version}; this provider reads version {} \
                 and has no upgrade from {version}.",
                schema.version
            ),
        ));
    }
    let options = JsonOptions {
        ignore_undefined_attributes: true,
    };
    json::decode(raw_state, &schema.value_type(), options).map_err(|e| {
        Diagnostics::error(
            "Invalid stored state",
            format!("The stored state does not match the schema: {e}"),
        )
    })
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The full type name, e.g. `"alikafka_instances"`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    async fn validate(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Returns the whole object: configured attributes plus computed results.
    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics>;
}

/// The provider itself.
#[async_trait]
pub trait ProviderDef: Send + Sync + 'static {
    /// The provider's local name, e.g. `"alikafka"`; resource type names start with it.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    async fn validate(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Called before resources are planned or applied; values may be unknown.
    async fn configure(&self, ctx: &Context, req: &ConfigureRequest) -> Diagnostics;

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;

    /// Provider-defined functions (Terraform 1.8+), callable unconfigured.
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    /// List resources (Terraform 1.14+, `terraform query`), one per managed resource type
    /// with an identity.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }

    /// Actions (Terraform 1.14+).
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        Vec::new()
    }
}

/// A slot the provider fills in `configure` and its resources read, e.g. an API client.
/// Clones share the slot.
#[derive(Debug)]
pub struct ProviderData<T> {
    slot: Arc<RwLock<Option<Arc<T>>>>,
}

impl<T> Clone for ProviderData<T> {
    fn clone(&self) -> Self {
        ProviderData {
            slot: Arc::clone(&self.slot),
        }
    }
}

impl<T> Default for ProviderData<T> {
    fn default() -> Self {
        ProviderData {
            slot: Arc::new(RwLock::new(None)),
        }
    }
}

impl<T> ProviderData<T> {
    pub fn new() -> ProviderData<T> {
        ProviderData::default()
    }

    pub fn set(&self, data: T) {
        let mut slot = self.slot.write().unwrap_or_else(|p| p.into_inner());
        *slot = Some(Arc::new(data));
    }

    /// The data, or an error diagnostic when the provider is not configured yet.
    pub fn get(&self) -> Result<Arc<T>, Diagnostics> {
        let slot = self.slot.read().unwrap_or_else(|p| p.into_inner());
        slot.clone().ok_or_else(|| {
            Diagnostics::error(
                "Provider not configured",
                "The provider was used before it was configured; this is a bug in the provider \
                 or in Terraform.",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::Attribute;
    use serde_json::json;

    #[test]
    fn provider_data_is_shared_by_clones() {
        let data = ProviderData::<String>::new();
        let seen_by_resource = data.clone();
        assert!(seen_by_resource.get().is_err());
        data.set("client".into());
        assert_eq!(seen_by_resource.get().unwrap().as_str(), "client");
    }

    #[test]
    fn default_upgrade_takes_current_version_only() {
        let schema = Schema::new(vec![Attribute::string("name").required()]).version(2);
        let raw = json!({"name": "x", "removed_attribute": 1});
        let v = upgrade_current_version(&schema, 2, &raw).unwrap();
        assert_eq!(v, Value::object([("name", Value::from("x"))]));
        assert!(upgrade_current_version(&schema, 1, &raw).is_err());
    }
}
