//! Write-only attributes (Terraform 1.11+): values that reach create and update from the
//! configuration and are null everywhere Terraform stores or shows a state (plans, states,
//! and the results of read, import, move and upgrade). The schema forbids them inside
//! set nesting, so every one has an address.

use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Attribute, Block, BlockNesting, NestedBlock, ObjectNesting};

/// True when any attribute of `block`, at any depth, is write-only.
pub fn has_write_only(block: &Block) -> bool {
    fn attributes(list: &[Attribute]) -> bool {
        list.iter().any(|a| {
            a.write_only
                || a.nested_type()
                    .is_some_and(|nested| attributes(&nested.attributes))
        })
    }
    attributes(&block.attributes) || block.blocks.iter().any(|b| has_write_only(&b.block))
}

/// Sets every write-only attribute of `value` (an object of `block`'s type) to null.
pub fn null_write_only(block: &Block, value: &mut Value) {
    walk_mut(
        &block.attributes,
        &block.blocks,
        value,
        &Value::Null,
        &mut |slot, _| *slot = Value::Null,
    );
}

/// Copies the configured values of write-only attributes into `target` (a planned state
/// that Terraform sent with them null), so create and update see what the user wrote.
pub fn fill_write_only(block: &Block, config: &Value, target: &mut Value) {
    walk_mut(
        &block.attributes,
        &block.blocks,
        target,
        config,
        &mut |slot, configured| *slot = configured.clone(),
    );
}

/// Paths of the write-only attributes `config` sets (known or not).
pub fn configured_write_only(block: &Block, config: &Value) -> Vec<AttributePath> {
    let mut out = Vec::new();
    walk_ref(
        &block.attributes,
        &block.blocks,
        config,
        &AttributePath::root(),
        &mut out,
    );
    out
}

/// The error for a configuration that sets write-only attributes while Terraform does not
/// announce that it supports them (Terraform before 1.11 would store the value).
pub fn unsupported_write_only(paths: &[AttributePath]) -> Diagnostics {
    paths
        .iter()
        .map(|path| {
            Diagnostic::error(
                "Write-only attribute needs Terraform 1.11 or later",
                format!(
                    "Attribute {path} is write-only: its value is used once and never stored. \
                     This Terraform does not support write-only attributes (they need \
                     Terraform 1.11 or later), so it would keep the value in the plan and the \
                     state. Upgrade Terraform, or leave {path} unset and use the attribute \
                     the documentation names for older versions."
                ),
            )
            .at(path.clone())
        })
        .collect()
}

fn block_nesting(nesting: BlockNesting) -> ObjectNesting {
    match nesting {
        BlockNesting::Single | BlockNesting::Group => ObjectNesting::Single,
        BlockNesting::List => ObjectNesting::List,
        BlockNesting::Set => ObjectNesting::Set,
        BlockNesting::Map => ObjectNesting::Map,
    }
}

/// Calls `f(slot, source_slot)` on every write-only attribute of `target`, pairing each
/// with the same place in `source` (null where `source` has nothing there).
fn walk_mut(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    target: &mut Value,
    source: &Value,
    f: &mut dyn FnMut(&mut Value, &Value),
) {
    let Value::Object(fields) = target else {
        return;
    };
    for a in attributes {
        let Some(slot) = fields.get_mut(&a.name) else {
            if a.write_only && source.attr(&a.name).is_present() {
                let mut fresh = Value::Null;
                f(&mut fresh, source.attr(&a.name));
                fields.insert(a.name.clone(), fresh);
            }
            continue;
        };
        if a.write_only {
            f(slot, source.attr(&a.name));
        } else if let Some(nested) = a.nested_type() {
            each_object_mut(nested.nesting, slot, source.attr(&a.name), &mut |t, s| {
                walk_mut(&nested.attributes, &[], t, s, f)
            });
        }
    }
    for b in blocks {
        if let Some(slot) = fields.get_mut(&b.type_name) {
            each_object_mut(
                block_nesting(b.nesting),
                slot,
                source.attr(&b.type_name),
                &mut |t, s| walk_mut(&b.block.attributes, &b.block.blocks, t, s, f),
            );
        }
    }
}

fn each_object_mut(
    nesting: ObjectNesting,
    target: &mut Value,
    source: &Value,
    f: &mut dyn FnMut(&mut Value, &Value),
) {
    static NULL: Value = Value::Null;
    match (nesting, target) {
        (ObjectNesting::Single, object @ Value::Object(_)) => f(object, source),
        (ObjectNesting::List, Value::List(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let s = source.as_elements().and_then(|e| e.get(i)).unwrap_or(&NULL);
                f(item, s);
            }
        }
        (ObjectNesting::Map, Value::Map(entries)) => {
            for (key, item) in entries.iter_mut() {
                let s = source
                    .as_entries()
                    .and_then(|m| m.get(key))
                    .unwrap_or(&NULL);
                f(item, s);
            }
        }
        // Sets cannot hold write-only attributes (schema problem); nothing to pair by.
        _ => {}
    }
}

