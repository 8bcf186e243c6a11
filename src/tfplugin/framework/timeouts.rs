//! The conventional `timeouts` nested attribute: `timeouts = { create = "30m" }`.

use std::time::Duration;

use super::validators::{self, parse_duration};
use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Attribute, NestedType};

/// Per-operation time limits, each the configured duration or the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Timeouts {
    /// The attribute's name in resource schemas.
    pub const ATTRIBUTE: &'static str = "timeouts";

    /// The optional `timeouts` attribute with `create`, `read`, `update` and `delete`.
    pub fn attribute() -> Attribute {
        Timeouts::attribute_for(&["create", "read", "update", "delete"])
    }

    /// The optional `timeouts` attribute with only the given operations.
    pub fn attribute_for(operations: &[&str]) -> Attribute {
        let attributes = operations
            .iter()
            .map(|op| {
                Attribute::string(*op)
                    .optional()
                    .validator(validators::duration())
                    .markdown_description(format!(
                        "How long to wait for {op}, e.g. `\"30s\"`, `\"10m\"`, `\"1h30m\"`."
                    ))
            })
            .collect();
        // Optional *and computed*, planned null when unset: Terraform 1.0.0-1.0.4 crash
        // planning a null single nested attribute that is only optional
        // (hashicorp/terraform#29388, fixed in 1.0.5); optional+computed ones are passed
        // through whole, never descended into.
        Attribute::nested(Timeouts::ATTRIBUTE, NestedType::single(attributes))
            .optional()
            .computed()
            .default(Value::Null)
            .markdown_description("Time limits for operations on this resource.")
    }

    /// Reads the `timeouts` object (or null); unset operations get `default`.
    pub fn from_value(timeouts: &Value, default: Duration) -> Result<Timeouts, Diagnostics> {
        let get = |op: &str| -> Result<Duration, Diagnostics> {
            match timeouts.attr(op) {
                Value::String(text) => parse_duration(text).map_err(|message| {
                    Diagnostic::error("Invalid timeout", message)
                        .at(AttributePath::attr(Timeouts::ATTRIBUTE).attribute(op))
                        .into()
                }),
                _ => Ok(default),
            }
        };
        Ok(Timeouts {
            create: get("create")?,
            read: get("read")?,
            update: get("update")?,
            delete: get("delete")?,
        })
    }

    /// Reads the `timeouts` attribute of a whole resource value.
    pub fn from_resource(resource: &Value, default: Duration) -> Result<Timeouts, Diagnostics> {
        Timeouts::from_value(resource.attr(Timeouts::ATTRIBUTE), default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::validate::validate_config;
    use crate::tfplugin::schema::Schema;

    #[test]
    fn reads_durations_with_defaults() {
        let resource = Value::object([(
            "timeouts",
            Value::object([("create", Value::from("1h30m")), ("delete", Value::Null)]),
        )]);
        let t = Timeouts::from_resource(&resource, Duration::from_secs(600)).unwrap();
        assert_eq!(t.create, Duration::from_secs(5400));
        assert_eq!(t.delete, Duration::from_secs(600));
        assert_eq!(t.read, Duration::from_secs(600));
        let none = Timeouts::from_resource(
            &Value::object([("timeouts", Value::Null)]),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(none.update, Duration::from_secs(5));
    }

    #[test]
    fn invalid_durations_are_reported_at_their_path() {
        let schema = Schema::new(vec![Timeouts::attribute()]);
        let config =
            Value::object([("timeouts", Value::object([("update", Value::from("soon"))]))]);
        let diags = validate_config(&schema.block, &config);
        assert_eq!(diags.len(), 1);
        let d = diags.iter().next().unwrap();
        assert_eq!(
            d.attribute,
            Some(AttributePath::attr("timeouts").attribute("update"))
        );
        assert!(Timeouts::from_resource(&config, Duration::ZERO).is_err());
    }
}
