//! Data source `alikafka_consumer_progress`: a consumer group's lag in total, per topic and
//! per partition (GetConsumerProgress). Read afresh on every plan: lag moves by the second.

use async_trait::async_trait;
use serde::Deserialize;

use super::data_source_common::{instance_id_attribute, read_error};
use super::{support, Shared};
use crate::api::{ConsumerProgress, GetConsumerProgressRequest, PartitionProgress, TopicProgress};
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct ConsumerProgressDataSource {
    shared: Shared,
}

impl ConsumerProgressDataSource {
    pub fn new(shared: Shared) -> ConsumerProgressDataSource {
        ConsumerProgressDataSource { shared }
    }
}

#[derive(Deserialize)]
struct Args {
    instance_id: String,
    consumer_id: String,
}

fn partition_type() -> Type {
    Type::object([
        ("partition", Type::Number),
        ("broker_offset", Type::Number),
        ("consumer_offset", Type::Number),
        ("last_timestamp", Type::Number),
    ])
}

fn topic_type() -> Type {
    Type::object([
        ("topic", Type::String),
        ("total_diff", Type::Number),
        ("last_timestamp", Type::Number),
        ("partitions", Type::list(partition_type())),
    ])
}

/// A partition's lag: what the broker holds beyond the committed offset, never negative
/// (a group may commit past the end, e.g. after the topic was recreated).
fn partition_lag(p: &PartitionProgress) -> i64 {
    match (p.broker_offset, p.consumer_offset) {
        (Some(broker), Some(consumer)) => broker.saturating_sub(consumer).max(0),
        (Some(broker), None) => broker.max(0),
        _ => 0,
    }
}

/// A topic's lag: the service's, or the sum over its partitions when it leaves it out.
fn topic_lag(t: &TopicProgress) -> i64 {
    t.total_diff.unwrap_or_else(|| {
        t.offsets
            .iter()
            .map(partition_lag)
            .fold(0, i64::saturating_add)
    })
}

fn topic_last_timestamp(t: &TopicProgress) -> i64 {
    t.last_timestamp.unwrap_or_else(|| {
        t.offsets
            .iter()
            .filter_map(|p| p.last_timestamp)
            .max()
            .unwrap_or(0)
    })
}