fn walk_ref(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    value: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    if !matches!(value, Value::Object(_)) {
        return;
    }
    for a in attributes {
        let v = value.attr(&a.name);
        let here = path.clone().attribute(&a.name);
        if a.write_only {
            if !v.is_null() {
                out.push(here);
            }
        } else if let Some(nested) = a.nested_type() {
            each_object_ref(nested.nesting, v, &here, &mut |item, item_path| {
                walk_ref(&nested.attributes, &[], item, item_path, out)
            });
        }
    }
    for b in blocks {
        let here = path.clone().attribute(&b.type_name);
        each_object_ref(
            block_nesting(b.nesting),
            value.attr(&b.type_name),
            &here,
            &mut |item, item_path| {
                walk_ref(&b.block.attributes, &b.block.blocks, item, item_path, out)
            },
        );
    }
}

fn each_object_ref(
    nesting: ObjectNesting,
    value: &Value,
    path: &AttributePath,
    f: &mut dyn FnMut(&Value, &AttributePath),
) {
    match (nesting, value) {
        (ObjectNesting::Single, Value::Object(_)) => f(value, path),
        (ObjectNesting::List, Value::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                f(item, &path.clone().index(i as i64));
            }
        }
        (ObjectNesting::Map, Value::Map(entries)) => {
            for (key, item) in entries {
                f(item, &path.clone().key(key));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{NestedType, Schema};

    fn schema() -> Schema {
        Schema::new(vec![
            Attribute::string("name").required(),
            Attribute::string("password_wo")
                .optional()
                .sensitive()
                .write_only(),
            Attribute::number("password_wo_version").optional(),
            Attribute::nested(
                "users",
                NestedType::list(vec![
                    Attribute::string("user").required(),
                    Attribute::string("secret_wo").optional().write_only(),
                ]),
            )
            .optional(),
        ])
        .with_block(NestedBlock::new(
            "login",
            BlockNesting::Map,
            Block::new(vec![Attribute::string("token_wo").optional().write_only()]),
        ))
    }

    fn config() -> Value {
        Value::object([
            ("name", Value::from("n")),
            ("password_wo", Value::from("hunter2")),
            ("password_wo_version", Value::from(1)),
            (
                "users",
                Value::List(vec![
                    Value::object([("user", "a".into()), ("secret_wo", "s-a".into())]),
                    Value::object([("user", "b".into()), ("secret_wo", Value::Null)]),
                ]),
            ),
            (
                "login",
                Value::Map(
                    [(
                        "main".to_owned(),
                        Value::object([("token_wo", Value::Unknown)]),
                    )]
                    .into(),
                ),
            ),
        ])
    }

    #[test]
    fn finds_nulls_and_refills_write_only_values_at_any_depth() {
        let schema = schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        assert!(has_write_only(&schema.block));
        let config = config();
        let paths: Vec<String> = configured_write_only(&schema.block, &config)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            paths,
            [
                "password_wo",
                "users[0].secret_wo",
                r#"login["main"].token_wo"#
            ]
        );

        let mut planned = config.clone();
        null_write_only(&schema.block, &mut planned);
        assert!(planned.attr("password_wo").is_null());
        assert_eq!(planned.attr("password_wo_version"), &Value::from(1));
        assert!(planned
            .at(&AttributePath::attr("users").index(0).attribute("secret_wo"))
            .is_null());
        assert_eq!(
            planned.at(&AttributePath::attr("users").index(0).attribute("user")),
            &Value::from("a")
        );
        assert!(planned
            .at(&AttributePath::attr("login")
                .key("main")
                .attribute("token_wo"))
            .is_null());
        assert!(configured_write_only(&schema.block, &planned).is_empty());

        fill_write_only(&schema.block, &config, &mut planned);
        assert_eq!(planned, config);
    }

    #[test]
    fn fills_attributes_absent_from_a_partial_object() {
        let schema = schema();
        let mut partial = Value::object([("name", Value::from("n"))]);
        fill_write_only(&schema.block, &config(), &mut partial);
        assert_eq!(partial.attr("password_wo"), &Value::from("hunter2"));
    }

    #[test]
    fn old_terraform_gets_an_error_at_each_path() {
        let d = unsupported_write_only(&[AttributePath::attr("password_wo")]);
        let errors: Vec<_> = d.iter().collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].attribute,
            Some(AttributePath::attr("password_wo"))
        );
        assert!(
            errors[0].detail.contains("Terraform 1.11"),
            "{}",
            errors[0].detail
        );
    }

    #[test]
    fn schema_refuses_write_only_where_terraform_or_old_clients_cannot_cope() {
        let bad = Schema::new(vec![
            Attribute::string("a").required().write_only(),
            Attribute::string("b").optional().computed().write_only(),
            Attribute::string("c")
                .optional()
                .requires_replace()
                .write_only(),
            Attribute::nested(
                "d",
                NestedType::set(vec![Attribute::string("e").optional().write_only()]),
            )
            .optional(),
        ])
        .with_block(NestedBlock::new(
            "f",
            BlockNesting::Set,
            Block::new(vec![Attribute::string("g").optional().write_only()]),
        ));
        let problems = bad.problems();
        for expected in [
            "a: a write-only attribute must be optional",
            "b: a write-only attribute must be optional",
            "c: a write-only attribute has no stored value",
            "d.e: write-only attributes are not allowed inside set nesting",
            "f.g: write-only attributes are not allowed inside set nesting",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "{expected}: {problems:?}"
            );
        }
    }
}
