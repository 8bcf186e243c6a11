//! `check_name(name)`: whether the service takes a topic or consumer group name, and why
//! not, for `validation` blocks and preconditions.

use super::text;
use crate::provider::names::KafkaName;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::framework::{Function, FunctionError, Parameter, Signature};

pub struct CheckName;

impl Function for CheckName {
    fn name(&self) -> &'static str {
        "check_name"
    }

    fn signature(&self) -> Signature {
        Signature::new(Type::object([
            ("valid", Type::Bool),
            ("reason", Type::String),
        ]))
        .parameter(
            Parameter::string("name")
                .markdown_description("A topic or consumer group name to check."),
        )
        .summary("Whether a topic or consumer group name is valid, and why not")
        .markdown_description(
            "Checks a topic or consumer group name against the service's rules (3 to 64 \
                 letters, digits, `_` and `-`; longer names would be silently truncated). \
                 Returns an object: `valid` (bool), and `reason`, a sentence saying why the \
                 name is refused (empty when it is valid, so that `validation` blocks, which \
                 evaluate their message either way, can use it).",
        )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let (valid, reason) = match KafkaName::parse(text(args, 0)) {
            Ok(_) => (true, Value::from("")),
            Err(problem) => (false, Value::from(format!("The name {problem}."))),
        };
        Ok(Value::object([
            ("valid", Value::from(valid)),
            ("reason", reason),
        ]))
    }
}
