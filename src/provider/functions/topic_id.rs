//! `topic_id(instance_id, topic)`: the import ID of a topic.

use super::build_id;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::framework::{Function, FunctionError, Parameter, Signature};

pub struct TopicId;

impl Function for TopicId {
    fn name(&self) -> &'static str {
        "topic_id"
    }

    fn signature(&self) -> Signature {
        Signature::new(Type::String)
            .parameter(
                Parameter::string("instance_id").markdown_description(
                    "The ID of the instance, e.g. `alikafka_post-cn-xxxxxxxx`.",
                ),
            )
            .parameter(
                Parameter::string("topic").markdown_description(
                    "The topic's name: 3 to 64 letters, digits, `_` and `-`.",
                ),
            )
            .summary("The import ID of a topic")
            .markdown_description(
                "Builds the import ID of a topic, `<instance_id>:<topic>`, as `import` blocks and \
                 `terraform import` take it. Refuses an empty instance ID and a topic name the \
                 service would refuse or truncate, saying why.",
            )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        build_id(args, "topic")
    }
}
