//! A small framework over the plugin protocol: a resource is a declarative [`Schema`]
//! plus CRUD methods on plain values or serde models; the framework does validation,
//! planning, state upgrades and the wire format.
//!
//! [`Schema`]: crate::tfplugin::schema::Schema

mod context;
pub mod model;
pub mod plan;
mod resource;
mod timeouts;
pub mod validate;
pub mod validators;

pub use context::{cancelled, Context};
pub use model::{decode, encode, from_value, to_value};
pub use plan::{Plan, PlanRequest};
pub use resource::{
    upgrade_current_version, ApplyError, ConfigureRequest, CreateRequest, DataSource,
    DeleteRequest, ProviderData, ProviderDef, ReadRequest, Resource, UpdateRequest,
};
pub use timeouts::Timeouts;
pub use validators::Validator;
