//! List resource `alikafka_topic` (`terraform query`): the topics of an instance, filtered
//! by name and tags, each with the state an import would write — the settings that differ
//! from their defaults under `config`, as an imported topic manages them. Also the
//! topic's generated configuration (GenerateResourceConfig), see [`generated_config`].

use std::sync::Arc;

use async_trait::async_trait;

use super::kafka::{Kafka, Scope};
use super::lifecycle::Listed;
use super::list_common::{ListOf, Queryable};
use super::lists::TopicsOf;
use super::resource_topic::{TopicResource, Topics};
use super::topic_settings;
use super::Shared;
use crate::api::TopicInfo;
use crate::tfplugin::cty::Value;
use crate::tfplugin::framework::generate::config_from_state;
use crate::tfplugin::framework::{Context, ListResource, Resource};
use crate::tfplugin::schema::Schema;

/// The service's partition count for a topic created without one.
const DEFAULT_PARTITIONS: i64 = 12;

pub fn list_resource(shared: Shared) -> Arc<dyn ListResource> {
    let resource = TopicResource::new(shared.clone()).schema();
    ListOf::<Topics>::new(shared, resource)
}

#[async_trait]
impl Queryable for Topics {
    /// The instance's message retention in hours: the default of `retention.ms`.
    type Adoption = Option<i64>;

    const PLURAL: &'static str = "topics";

    fn instance_list(instance_id: &str) -> TopicsOf {
        TopicsOf(instance_id.to_owned())
    }

    fn name(item: &TopicInfo) -> &str {
        &item.topic
    }

    async fn adoption(ctx: &Context, kafka: &Kafka, instance_id: &str) -> Option<i64> {
        topic_settings::retention_hours(ctx, kafka, instance_id).await
    }

    fn adopted_state(base: &Value, t: &TopicInfo, scope: &Scope, retention: &Option<i64>) -> Value {
        let mut state = Topics::state_from(base, t, scope);
        topic_settings::manage_non_default(&mut state, *retention);
        state
    }
}

/// The configuration `terraform query -generate-config-out` writes for a topic: the
/// framework's minimal one (no computed-only attributes, no `false` storage flags), also
/// without the service's default partition count, and without replication on topics on
/// cloud storage (the service reports replication for every topic, but takes it only for
/// local ones). Each value left out is planned back to the state's, so applying the
/// configuration plans nothing.
pub fn generated_config(schema: &Schema, state: &Value) -> Value {
    let mut config = config_from_state(schema, state);
    if config.is_null() {
        return config;
    }
    if config.attr("partition_num").as_i64() == Some(DEFAULT_PARTITIONS) {
        config.set_attr("partition_num", Value::Null);
    }
    if state.attr("local_topic").as_bool() != Some(true) {
        for name in ["replication_factor", "min_insync_replicas"] {
            config.set_attr(name, Value::Null);
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Tag;
    use crate::provider::support;
    use crate::tfplugin::cty::Value;

    fn listed(name: &str, partitions: i64, local: bool, config: &str) -> TopicInfo {
        TopicInfo {
            topic: name.into(),
            instance_id: "i-1".into(),
            remark: "r".into(),
            partition_num: Some(partitions),
            status: Some(0),
            local_topic: Some(local),
            compact_topic: Some(false),
            topic_config: Some(config.into()),
            tags: vec![Tag::new("team", "pay")],
            ..Default::default()
        }
    }

    #[test]
    fn listed_topics_manage_their_own_settings_and_generate_minimal_blocks() {
        let schema = TopicResource::new(Shared::default()).schema();
        let base = support::object_with(&schema, &[("instance_id", Value::from("i-1"))]);
        let scope = Scope::new("cn-hangzhou");
        let settings = r#"{"retention.ms":"259200000","max.message.bytes":"2097152","replication-factor":"3","min.insync.replicas":"2"}"#;
        let state = Topics::adopted_state(
            &base,
            &listed("orders", 12, true, settings),
            &scope,
            &Some(72),
        );
        state.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            state.attr("config"),
            &Value::Map([("max.message.bytes".to_owned(), Value::from("2097152"))].into())
        );
        assert_eq!(state.attr("replication_factor"), &Value::from(3));
        let config = generated_config(&schema, &state);
        for (name, kept) in [
            ("instance_id", true),
            ("topic", true),
            ("remark", true),
            ("config", true),
            ("tags", true),
            ("replication_factor", true),
            ("min_insync_replicas", true),
            ("partition_num", false),
            ("local_topic", true),
            ("compact_topic", false),
            ("id", false),
            ("tags_all", false),
            ("effective_config", false),
            ("status", false),
            ("region_id", false),
        ] {
            assert_eq!(!config.attr(name).is_null(), kept, "{name}: {config:?}");
        }
        let cloud = Topics::adopted_state(
            &base,
            &listed("events", 24, false, r#"{"replication-factor":"3"}"#),
            &scope,
            &Some(72),
        );
        let config = generated_config(&schema, &cloud);
        assert_eq!(config.attr("partition_num"), &Value::from(24));
        for name in [
            "replication_factor",
            "min_insync_replicas",
            "local_topic",
            "config",
        ] {
            assert!(config.attr(name).is_null(), "{name}: {config:?}");
        }
    }
}
