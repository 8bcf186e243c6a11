//! Provider-defined functions (Terraform 1.8+), `provider::alikafka::NAME(...)`: build and
//! parse the import IDs of topics and consumer groups, and say why a name would be refused.
//! Pure: they run unconfigured (also under `terraform test` with `mock_provider`) and call
//! no API, so they give the same answer at plan and at apply.

mod check_name;
mod consumer_group_id;
mod parse_consumer_group_id;
mod parse_topic_id;
mod topic_id;

use std::sync::Arc;

use super::names::{KafkaName, ObjectId};
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::framework::{Function, FunctionError};

/// Every function of the provider.
pub fn all() -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(topic_id::TopicId),
        Arc::new(parse_topic_id::ParseTopicId),
        Arc::new(consumer_group_id::ConsumerGroupId),
        Arc::new(parse_consumer_group_id::ParseConsumerGroupId),
        Arc::new(check_name::CheckName),
    ]
}

/// The string in argument `index` (the framework has checked it is a non-null string).
fn text(args: &[Value], index: usize) -> &str {
    args.get(index).and_then(Value::as_str).unwrap_or_default()
}

/// `<instance_id>:<name>` from arguments 0 and 1; `what` names the second part (`topic`,
/// `consumer_id`) in messages.
fn build_id(args: &[Value], what: &str) -> Result<Value, FunctionError> {
    let instance_id = text(args, 0);
    if instance_id.trim().is_empty() {
        return Err(FunctionError::argument(
            0,
            "The instance ID must not be empty.",
        ));
    }
    if instance_id.contains(':') {
        return Err(FunctionError::argument(
            0,
            format!("The instance ID {instance_id:?} must not contain ':', which separates the parts of an import ID."),
        ));
    }
    let name = KafkaName::parse(text(args, 1)).map_err(|problem| {
        FunctionError::argument(
            1,
            format!("The {what} {:?} is not valid: it {problem}.", text(args, 1)),
        )
    })?;
    Ok(Value::from(
        ObjectId {
            instance_id: instance_id.to_owned(),
            name,
        }
        .to_string(),
    ))
}

/// `{ instance_id, <what> }` from an import ID in argument 0.
fn parse_id(args: &[Value], what: &str) -> Result<Value, FunctionError> {
    let id = ObjectId::parse(text(args, 0), what)
        .map_err(|problem| FunctionError::argument(0, format!("{}.", capitalized(&problem))))?;
    Ok(Value::object([
        ("instance_id", Value::from(id.instance_id)),
        (what, Value::from(id.name.as_str())),
    ]))
}

/// The object type `parse_id` returns.
fn parsed_type(what: &str) -> Type {
    Type::object([("instance_id", Type::String), (what, Type::String)])
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::function::check_arguments;

    fn call(name: &str, args: &[&str]) -> Result<Value, FunctionError> {
        let function = all()
            .into_iter()
            .find(|f| f.name() == name)
            .expect("a function of that name");
        let args: Vec<Value> = args.iter().map(|a| Value::from(*a)).collect();
        assert_eq!(check_arguments(&function.signature(), &args), Ok(true));
        function.call(&args)
    }

    #[test]
    fn ids_round_trip() {
        let id = call("topic_id", &["alikafka_post-cn-1", "orders"]).unwrap();
        assert_eq!(id, Value::from("alikafka_post-cn-1:orders"));
        let parsed = call("parse_topic_id", &["alikafka_post-cn-1:orders"]).unwrap();
        assert_eq!(
            parsed.attr("instance_id"),
            &Value::from("alikafka_post-cn-1")
        );
        assert_eq!(parsed.attr("topic"), &Value::from("orders"));
        let group = call("consumer_group_id", &["i-1", "billing"]).unwrap();
        assert_eq!(group, Value::from("i-1:billing"));
        let parsed = call("parse_consumer_group_id", &["i-1:billing"]).unwrap();
        assert_eq!(parsed.attr("consumer_id"), &Value::from("billing"));
    }

    #[test]
    fn bad_arguments_are_named_with_the_reason() {
        let e = call("topic_id", &["i-1", "ab"]).unwrap_err();
        assert_eq!(e.argument, Some(1));
        assert_eq!(
            e.text,
            "The topic \"ab\" is not valid: it must be at least 3 characters long, got 2."
        );
        let e = call("consumer_group_id", &["i:1", "billing"]).unwrap_err();
        assert_eq!(e.argument, Some(0));
        let e = call("topic_id", &[" ", "orders"]).unwrap_err();
        assert_eq!(e.argument, Some(0));
        let e = call("parse_topic_id", &["orders"]).unwrap_err();
        assert_eq!(e.argument, Some(0));
        assert!(
            e.text.starts_with("The ID \"orders\" is not of the form"),
            "{}",
            e.text
        );
        let e = call("parse_consumer_group_id", &["i-1:a.b"]).unwrap_err();
        assert!(e.text.contains("may contain only letters"), "{}", e.text);
    }

    #[test]
    fn the_name_check_says_why() {
        let ok = call("check_name", &["orders"]).unwrap();
        assert_eq!(ok.attr("valid"), &Value::from(true));
        assert_eq!(ok.attr("reason"), &Value::from(""));
        let long = call("check_name", &[&"x".repeat(65)]).unwrap();
        assert_eq!(long.attr("valid"), &Value::from(false));
        let reason = long.attr("reason").as_str().unwrap();
        assert!(reason.contains("silently truncate"), "{reason}");
    }

    #[test]
    fn signatures_are_documented() {
        for function in all() {
            let signature = function.signature();
            assert!(!signature.summary.is_empty(), "{}", function.name());
            assert!(
                !signature.description.text.is_empty(),
                "{}",
                function.name()
            );
            for parameter in &signature.parameters {
                assert!(
                    !parameter.description.text.is_empty(),
                    "{}",
                    function.name()
                );
            }
        }
    }
}
