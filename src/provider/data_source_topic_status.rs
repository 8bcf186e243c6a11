//! Data source `alikafka_topic_status`: a topic's message count, last message time and
//! per-partition offsets (GetTopicStatus). Read afresh on every plan: these numbers move
//! with every message, so they are neither cached nor shared between reads.

use async_trait::async_trait;
use serde::Deserialize;

use super::data_source_common::{instance_id_attribute, read_error};
use super::{support, Shared};
use crate::api::{GetTopicStatusRequest, PartitionOffsets, TopicStatus};
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct TopicStatusDataSource {
    shared: Shared,
}

impl TopicStatusDataSource {
    pub fn new(shared: Shared) -> TopicStatusDataSource {
        TopicStatusDataSource { shared }
    }
}

#[derive(Deserialize)]
struct Args {
    instance_id: String,
    topic: String,
}

fn offset_type() -> Type {
    Type::object([
        ("partition", Type::Number),
        ("min_offset", Type::Number),
        ("max_offset", Type::Number),
        ("last_update_timestamp", Type::Number),
    ])
}

/// Messages a partition holds; a partition the service describes only in part holds none
/// we can count.
fn retained(p: &PartitionOffsets) -> i64 {
    match (p.min_offset, p.max_offset) {
        (Some(min), Some(max)) => max.saturating_sub(min).max(0),
        _ => 0,
    }
}

/// The status as the data source shows it. Partitions are sorted by number, so that
/// `offsets[0]` is partition 0 whatever order the service answers in. The totals are the
/// service's; when it leaves one out, it is derived from the partitions (their sum, their
/// latest time, 0 when there is none).
fn status_values(status: &TopicStatus) -> [(&'static str, Value); 3] {
    let mut partitions: Vec<&PartitionOffsets> = status.offsets.iter().collect();
    partitions.sort_by_key(|p| p.partition.unwrap_or(i64::MAX));
    let total_count = status.total_count.unwrap_or_else(|| {
        partitions
            .iter()
            .map(|p| retained(p))
            .fold(0i64, i64::saturating_add)
    });
    let last_time_stamp = status.last_time_stamp.unwrap_or_else(|| {
        partitions
            .iter()
            .filter_map(|p| p.last_update_timestamp)
            .max()
            .unwrap_or(0)
    });
    let offsets = partitions
        .into_iter()
        .map(|p| {
            Value::object([
                ("partition", Value::from(p.partition)),
                ("min_offset", Value::from(p.min_offset)),
                ("max_offset", Value::from(p.max_offset)),
                (
                    "last_update_timestamp",
                    Value::from(p.last_update_timestamp),
                ),
            ])
        })
        .collect();
    [
        ("total_count", Value::from(total_count)),
        ("last_time_stamp", Value::from(last_time_stamp)),
        ("offsets", Value::List(offsets)),
    ]
}

#[async_trait]
impl DataSource for TopicStatusDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_topic_status"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            instance_id_attribute("that holds the topic"),
            Attribute::string("topic")
                .required()
                .validator(support::kafka_name)
                .markdown_description("Name of the topic."),
            Attribute::number("total_count")
                .computed()
                .markdown_description("Number of messages the topic holds, over every partition."),
            Attribute::number("last_time_stamp")
                .computed()
                .markdown_description(
                    "When the topic last received a message, in milliseconds since the Unix \
                     epoch; `0` when it never did.",
                ),
            Attribute::new("offsets", Type::list(offset_type()))
                .computed()
                .markdown_description(
                    "One entry per partition, sorted by partition: `partition`, `min_offset` \
                     (the oldest message retained), `max_offset` (the log end offset) and \
                     `last_update_timestamp` (milliseconds since the epoch).",
                ),
        ])
        .description(Description::markdown(
            "Reads the message count and the per-partition offsets of a topic.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let args: Args = ctx.decode(config)?;
        let kafka = self.shared.kafka()?;
        let request = GetTopicStatusRequest {
            instance_id: args.instance_id.clone(),
            topic: args.topic.clone(),
        };
        let response = ctx
            .run(kafka.client().get_topic_status(&request, None))
            .await?
            .map_err(|e| {
                read_error(
                    format!(
                        "Cannot read the status of topic {} on instance {}",
                        args.topic, args.instance_id
                    ),
                    &e,
                    kafka.region(),
                    &["instance_id", "topic"],
                )
            })?;
        let mut value = config.clone();
        for (name, v) in status_values(&response.topic_status) {
            value.set_attr(name, v);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(n: i64, min: i64, max: i64, at: Option<i64>) -> PartitionOffsets {
        PartitionOffsets {
            topic: "orders".into(),
            partition: Some(n),
            min_offset: Some(min),
            max_offset: Some(max),
            last_update_timestamp: at,
        }
    }

    fn as_value(status: &TopicStatus) -> Value {
        Value::object(status_values(status))
    }

    #[test]
    fn values_fit_the_schema_sorted_by_partition() {
        let schema = TopicStatusDataSource::new(Shared::default()).schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let status = TopicStatus {
            total_count: Some(70),
            last_time_stamp: Some(1_700),
            offsets: vec![
                partition(1, 0, 20, Some(1_700)),
                partition(0, 0, 50, Some(1_600)),
            ],
        };
        let mut v = as_value(&status);
        v.set_attr("instance_id", Value::from("i-1"));
        v.set_attr("topic", Value::from("orders"));
        v.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(v.attr("total_count"), &Value::from(70));
        assert_eq!(v.attr("last_time_stamp"), &Value::from(1_700));
        let offsets = v.attr("offsets").as_elements().unwrap();
        assert_eq!(offsets[0].attr("partition"), &Value::from(0));
        assert_eq!(offsets[0].attr("max_offset"), &Value::from(50));
        assert_eq!(offsets[1].attr("partition"), &Value::from(1));
        assert_eq!(
            offsets[1].attr("last_update_timestamp"),
            &Value::from(1_700)
        );
    }

    #[test]
    fn missing_totals_are_derived_from_the_partitions() {
        let status = TopicStatus {
            total_count: None,
            last_time_stamp: None,
            offsets: vec![
                partition(0, 10, 50, Some(1_600)),
                partition(1, 0, 20, None),
                PartitionOffsets {
                    partition: Some(2),
                    ..Default::default()
                },
            ],
        };
        let v = as_value(&status);
        assert_eq!(v.attr("total_count"), &Value::from(60));
        assert_eq!(v.attr("last_time_stamp"), &Value::from(1_600));
        let empty = as_value(&TopicStatus::default());
        assert_eq!(empty.attr("total_count"), &Value::from(0));
        assert_eq!(empty.attr("last_time_stamp"), &Value::from(0));
        assert_eq!(empty.attr("offsets"), &Value::List(vec![]));
    }
}
