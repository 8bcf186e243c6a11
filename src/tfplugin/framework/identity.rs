//! Resource identity (Terraform 1.12+): the defaults a resource gets for deriving its
//! identity from a state and a state from an identity, and the rule that an identity,
//! once known, never changes for the life of the object.

use crate::tfplugin::cty::json::{self, JsonOptions};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::schema::IdentitySchema;

/// The default identity of the object `state` describes: each identity attribute taken
/// from the state attribute of the same name.
pub fn identity_from_state(schema: &IdentitySchema, state: &Value) -> Value {
    Value::object(
        schema
            .attributes
            .iter()
            .map(|a| (a.name.clone(), state.attr(&a.name).clone())),
    )
}

/// The default state for an import by identity: the identity attributes set on an
/// otherwise null object, which `read` then completes.
pub fn state_from_identity(schema: &IdentitySchema, identity: &Value) -> Value {
    identity_from_state(schema, identity)
}

/// True for the identity of a state written before the resource had one: absent, null,
/// or an object whose attributes are all null.
pub fn is_unset(identity: &Value) -> bool {
    match identity {
        Value::Null => true,
        Value::Object(attrs) => attrs.values().all(Value::is_null),
        _ => false,
    }
}

/// The attributes that `after` changes among those `before` has set. An identity may be
/// completed (a null attribute gains a value, as for states from before identities), never
/// changed; unknown values on either side are not compared.
pub fn changed_attributes(schema: &IdentitySchema, before: &Value, after: &Value) -> Vec<String> {
    schema
        .attributes
        .iter()
        .filter(|a| {
            let (b, n) = (before.attr(&a.name), after.attr(&a.name));
            b.is_present() && n.is_wholly_known() && b.is_wholly_known() && b != n
        })
        .map(|a| a.name.clone())
        .collect()
}

/// The error for an identity that changed (always a provider bug: identity attributes
/// must force replacement).
pub fn change_error(
    type_name: &str,
    during: &str,
    schema: &IdentitySchema,
    before: &Value,
    after: &Value,
) -> Diagnostics {
    Diagnostics::error(
        "Unexpected identity change",
        format!(
            "During {during}, the provider produced a different identity for this {type_name} \
             than the one Terraform holds: an object's identity never changes for its life. \
             Held identity: {}. New identity: {}. This is a bug in the provider.",
            describe(schema, before),
            describe(schema, after)
        ),
    )
}

/// An identity for messages: `instance_id = "i-1", topic = "orders"`. Identities name
/// objects and hold no secrets.
pub fn describe(schema: &IdentitySchema, identity: &Value) -> String {
    if identity.is_null() {
        return "none".to_owned();
    }
    schema
        .attributes
        .iter()
        .map(|a| format!("{} = {}", a.name, literal(identity.attr(&a.name))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn literal(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Unknown => "(known after apply)".to_owned(),
        Value::String(s) => format!("{s:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => match other.as_elements() {
            Some(items) => format!(
                "[{}]",
                items.iter().map(literal).collect::<Vec<_>>().join(", ")
            ),
            None => other.kind_name().to_owned(),
        },
    }
}

/// The default identity upgrade: the current version only.
pub fn upgrade_current_identity_version(
    schema: &IdentitySchema,
    version: i64,
    raw_identity: &serde_json::Value,
) -> Result<Value, Diagnostics> {
    if version != schema.version {
        return Err(Diagnostics::error(
            "Unsupported identity version",
            format!(
                "The stored resource identity has version {version}; this provider reads \
                 version {} and has no upgrade from {version}.",
                schema.version
            ),
        ));
    }
    let options = JsonOptions {
        ignore_undefined_attributes: true,
    };
    json::decode(raw_identity, &schema.value_type(), options).map_err(|e| {
        Diagnostics::error(
            "Invalid stored identity",
            format!("The stored resource identity does not match the identity schema: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::IdentityAttribute;
    use serde_json::json;

    fn schema() -> IdentitySchema {
        IdentitySchema::new(vec![
            IdentityAttribute::string("instance_id").required_for_import(),
            IdentityAttribute::string("topic").required_for_import(),
        ])
    }

    #[test]
    fn defaults_copy_attributes_by_name() {
        let state = Value::object([
            ("id", Value::from("i:t")),
            ("instance_id", Value::from("i")),
            ("topic", Value::from("t")),
            ("remark", Value::from("r")),
        ]);
        let identity = identity_from_state(&schema(), &state);
        assert_eq!(
            identity,
            Value::object([("instance_id", "i".into()), ("topic", "t".into())])
        );
        assert_eq!(state_from_identity(&schema(), &identity), identity);
        assert_eq!(
            describe(&schema(), &identity),
            r#"instance_id = "i", topic = "t""#
        );
    }

    #[test]
    fn identities_may_be_completed_never_changed() {
        let schema = schema();
        let full = Value::object([("instance_id", "i".into()), ("topic", "t".into())]);
        let unset = Value::object([("instance_id", Value::Null), ("topic", Value::Null)]);
        assert!(is_unset(&unset) && is_unset(&Value::Null) && !is_unset(&full));
        assert!(changed_attributes(&schema, &unset, &full).is_empty());
        assert!(changed_attributes(&schema, &full, &full).is_empty());
        let renamed = Value::object([("instance_id", "i".into()), ("topic", "u".into())]);
        assert_eq!(changed_attributes(&schema, &full, &renamed), ["topic"]);
        let planned = Value::object([("instance_id", "i".into()), ("topic", Value::Unknown)]);
        assert!(changed_attributes(&schema, &full, &planned).is_empty());
        let d = change_error("x_topic", "read", &schema, &full, &renamed);
        let detail = &d.iter().next().unwrap().detail;
        assert!(detail.contains(r#"topic = "u""#), "{detail}");
    }

    #[test]
    fn upgrade_accepts_the_current_version() {
        let raw = json!({"instance_id": "i", "topic": "t"});
        let v = upgrade_current_identity_version(&schema(), 0, &raw).unwrap();
        assert_eq!(v.attr("topic"), &Value::from("t"));
        assert!(upgrade_current_identity_version(&schema(), 1, &raw).is_err());
    }
}