fn topic_value(t: &TopicProgress) -> Value {
    let mut partitions: Vec<&PartitionProgress> = t.offsets.iter().collect();
    partitions.sort_by_key(|p| p.partition.unwrap_or(i64::MAX));
    Value::object([
        ("topic", Value::from(t.topic.as_str())),
        ("total_diff", Value::from(topic_lag(t))),
        ("last_timestamp", Value::from(topic_last_timestamp(t))),
        (
            "partitions",
            Value::List(
                partitions
                    .into_iter()
                    .map(|p| {
                        Value::object([
                            ("partition", Value::from(p.partition)),
                            ("broker_offset", Value::from(p.broker_offset)),
                            ("consumer_offset", Value::from(p.consumer_offset)),
                            ("last_timestamp", Value::from(p.last_timestamp)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

/// The progress as the data source shows it: topics sorted by name and partitions by
/// number (stable outputs whatever order the service answers in); totals the service
/// leaves out derived from their parts.
fn progress_values(progress: &ConsumerProgress) -> [(&'static str, Value); 3] {
    let mut topics: Vec<&TopicProgress> = progress.topics.iter().collect();
    topics.sort_by(|a, b| a.topic.cmp(&b.topic));
    let total_diff = progress.total_diff.unwrap_or_else(|| {
        topics
            .iter()
            .map(|t| topic_lag(t))
            .fold(0, i64::saturating_add)
    });
    let last_timestamp = progress.last_timestamp.unwrap_or_else(|| {
        topics
            .iter()
            .map(|t| topic_last_timestamp(t))
            .max()
            .unwrap_or(0)
    });
    [
        ("total_diff", Value::from(total_diff)),
        ("last_timestamp", Value::from(last_timestamp)),
        (
            "topics",
            Value::List(topics.into_iter().map(topic_value).collect()),
        ),
    ]
}

#[async_trait]
impl DataSource for ConsumerProgressDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_consumer_progress"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            instance_id_attribute("that holds the group"),
            Attribute::string("consumer_id")
                .required()
                .validator(support::kafka_name)
                .markdown_description("Name of the consumer group."),
            Attribute::number("total_diff")
                .computed()
                .markdown_description(
                    "The group's lag: messages produced but not yet consumed, over every \
                     topic and partition.",
                ),
            Attribute::number("last_timestamp")
                .computed()
                .markdown_description(
                    "When the group last consumed, in milliseconds since the Unix epoch; `0` \
                     when it never did.",
                ),
            Attribute::new("topics", Type::list(topic_type()))
                .computed()
                .markdown_description(
                    "One entry per topic the group has committed offsets for, sorted by name: \
                     `topic`, `total_diff` (the lag on it), `last_timestamp` and `partitions`, \
                     sorted by partition: `partition`, `broker_offset` (the log end offset), \
                     `consumer_offset` (the committed offset) and `last_timestamp`.",
                ),
        ])
        .description(Description::markdown(
            "Reads how far a consumer group lags behind the topics it consumes.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let args: Args = ctx.decode(config)?;
        let kafka = self.shared.kafka()?;
        let request = GetConsumerProgressRequest {
            instance_id: args.instance_id.clone(),
            consumer_id: args.consumer_id.clone(),
        };
        let response = ctx
            .run(kafka.client().get_consumer_progress(&request, None))
            .await?
            .map_err(|e| {
                read_error(
                    format!(
                        "Cannot read the progress of consumer group {} on instance {}",
                        args.consumer_id, args.instance_id
                    ),
                    &e,
                    kafka.region(),
                    &["instance_id", "consumer_id"],
                )
            })?;
        let mut value = config.clone();
        for (name, v) in progress_values(&response.consumer_progress) {
            value.set_attr(name, v);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(n: i64, broker: i64, consumer: i64, at: i64) -> PartitionProgress {
        PartitionProgress {
            partition: Some(n),
            broker_offset: Some(broker),
            consumer_offset: Some(consumer),
            last_timestamp: Some(at),
        }
    }

    fn topic(name: &str, total: Option<i64>, offsets: Vec<PartitionProgress>) -> TopicProgress {
        TopicProgress {
            topic: name.into(),
            total_diff: total,
            last_timestamp: None,
            offsets,
        }
    }

    fn as_value(progress: &ConsumerProgress) -> Value {
        Value::object(progress_values(progress))
    }

    #[test]
    fn values_fit_the_schema_sorted_by_topic_and_partition() {
        let schema = ConsumerProgressDataSource::new(Shared::default()).schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let progress = ConsumerProgress {
            total_diff: Some(130),
            last_timestamp: Some(9),
            topics: vec![
                topic("payments", Some(10), vec![partition(0, 10, 0, 0)]),
                topic(
                    "orders",
                    Some(120),
                    vec![partition(1, 100, 30, 5), partition(0, 500, 450, 7)],
                ),
            ],
        };
        let mut v = as_value(&progress);
        v.set_attr("instance_id", Value::from("i-1"));
        v.set_attr("consumer_id", Value::from("billing"));
        v.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(v.attr("total_diff"), &Value::from(130));
        assert_eq!(v.attr("last_timestamp"), &Value::from(9));
        let topics = v.attr("topics").as_elements().unwrap();
        assert_eq!(topics[0].attr("topic"), &Value::from("orders"));
        assert_eq!(topics[0].attr("total_diff"), &Value::from(120));
        assert_eq!(topics[0].attr("last_timestamp"), &Value::from(7));
        let partitions = topics[0].attr("partitions").as_elements().unwrap();
        assert_eq!(partitions[0].attr("partition"), &Value::from(0));
        assert_eq!(partitions[0].attr("consumer_offset"), &Value::from(450));
        assert_eq!(partitions[1].attr("broker_offset"), &Value::from(100));
        assert_eq!(topics[1].attr("topic"), &Value::from("payments"));
    }

    #[test]
    fn missing_totals_are_derived_and_lag_is_never_negative() {
        let progress = ConsumerProgress {
            total_diff: None,
            last_timestamp: None,
            topics: vec![
                topic(
                    "orders",
                    None,
                    vec![partition(0, 50, 20, 3), partition(1, 5, 9, 4)],
                ),
                topic(
                    "payments",
                    None,
                    vec![PartitionProgress {
                        partition: Some(0),
                        broker_offset: Some(7),
                        consumer_offset: None,
                        last_timestamp: None,
                    }],
                ),
            ],
        };
        let v = as_value(&progress);
        assert_eq!(v.attr("total_diff"), &Value::from(30 + 7));
        assert_eq!(v.attr("last_timestamp"), &Value::from(4));
        let topics = v.attr("topics").as_elements().unwrap();
        assert_eq!(topics[0].attr("total_diff"), &Value::from(30));
        assert_eq!(topics[1].attr("last_timestamp"), &Value::from(0));
        let idle = as_value(&ConsumerProgress::default());
        assert_eq!(idle.attr("total_diff"), &Value::from(0));
        assert_eq!(idle.attr("topics"), &Value::List(vec![]));
    }
}
