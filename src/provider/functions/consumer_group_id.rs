//! `consumer_group_id(instance_id, consumer_id)`: the import ID of a consumer group.

use super::build_id;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::framework::{Function, FunctionError, Parameter, Signature};

pub struct ConsumerGroupId;

impl Function for ConsumerGroupId {
    fn name(&self) -> &'static str {
        "consumer_group_id"
    }

    fn signature(&self) -> Signature {
        Signature::new(Type::String)
            .parameter(
                Parameter::string("instance_id").markdown_description(
                    "The ID of the instance, e.g. `alikafka_post-cn-xxxxxxxx`.",
                ),
            )
            .parameter(Parameter::string("consumer_id").markdown_description(
                "The consumer group's name: 3 to 64 letters, digits, `_` and `-`.",
            ))
            .summary("The import ID of a consumer group")
            .markdown_description(
                "Builds the import ID of a consumer group, `<instance_id>:<consumer_id>`, as \
                 `import` blocks and `terraform import` take it. Refuses an empty instance ID \
                 and a group name the service would refuse or truncate, saying why.",
            )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        build_id(args, "consumer_id")
    }
}
