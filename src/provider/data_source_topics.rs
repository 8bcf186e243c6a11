//! Data source `alikafka_topics`: the topics of one instance, filtered by name and by a
//! regular expression. Reads the provider's shared per-instance topic list, so any number
//! of these data sources and `alikafka_topic` resources on one instance cost one
//! GetTopicList (all pages) per plan.

use async_trait::async_trait;

use super::data_source_common::{
    filter_attributes, instance_id_attribute, list_result, read_error, tags_filter_attribute,
    NameFilter,
};
use super::tags::{self, tag_map};
use super::Shared;
use crate::api::TopicInfo;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct TopicsDataSource {
    shared: Shared,
}

impl TopicsDataSource {
    pub fn new(shared: Shared) -> TopicsDataSource {
        TopicsDataSource { shared }
    }
}

fn topic_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("topic", Type::String),
        ("instance_id", Type::String),
        ("region_id", Type::String),
        ("remark", Type::String),
        ("partition_num", Type::Number),
        ("create_time", Type::Number),
        ("status", Type::Number),
        ("status_name", Type::String),
        ("local_topic", Type::Bool),
        ("compact_topic", Type::Bool),
        ("config", Type::map(Type::String)),
        ("tags", Type::map(Type::String)),
    ])
}

/// One listed topic. Like `alikafka_topic`, a topic the service lists without the
/// storage flags uses neither; the instance and region default to the ones asked for.
fn topic_value(filter: &NameFilter, region: &str, t: &TopicInfo) -> Value {
    let or = |listed: &str, fallback: &str| {
        Value::from(if listed.is_empty() { fallback } else { listed })
    };
    Value::object([
        ("id", Value::from(filter.id_of(&t.topic))),
        ("topic", Value::from(t.topic.as_str())),
        ("instance_id", or(&t.instance_id, &filter.instance_id)),
        ("region_id", or(&t.region_id, region)),
        ("remark", Value::from(t.remark.as_str())),
        ("partition_num", Value::from(t.partition_num)),
        ("create_time", Value::from(t.create_time)),
        ("status", Value::from(t.status)),
        ("status_name", Value::from(t.status_name.clone())),
        ("local_topic", Value::from(t.local_topic.unwrap_or(false))),
        (
            "compact_topic",
            Value::from(t.compact_topic.unwrap_or(false)),
        ),
        ("config", tags::to_value(&t.config().unwrap_or_default())),
        ("tags", tags::to_value(&tag_map(&t.tags))),
    ])
}

/// The data source's whole result for the topics the service listed.
fn result(config: &Value, filter: &NameFilter, region: &str, all: &[TopicInfo]) -> Value {
    list_result(
        config,
        filter,
        all,
        |t| &t.topic,
        "topics",
        |t| topic_value(filter, region, t),
    )
}

#[async_trait]
impl DataSource for TopicsDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_topics"
    }

    fn schema(&self) -> Schema {
        let mut attributes = vec![instance_id_attribute("whose topics are listed")];
        attributes.extend(filter_attributes("topics", "name", "<instance_id>:<topic>"));
        attributes.push(tags_filter_attribute("topics"));
        attributes.push(
            Attribute::new("topics", Type::list(topic_type()))
                .computed()
                .markdown_description(
                    "The topics found, in the service's order (oldest first): `id` \
                     (`<instance_id>:<topic>`, the ID of an `alikafka_topic` resource), \
                     `topic`, `instance_id`, `region_id`, `remark`, `partition_num`, \
                     `create_time` (milliseconds since the epoch), `status` (`0` in service, \
                     `1` frozen, `2` paused), `status_name`, `local_topic`, `compact_topic`, \
                     `config` (every setting the service reports, as `effective_config` of \
                     `alikafka_topic`) and `tags`.",
                ),
        );
        Schema::new(attributes).description(Description::markdown(
            "Lists the topics of a Message Queue for Apache Kafka instance, optionally \
             filtered by name and tags.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let filter = NameFilter::from_config(config)?;
        let kafka = self.shared.kafka()?;
        let all = ctx
            .run(kafka.topics(&filter.instance_id))
            .await?
            .map_err(|e| {
                read_error(
                    format!("Cannot list the topics of instance {}", filter.instance_id),
                    &e,
                    kafka.region(),
                    &["instance_id"],
                )
            })?;
        Ok(result(config, &filter, kafka.region(), &all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str, remark: &str) -> TopicInfo {
        TopicInfo {
            topic: name.into(),
            instance_id: "i-1".into(),
            region_id: String::new(),
            remark: remark.into(),
            partition_num: Some(12),
            create_time: Some(1_700_000_000_000),
            status: Some(0),
            status_name: Some("服务中".into()),
            compact_topic: None,
            local_topic: Some(true),
            ..Default::default()
        }
    }

    fn config(ids: Value, regex: Value) -> Value {
        Value::object([
            ("instance_id", Value::from("i-1")),
            ("name_regex", regex),
            ("ids", ids),
            ("names", Value::Null),
            ("tags", Value::Null),
            ("topics", Value::Null),
        ])
    }

    #[test]
    fn result_filters_keeps_order_and_fits_the_schema() {
        let ds = TopicsDataSource::new(Shared::default());
        let schema = ds.schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let all = [
            topic("prod-orders", "Orders"),
            topic("test-orders", ""),
            topic("prod-payments", "Payments"),
        ];
        let c = config(Value::Null, Value::from("^prod-"));
        let filter = NameFilter::from_config(&c).unwrap();
        let v = result(&c, &filter, "cn-hangzhou", &all);
        v.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            v.attr("ids"),
            &Value::List(vec!["i-1:prod-orders".into(), "i-1:prod-payments".into()])
        );
        assert_eq!(
            v.attr("names"),
            &Value::List(vec!["prod-orders".into(), "prod-payments".into()])
        );
        let first = &v.attr("topics").as_elements().unwrap()[0];
        assert_eq!(first.attr("id"), &Value::from("i-1:prod-orders"));
        assert_eq!(first.attr("remark"), &Value::from("Orders"));
        assert_eq!(first.attr("region_id"), &Value::from("cn-hangzhou"));
        assert_eq!(first.attr("partition_num"), &Value::from(12));
        assert_eq!(first.attr("status"), &Value::from(0));
        assert_eq!(first.attr("local_topic"), &Value::from(true));
        assert_eq!(first.attr("compact_topic"), &Value::from(false));
    }

    #[test]
    fn configured_ids_are_kept_and_unknown_names_filter_out() {
        let all = [topic("orders", "r"), topic("payments", "r")];
        let ids = Value::List(vec!["payments".into(), "missing".into()]);
        let c = config(ids.clone(), Value::Null);
        let filter = NameFilter::from_config(&c).unwrap();
        let v = result(&c, &filter, "cn-hangzhou", &all);
        assert_eq!(v.attr("ids"), &ids);
        assert_eq!(v.attr("names"), &Value::List(vec!["payments".into()]));
        assert_eq!(v.attr("topics").as_elements().map(<[Value]>::len), Some(1));
    }
}
