//! Pieces both resources use: name and remark validators, import IDs, turning a failed wait
//! into diagnostics, and states for objects whose creation could not be confirmed.

use std::time::Duration;

use super::diag;
use super::kafka::WaitError;
use super::names::{check_remark, KafkaName, ObjectId};
use crate::api::{codes, ApiError};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{cancelled, Context};
use crate::tfplugin::schema::{Attribute, Schema};

/// Operations wait this long unless `timeouts` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Validator: a topic or consumer group name.
pub fn kafka_name(value: &Value) -> Result<(), String> {
    KafkaName::parse(expect_str(value)?).map(|_| ())
}

/// Validator: a required remark (topics).
pub fn required_remark(value: &Value) -> Result<(), String> {
    check_remark(expect_str(value)?, false)
}

/// Validator: an optional remark (consumer groups).
pub fn optional_remark(value: &Value) -> Result<(), String> {
    check_remark(expect_str(value)?, true)
}

/// Validator: an instance ID is not empty.
pub fn non_empty(value: &Value) -> Result<(), String> {
    if expect_str(value)?.trim().is_empty() {
        Err("must not be empty".to_string())
    } else {
        Ok(())
    }
}

fn expect_str(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got a {}", value.kind_name()))
}

/// Parses an import ID `<instance_id>:<name>`; the error shows the right form.
pub fn parse_import_id(raw: &str, what: &str) -> Result<ObjectId, Diagnostics> {
    ObjectId::parse(raw, what).map_err(|message| Diagnostics::error("Invalid import ID", message))
}

/// The state `terraform import` starts from for an object named `<instance_id>:<name>`:
/// `id`, `instance_id` and the attribute `name_attribute` set, the rest null (the read
/// that follows fills it).
pub fn import_named(
    schema: &Schema,
    raw: &str,
    name_attribute: &str,
) -> Result<Value, Diagnostics> {
    let id = parse_import_id(raw, name_attribute)?;
    Ok(object_with(
        schema,
        &[
            ("id", Value::from(id.to_string())),
            ("instance_id", Value::from(id.instance_id.as_str())),
            (name_attribute, Value::from(id.name.as_str())),
        ],
    ))
}

/// The attributes every resource of an instance's objects starts with: `id`
/// (`<instance_id>:<name>`, its import ID) and `instance_id` (a change replaces it).
pub fn key_attributes(noun: &str, name_attribute: &str) -> Vec<Attribute> {
    vec![
        id_attribute(format!(
            "`<instance_id>:<{name_attribute}>`, the ID used to import the {noun}."
        )),
        instance_id_attribute(noun),
    ]
}

/// `id`, computed once and kept.
pub fn id_attribute(markdown: String) -> Attribute {
    Attribute::string("id")
        .computed()
        .use_state_for_unknown()
        .markdown_description(markdown)
}

/// `instance_id` of a resource of an instance's objects (a change replaces it).
pub fn instance_id_attribute(noun: &str) -> Attribute {
    Attribute::string("instance_id")
        .required()
        .requires_replace()
        .validator(non_empty)
        .markdown_description(format!(
            "ID of the instance that holds the {noun}, such as \
             `alikafka_post-cn-v0h1fgs2xxxx`. Changing it replaces the {noun}."
        ))
}

/// `region_id`, computed from the list.
pub fn region_id_attribute() -> Attribute {
    Attribute::string("region_id")
        .computed()
        .use_state_for_unknown()
        .markdown_description("Region of the instance, such as `cn-hangzhou`.")
}

/// The region a listed object reports, or the provider's when it reports none.
pub fn listed_region<'a>(listed: &'a str, provider: &'a str) -> &'a str {
    if listed.is_empty() {
        provider
    } else {
        listed
    }
}

/// An object of the schema's type with every attribute null, `set` applied.
pub fn object_with(schema: &Schema, set: &[(&str, Value)]) -> Value {
    let mut value = Value::object(
        schema
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null)),
    );
    for (name, v) in set {
        value.set_attr(*name, v.clone());
    }
    value
}

