//! List resource `alikafka_consumer_group` (`terraform query`): the consumer groups of an
//! instance, filtered by name and tags, each with the state an import would write. The
//! framework's generated configuration suits groups as it is: `instance_id`,
//! `consumer_id`, and `remark` and `tags` when set.

use std::sync::Arc;

use async_trait::async_trait;

use super::kafka::Kafka;
use super::list_common::{ListOf, Queryable};
use super::lists::GroupsOf;
use super::resource_consumer_group::{ConsumerGroupResource, Groups};
use super::Shared;
use crate::api::ConsumerInfo;
use crate::tfplugin::framework::{Context, ListResource, Resource};

pub fn list_resource(shared: Shared) -> Arc<dyn ListResource> {
    let resource = ConsumerGroupResource::new(shared.clone()).schema();
    ListOf::<Groups>::new(shared, resource)
}

#[async_trait]
impl Queryable for Groups {
    type Adoption = ();

    const PLURAL: &'static str = "consumer groups";

    fn instance_list(instance_id: &str) -> GroupsOf {
        GroupsOf(instance_id.to_owned())
    }

    fn name(item: &ConsumerInfo) -> &str {
        &item.consumer_id
    }

    async fn adoption(_: &Context, _: &Kafka, _: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::kafka::Scope;
    use crate::provider::lifecycle::Listed;
    use crate::provider::support;
    use crate::tfplugin::cty::Value;
    use crate::tfplugin::framework::generate::config_from_state;

    #[test]
    fn listed_groups_generate_what_an_import_reads() {
        let schema = ConsumerGroupResource::new(Shared::default()).schema();
        let base = support::object_with(&schema, &[("instance_id", Value::from("i-1"))]);
        let group = ConsumerInfo {
            consumer_id: "billing".into(),
            instance_id: "i-1".into(),
            remark: Some(String::new()),
            ..Default::default()
        };
        let state = Groups::adopted_state(&base, &group, &Scope::new("cn-hangzhou"), &());
        assert_eq!(
            state,
            Groups::state_from(&base, &group, &Scope::new("cn-hangzhou"))
        );
        state.conforms_to(&schema.value_type()).unwrap();
        assert!(state.attr("remark").is_null(), "no remark: {state:?}");
        let config = config_from_state(&schema, &state);
        assert_eq!(config.attr("consumer_id"), &Value::from("billing"));
        assert!(config.attr("region_id").is_null() && config.attr("id").is_null());
    }
}
