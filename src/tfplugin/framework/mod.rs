//! A small framework over the plugin protocol: a resource is a declarative [`Schema`]
//! plus CRUD methods on plain values or serde models; the framework does validation,
//! planning, state upgrades and the wire format.
//!
//! ```no_run
//! use std::sync::Arc;
//! use alikafka::tfplugin::cty::Value;
//! use alikafka::tfplugin::diagnostics::Diagnostics;
//! use alikafka::tfplugin::framework::validators::string_length;
//! use alikafka::tfplugin::framework::*;
//! use alikafka::tfplugin::schema::{Attribute, Schema};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Model { id: Option<String>, name: String, size: i64 }
//!
//! struct Widget { client: ProviderData<String> }
//!
//! #[async_trait::async_trait]
//! impl Resource for Widget {
//!     fn type_name(&self) -> &'static str { "example_widget" }
//!     fn schema(&self) -> Schema {
//!         Schema::new(vec![
//!             Attribute::string("id").computed().use_state_for_unknown(),
//!             Attribute::string("name").required().requires_replace().validator(string_length(3, 64)),
//!             Attribute::number("size").optional().computed().default(1),
//!             Timeouts::attribute(),
//!         ])
//!     }
//!     async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
//!         let _client = self.client.get()?;
//!         let mut model: Model = ctx.decode(&req.planned_state)?;
//!         model.id = Some(format!("w-{}", model.name));
//!         Ok(ctx.encode(&model, &self.schema())?)
//!     }
//!     async fn read(&self, _: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
//!         Ok(Some(req.current_state.clone()))
//!     }
//!     async fn update(&self, _: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
//!         Ok(req.planned_state.clone())
//!     }
//!     async fn delete(&self, _: &Context, _: &DeleteRequest) -> Result<(), Diagnostics> {
//!         Ok(())
//!     }
//! }
//! # let _ = Arc::new(Widget { client: ProviderData::new() });
//! ```
//!
//! Newer Terraform features, each opt-in and invisible to Terraform versions without them
//! (Terraform 1.0 ignores the schema parts it does not know):
//!
//! - write-only attributes (1.11+): [`Attribute::write_only`](crate::tfplugin::schema::Attribute::write_only);
//! - resource identity (1.12+): [`Resource::identity_schema`], with the defaults of
//!   [`Resource::identity`], [`Resource::import_by_identity`] and [`Resource::upgrade_identity`];
//! - `moved` across types and providers (1.8+): [`Resource::move_state`];
//! - generated configuration (1.14+): [`Resource::generate_config`];
//! - list resources (1.14+): [`ListResource`], from [`ProviderDef::list_resources`];
//! - actions (1.14+): [`Action`], from [`ProviderDef::actions`];
//! - provider functions (1.8+): [`Function`], from [`ProviderDef::functions`].
//!
//! [`Schema`]: crate::tfplugin::schema::Schema

mod action;
mod context;
pub mod function;
pub mod generate;
pub mod identity;
mod list;
pub mod model;
pub mod plan;
mod resource;
mod timeouts;
pub mod validate;
pub mod validators;
pub mod write_only;

pub use action::{Action, ActionProgress};
pub use context::{cancelled, Context};
pub use function::{Function, FunctionError, Parameter, Signature};
pub(crate) use list::{error_event, ItemEncoder};
pub use list::{ListItem, ListRequest, ListResource, ListSink};
pub use model::{decode, encode, from_value, to_value};
pub use plan::{Plan, PlanRequest};
pub use resource::{
    upgrade_current_version, ApplyError, ConfigureRequest, CreateRequest, DataSource,
    DeleteRequest, MoveStateRequest, ProviderAddress, ProviderData, ProviderDef, ReadRequest,
    Resource, UpdateRequest,
};
pub use timeouts::Timeouts;
pub use validators::Validator;