/// `value` with every unknown part replaced by null: a state for an object whose final
/// values could not be read (Terraform records it as tainted after a failed create).
pub fn known_or_null(value: &Value) -> Value {
    match value {
        Value::Unknown => Value::Null,
        Value::List(items) => Value::List(items.iter().map(known_or_null).collect()),
        Value::Set(items) => Value::Set(items.iter().map(known_or_null).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(known_or_null).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), known_or_null(v)))
                .collect(),
        ),
        Value::Object(attrs) => Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.clone(), known_or_null(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Private state of an object whose create call succeeded but whose wait did not: it may
/// not be listed yet, so a read that misses it keeps it (tainted) instead of forgetting it.
const UNCONFIRMED_CREATE: &[u8] = br#"{"unconfirmed_create":true}"#;

/// Marks the resource being created as not confirmed by the service yet.
pub fn mark_unconfirmed(ctx: &Context) {
    ctx.set_private(UNCONFIRMED_CREATE.to_vec());
}

/// Whether `private` holds the mark of [`mark_unconfirmed`] (among other fields, if any).
pub fn is_unconfirmed(private: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(private)
        .is_ok_and(|v| v["unconfirmed_create"] == serde_json::Value::Bool(true))
}

/// Private state of an object just imported: its first read decides what it manages.
const IMPORTED: &[u8] = br#"{"imported":true}"#;

pub fn mark_imported(ctx: &Context) {
    ctx.set_private(IMPORTED.to_vec());
}

pub fn is_imported(private: &[u8]) -> bool {
    private == IMPORTED
}

/// What to say when a wait after a successful call did not end well.
pub struct WaitContext<'a> {
    /// E.g. `topic orders on instance X to be in service`.
    pub what: &'a str,
    /// `create`, `update` or `delete`: names the `timeouts` attribute to raise.
    pub operation: &'a str,
    pub limit: Duration,
    /// Summary of an API failure while polling, e.g. `Cannot confirm topic orders`.
    pub failure_summary: &'a str,
}

pub fn wait_error(error: WaitError, context: &WaitContext<'_>) -> Diagnostics {
    match error {
        WaitError::TimedOut { last_seen } => {
            diag::timed_out(context.what, context.limit, context.operation, &last_seen)
        }
        WaitError::Cancelled => cancelled(),
        WaitError::Failed(e) => diag::api_errors(context.failure_summary, &e),
    }
}

/// Whether a call ended because Terraform asked the provider to stop
/// ([`crate::api::Client::call_stoppable`]).
pub fn stopped(error: &ApiError) -> bool {
    error.code == codes::CANCELLED
}

/// The end of a deletion whose Delete call the service accepted: only a wait that ran out
/// is an error. When polling failed or Terraform stopped us, the object is deleted all the
/// same, so it leaves the state (with a warning) instead of staying there as if it existed.
pub fn deletion_confirmed(
    ctx: &Context,
    waited: Result<(), WaitError>,
    context: &WaitContext<'_>,
) -> Result<(), Diagnostics> {
    let why = match waited {
        Ok(()) => return Ok(()),
        Err(error @ WaitError::TimedOut { .. }) => return Err(wait_error(error, context)),
        Err(WaitError::Cancelled) => "Terraform asked the provider to stop".to_string(),
        Err(WaitError::Failed(e)) => format!("{e}"),
    };
    ctx.report(Diagnostic::warning(
        "Deletion accepted but not confirmed",
        format!(
            "The service accepted the deletion, but waiting for {} stopped: {why}. It is \
             removed from the state; the service finishes the deletion on its own.",
            context.what
        ),
    ));
    Ok(())
}

/// Test helper: the schema has no problems and every attribute is described.
#[cfg(test)]
pub fn assert_sound_and_documented(schema: &Schema) {
    assert!(schema.problems().is_empty(), "{:?}", schema.problems());
    let undocumented: Vec<&str> = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.description.text.is_empty())
        .map(|a| a.name.as_str())
        .collect();
    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_use_the_service_rules() {
        assert!(kafka_name(&Value::from("orders")).is_ok());
        assert!(kafka_name(&Value::from("a.b.c"))
            .unwrap_err()
            .contains("found '.'"));
        assert!(required_remark(&Value::from(""))
            .unwrap_err()
            .contains("must not be empty"));
        assert!(optional_remark(&Value::from("")).is_ok());
        assert!(non_empty(&Value::from("  ")).is_err());
        assert!(non_empty(&Value::from(3)).is_err());
    }

    #[test]
    fn import_ids_explain_the_form() {
        let err = parse_import_id("orders", "topic").unwrap_err();
        let d = err.iter().next().expect("one");
        assert_eq!(d.summary, "Invalid import ID");
        assert!(
            d.detail.contains("\"<instance_id>:<topic>\""),
            "{}",
            d.detail
        );
        let ok = parse_import_id("i-1:orders", "topic").unwrap();
        assert_eq!(ok.to_string(), "i-1:orders");
    }

    #[test]
    fn objects_and_unknowns() {
        let schema = Schema::new(vec![
            Attribute::string("a").optional(),
            Attribute::string("b").computed(),
        ]);
        let v = object_with(&schema, &[("a", Value::from("x"))]);
        assert_eq!(
            v,
            Value::object([("a", Value::from("x")), ("b", Value::Null)])
        );
        let planned = Value::object([
            ("a", Value::from("x")),
            ("b", Value::Unknown),
            ("c", Value::List(vec![Value::Unknown])),
        ]);
        let known = known_or_null(&planned);
        assert!(known.is_wholly_known());
        assert_eq!(known.attr("a"), &Value::from("x"));
        assert!(known.attr("b").is_null());
    }
}
