//! Runs attribute validators over a configuration, reporting each failure at its path.

use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Attribute, Block, BlockNesting, NestedBlock, ObjectNesting};

/// Validates a configuration value of `block`'s type: required attributes set to null
/// (Terraform itself only catches absent ones), then the validators. Null and unknown
/// values are not validated further (unknown values are checked at apply).
pub fn validate_config(block: &Block, config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    validate_object(
        &block.attributes,
        &block.blocks,
        config,
        &AttributePath::root(),
        &mut diagnostics,
    );
    diagnostics
}

fn validate_object(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    value: &Value,
    path: &AttributePath,
    out: &mut Diagnostics,
) {
    for a in attributes {
        let v = value.attr(&a.name);
        if a.required && v.is_null() && !value.is_null() {
            let here = path.clone().attribute(&a.name);
            out.push(
                Diagnostic::error(
                    "Missing required attribute",
                    format!("Attribute {here} is required, but its value is null."),
                )
                .at(here),
            );
            continue;
        }
        if !v.is_present() {
            continue;
        }
        let here = path.clone().attribute(&a.name);
        if a.deprecated {
            let detail = if a.deprecation_message.is_empty() {
                format!("Attribute {here} is deprecated.")
            } else {
                a.deprecation_message.clone()
            };
            out.push(Diagnostic::warning("Deprecated attribute", detail).at(here.clone()));
        }
        for validator in &a.validators {
            if let Err(message) = validator.validate(v) {
                out.push(
                    Diagnostic::error(
                        "Invalid attribute value",
                        format!("Attribute {here} {message}."),
                    )
                    .at(here.clone()),
                );
            }
        }
        if let Some(nested) = a.nested_type() {
            for_each_element(nested.nesting, v, &here, |item, item_path| {
                validate_object(&nested.attributes, &[], item, item_path, out)
            });
        }
    }
    for b in blocks {
        let v = value.attr(&b.type_name);
        if !v.is_present() {
            continue;
        }
        let here = path.clone().attribute(&b.type_name);
        let nesting = match b.nesting {
            BlockNesting::Single | BlockNesting::Group => ObjectNesting::Single,
            BlockNesting::List => ObjectNesting::List,
            BlockNesting::Set => ObjectNesting::Set,
            BlockNesting::Map => ObjectNesting::Map,
        };
        for_each_element(nesting, v, &here, |item, item_path| {
            validate_object(&b.block.attributes, &b.block.blocks, item, item_path, out)
        });
    }
}

/// Calls `f` on each nested object with its path; set elements, which have no address in
/// the protocol, are reported at the set's path.
fn for_each_element(
    nesting: ObjectNesting,
    value: &Value,
    path: &AttributePath,
    mut f: impl FnMut(&Value, &AttributePath),
) {
    match (nesting, value) {
        (ObjectNesting::Single, Value::Object(_)) => f(value, path),
        (ObjectNesting::List, Value::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                f(item, &path.clone().index(i as i64));
            }
        }
        (ObjectNesting::Set, Value::Set(items)) => items.iter().for_each(|item| f(item, path)),
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
    use crate::tfplugin::schema::Schema;

    #[test]
    fn a_required_attribute_set_to_null_is_an_error_at_its_path() {
        let schema = Schema::new(vec![
            Attribute::string("name").required(),
            Attribute::string("note").optional(),
        ]);
        let config = Value::object([("name", Value::Null), ("note", Value::Null)]);
        let d = validate_config(&schema.block, &config);
        let errors: Vec<_> = d.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].summary, "Missing required attribute");
        assert_eq!(errors[0].attribute, Some(AttributePath::attr("name")));
        // Unknown is not null: it is checked once known.
        let unknown = Value::object([("name", Value::Unknown), ("note", Value::Null)]);
        assert!(!validate_config(&schema.block, &unknown).has_errors());
        let set = Value::object([("name", Value::from("x")), ("note", Value::Null)]);
        assert!(!validate_config(&schema.block, &set).has_errors());
    }
}
