//! `parse_topic_id(id)`: the parts of a topic's import ID.

use super::{parse_id, parsed_type};
use crate::tfplugin::cty::Value;
use crate::tfplugin::framework::{Function, FunctionError, Parameter, Signature};

pub struct ParseTopicId;

impl Function for ParseTopicId {
    fn name(&self) -> &'static str {
        "parse_topic_id"
    }

    fn signature(&self) -> Signature {
        Signature::new(parsed_type("topic"))
            .parameter(
                Parameter::string("id")
                    .markdown_description("A topic's import ID, `<instance_id>:<topic>`."),
            )
            .summary("The parts of a topic's import ID")
            .markdown_description(
                "Splits a topic's import ID into an object with `instance_id` and `topic`. \
                 Refuses an ID of another form, or whose topic name the service would refuse, \
                 saying why.",
            )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        parse_id(args, "topic")
    }
}
