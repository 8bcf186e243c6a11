//! cty values and types as Terraform exchanges them (`DynamicValue` in msgpack or JSON).

pub mod json;
pub mod msgpack;
mod number;
mod path;
mod types;
mod value;

pub use number::Number;
pub use path::{AttributePath, PathStep};
pub use types::{Type, TypeError};
pub use value::{Value, ValueError};
