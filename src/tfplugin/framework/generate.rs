//! GenerateResourceConfig (`terraform query -generate-config-out`): the configuration a
//! user would write for an existing object, derived from its state and the schema.
//!
//! Without it Terraform writes every optional attribute it finds in the state, defaults
//! included (`partition_num = 12` where the user never chose 12). The rule here keeps what
//! the user chose and leaves out what the provider fills in: computed-only attributes,
//! optional+computed attributes that are null or equal to their default, deprecated and
//! write-only attributes. Applying the result plans no change, since every left-out value
//! is planned back to what the state holds.

use crate::tfplugin::cty::Value;
use crate::tfplugin::schema::{Attribute, BlockNesting, NestedBlock, ObjectNesting, Schema};

/// The configuration for an object whose state is `state` (null stays null).
pub fn config_from_state(schema: &Schema, state: &Value) -> Value {
    let mut config = state.clone();
    trim_object(&schema.block.attributes, &schema.block.blocks, &mut config);
    config
}

fn trim_object(attributes: &[Attribute], blocks: &[NestedBlock], value: &mut Value) {
    let Value::Object(fields) = value else {
        return;
    };
    for a in attributes {
        let Some(slot) = fields.get_mut(&a.name) else {
            continue;
        };
        if left_out(a, slot) {
            *slot = Value::Null;
        } else if let Some(nested) = a.nested_type() {
            each_object(nested.nesting, slot, &mut |item| {
                trim_object(&nested.attributes, &[], item)
            });
        }
    }
    for b in blocks {
        if let Some(slot) = fields.get_mut(&b.type_name) {
            let nesting = match b.nesting {
                BlockNesting::Single | BlockNesting::Group => ObjectNesting::Single,
                BlockNesting::List => ObjectNesting::List,
                BlockNesting::Set => ObjectNesting::Set,
                BlockNesting::Map => ObjectNesting::Map,
            };
            each_object(nesting, slot, &mut |item| {
                trim_object(&b.block.attributes, &b.block.blocks, item)
            });
        }
    }
}

/// Whether an attribute with this state value stays out of the generated configuration.
fn left_out(a: &Attribute, value: &Value) -> bool {
    if a.write_only || a.deprecated {
        return true;
    }
    if a.computed && !a.optional {
        return true;
    }
    if a.computed {
        let default = a.default.as_ref().unwrap_or(&Value::Null);
        return value == default || value.is_null();
    }
    false
}

fn each_object(nesting: ObjectNesting, value: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    match (nesting, value) {
        (ObjectNesting::Single, object @ Value::Object(_)) => f(object),
        (ObjectNesting::List, Value::List(items)) | (ObjectNesting::Set, Value::Set(items)) => {
            items.iter_mut().for_each(f)
        }
        (ObjectNesting::Map, Value::Map(entries)) => entries.values_mut().for_each(f),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::NestedType;

    #[test]
    fn keeps_what_the_user_chose_and_drops_what_the_provider_fills_in() {
        let schema = Schema::new(vec![
            Attribute::string("id").computed(),
            Attribute::string("name").required(),
            Attribute::number("size").optional().computed().default(1),
            Attribute::number("partitions")
                .optional()
                .computed()
                .default(12),
            Attribute::string("remark").optional().computed(),
            Attribute::string("note").optional(),
            Attribute::string("old").optional().deprecated("use note"),
            Attribute::string("password_wo").optional().write_only(),
            Attribute::nested(
                "settings",
                NestedType::single(vec![
                    Attribute::number("level").optional(),
                    Attribute::string("label")
                        .optional()
                        .computed()
                        .default("x"),
                    Attribute::string("token").computed(),
                ]),
            )
            .optional(),
        ]);
        let state = Value::object([
            ("id", Value::from("w-1")),
            ("name", Value::from("w")),
            ("size", Value::from(1)),
            ("partitions", Value::from(24)),
            ("remark", Value::from("kept")),
            ("note", Value::Null),
            ("old", Value::from("x")),
            ("password_wo", Value::Null),
            (
                "settings",
                Value::object([
                    ("level", Value::from(2)),
                    ("label", Value::from("x")),
                    ("token", Value::from("tok")),
                ]),
            ),
        ]);
        let config = config_from_state(&schema, &state);
        assert_eq!(
            config,
            Value::object([
                ("id", Value::Null),
                ("name", Value::from("w")),
                ("size", Value::Null),
                ("partitions", Value::from(24)),
                ("remark", Value::from("kept")),
                ("note", Value::Null),
                ("old", Value::Null),
                ("password_wo", Value::Null),
                (
                    "settings",
                    Value::object([
                        ("level", Value::from(2)),
                        ("label", Value::Null),
                        ("token", Value::Null),
                    ]),
                ),
            ])
        );
        assert!(config_from_state(&schema, &Value::Null).is_null());
    }
}
