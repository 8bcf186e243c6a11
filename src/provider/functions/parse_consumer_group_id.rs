//! `parse_consumer_group_id(id)`: the parts of a consumer group's import ID.

use super::{parse_id, parsed_type};
use crate::tfplugin::cty::Value;
use crate::tfplugin::framework::{Function, FunctionError, Parameter, Signature};

pub struct ParseConsumerGroupId;

impl Function for ParseConsumerGroupId {
    fn name(&self) -> &'static str {
        "parse_consumer_group_id"
    }

    fn signature(&self) -> Signature {
        Signature::new(parsed_type("consumer_id"))
            .parameter(Parameter::string("id").markdown_description(
                "A consumer group's import ID, `<instance_id>:<consumer_id>`.",
            ))
            .summary("The parts of a consumer group's import ID")
            .markdown_description(
                "Splits a consumer group's import ID into an object with `instance_id` and \
                 `consumer_id`. Refuses an ID of another form, or whose group name the service \
                 would refuse, saying why.",
            )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        parse_id(args, "consumer_id")
    }
}
