//! Action `alikafka_consumer_offset_reset` (Terraform 1.14+): moves a consumer group's
//! committed offsets on one topic (UpdateConsumerOffset) to the earliest retained message,
//! the latest offset, the first message at or after a time, or given offsets per
//! partition. Run by `terraform apply -invoke=action.alikafka_consumer_offset_reset.NAME`
//! or from a resource's `lifecycle { action_trigger { ... } }`.
//!
//! Checked before anything runs: exactly one of `to`, `timestamp` and `offsets`, each in
//! its form (validate), and at plan time the partitions named in `offsets` against the
//! topic when it is listed already. The service refuses a reset while the group has
//! consumers connected; that refusal, and every other, is a diagnostic naming what to do.
//! A reset is not repeated after an attempt whose answer was lost (consumers may have
//! resumed from the reset point since): the error says so, and the group's progress
//! tells. After a reset the action reports each partition's committed offset and lag
//! from GetConsumerProgress.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::Instant;

use super::data_source_common::{instance_id_attribute, read_error};
use super::{diag, support, Shared};
use crate::api::{
    ApiError, GetConsumerProgressRequest, OffsetReset, PartitionOffset, UpdateConsumerOffsetRequest,
};
use crate::tfplugin::cty::Type;
use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::one_of;
use crate::tfplugin::framework::{cancelled, Action, ActionProgress, Context};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub const TYPE_NAME: &str = "alikafka_consumer_offset_reset";

/// The code the service answers while the group has consumers connected.
pub const GROUP_ONLINE: &str = "BIZ_CONSUMER_GROUP_ONLINE";

/// How long a reset may take, waits for a turn under the rate limits included.
const TIME_LIMIT: Duration = Duration::from_secs(5 * 60);

/// The three ways of saying where the offsets go; exactly one is set.
const TARGETS: [&str; 3] = ["to", "timestamp", "offsets"];

pub struct ConsumerOffsetResetAction {
    shared: Shared,
}

impl ConsumerOffsetResetAction {
    pub fn new(shared: Shared) -> ConsumerOffsetResetAction {
        ConsumerOffsetResetAction { shared }
    }
}

#[derive(Deserialize)]
struct Config {
    instance_id: String,
    consumer_id: String,
    topic: String,
}

/// Where the offsets go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Earliest,
    Latest,
    /// Milliseconds since the epoch, and the time as written.
    Time(i64, String),
    Offsets(Vec<PartitionOffset>),
}

impl Target {
    fn reset(&self) -> OffsetReset {
        match self {
            Target::Earliest => OffsetReset::Timestamp(OffsetReset::EARLIEST),
            Target::Latest => OffsetReset::Timestamp(OffsetReset::LATEST),
            Target::Time(ms, _) => OffsetReset::Timestamp(*ms),
            Target::Offsets(offsets) => OffsetReset::Offsets(offsets.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Earliest => "the earliest retained message".to_owned(),
            Target::Latest => "the latest offset (skipping every message not read yet)".to_owned(),
            Target::Time(_, text) => format!("the first message at or after {text}"),
            Target::Offsets(offsets) => {
                let each: Vec<String> = offsets
                    .iter()
                    .map(|o| format!("partition {} to {}", o.partition, o.offset))
                    .collect();
                format!("given offsets ({})", each.join(", "))
            }
        }
    }
}

fn at(attribute: &str) -> AttributePath {
    AttributePath::attr(attribute)
}

/// Milliseconds since the epoch of an RFC 3339 time, or why it is not one.
fn parse_time(text: &str) -> Result<i64, String> {
    let time = chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        format!(
            "{text:?} is not an RFC 3339 time such as \"2025-03-01T08:00:00Z\" ({e}); Terraform's \
             timestamp() and timeadd() give one"
        )
    })?;
    let ms = time.timestamp_millis();
    if ms < 0 {
        return Err(format!("{text:?} is before 1970: no message is older"));
    }
    Ok(ms)
}

/// The `offsets` map as partitions and offsets; each problem at its key. `None` while a
/// part is unknown.
fn parse_offsets(value: &Value) -> Result<Option<Vec<PartitionOffset>>, Diagnostics> {
    let Value::Map(entries) = value else {
        return Ok(None);
    };
    let mut diagnostics = Diagnostics::new();
    if entries.is_empty() {
        diagnostics.push(
            Diagnostic::error(
                "No offsets given",
                "offsets maps partition numbers to the offsets to reset them to, such as \
                 { \"0\" = 1200, \"1\" = 950 }; it must name at least one partition.",
            )
            .at(at("offsets")),
        );
    }
    let mut out = Vec::new();
    let mut known = true;
    for (key, offset) in entries {
        let path = at("offsets").key(key.as_str());
        let partition = key.trim().parse::<i32>().ok().filter(|p| *p >= 0);
        let Some(partition) = partition else {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid partition",
                    format!(
                        "{key:?} is not a partition number: keys of offsets are partitions, \
                         0 for the first."
                    ),
                )
                .at(path),
            );
            continue;
        };
        if offset.is_unknown() {
            known = false;
            continue;
        }
        match offset.as_i64().filter(|o| *o >= 0) {
            Some(offset) => out.push(PartitionOffset { partition, offset }),
            None => diagnostics.push(
                Diagnostic::error(
                    "Invalid offset",
                    format!(
                        "The offset of partition {partition} must be a whole number, 0 or \
                         more (an offset past the end of the partition moves to its end)."
                    ),
                )
                .at(path),
            ),
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    out.sort_by_key(|o| o.partition);
    Ok(known.then_some(out))
}

/// The target the configuration gives, with every problem at its attribute. `Ok(None)`
/// while a value is unknown (planned from other resources).
fn target(config: &Value) -> Result<Option<Target>, Diagnostics> {
    let set: Vec<&str> = TARGETS
        .into_iter()
        .filter(|name| !config.attr(name).is_null())
        .collect();
    match set.as_slice() {
        [] => {
            return Err(Diagnostic::error(
                "Where should the offsets go?",
                "Set one of to (\"earliest\" or \"latest\"), timestamp (an RFC 3339 time) or \
                 offsets (offsets by partition).",
            )
            .into())
        }
        [_] => {}
        [first, second, ..] => {
            return Err(Diagnostic::error(
                "Conflicting reset targets",
                format!(
                    "{first} and {second} are both set: set only one of to, timestamp and \
                     offsets."
                ),
            )
            .at(at(second))
            .into())
        }
    }
    let value = config.attr(set[0]);
    if value.is_unknown() {
        return Ok(None);
    }
    match set[0] {
        "to" => Ok(match value.as_str() {
            Some("earliest") => Some(Target::Earliest),
            Some("latest") => Some(Target::Latest),
            // The validator reports anything else.
            _ => None,
        }),
        "timestamp" => {
            let text = value.as_str().unwrap_or_default();
            match parse_time(text) {
                Ok(ms) => Ok(Some(Target::Time(ms, text.trim().to_owned()))),
                Err(message) => Err(Diagnostic::error("Invalid timestamp", message)
                    .at(at("timestamp"))
                    .into()),
            }
        }
        _ => Ok(parse_offsets(value)?.map(Target::Offsets)),
    }
}

/// Partitions named in `offsets` that the topic lacks, at their keys.
fn partitions_beyond(offsets: &[PartitionOffset], topic: &str, count: i64) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for o in offsets.iter().filter(|o| i64::from(o.partition) >= count) {
        diagnostics.push(
            Diagnostic::error(
                "No such partition",
                format!(
                    "Topic {topic} has {count} partitions, numbered 0 to {}: it has no \
                     partition {}.",
                    count - 1,
                    o.partition
                ),
            )
            .at(at("offsets").key(o.partition.to_string())),
        );
    }
    diagnostics
}

/// A refused or failed reset as a diagnostic.
fn reset_failed(error: &ApiError, config: &Config, region: &str) -> Diagnostics {
    let (group, topic) = (&config.consumer_id, &config.topic);
    if support::stopped(error) {
        return cancelled();
    }
    if error.code == GROUP_ONLINE {
        return Diagnostic::error(
            format!("Consumer group {group} has consumers connected"),
            format!(
                "The service resets a group's offsets only while none of its consumers is \
                 connected ({error}). Stop every consumer of {group} — a consumer counts as \
                 stopped once its session has timed out, so wait for session.timeout.ms after \
                 stopping it — then run the action again; the consumers resume from the reset \
                 offsets when they start."
            ),
        )
        .at(at("consumer_id"))
        .into();
    }
    if error.outcome_uncertain {
        return Diagnostic::error(
            format!("Cannot tell whether the offsets of {group} on {topic} were reset"),
            format!(
                "{error}. The request may have been carried out; it is not sent again, since \
                 consumers may have resumed from the reset offsets since. Look at the group's \
                 offsets (data source alikafka_consumer_progress) before running the action \
                 again."
            ),
        )
        .into();
    }
    let summary = format!("Cannot reset the offsets of consumer group {group} on topic {topic}");
    if error.is_not_found() {
        return read_error(
            summary,
            error,
            region,
            &["instance_id", "topic", "consumer_id"],
        );
    }
    diag::api_error_in(summary, error, region).into()
}

#[async_trait]
impl Action for ConsumerOffsetResetAction {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            instance_id_attribute("that holds the group and the topic"),
            Attribute::string("consumer_id")
                .required()
                .validator(support::kafka_name)
                .markdown_description("The consumer group whose offsets are reset."),
            Attribute::string("topic")
                .required()
                .validator(support::kafka_name)
                .markdown_description(
                    "The topic on which the group's offsets are reset; its other topics keep \
                     theirs.",
                ),
            Attribute::string("to")
                .optional()
                .validator(one_of(&["earliest", "latest"]))
                .markdown_description(
                    "`earliest` (the oldest message the topic retains: every message is read \
                     again) or `latest` (the end of each partition: messages not read yet are \
                     skipped).",
                ),
            Attribute::string("timestamp")
                .optional()
                .markdown_description(
                    "An RFC 3339 time, such as `\"2025-03-01T08:00:00Z\"` (`timestamp()` and \
                     `timeadd()` give one): each partition goes to its first message at or \
                     after it, or to its end when there is none.",
                ),
            Attribute::new("offsets", Type::map(Type::Number))
                .optional()
                .markdown_description(
                    "Offsets by partition, such as `{ \"0\" = 1200, \"1\" = 950 }`: each listed \
                     partition goes to its offset (past either end of the partition, to that \
                     end); the others keep theirs. Partitions the topic lacks are an error at \
                     plan time.",
                ),
        ])
        .description(Description::markdown(
            "Resets a consumer group's committed offsets on a topic (`UpdateConsumerOffset`) \
             to the earliest or latest message, a point in time, or given offsets. Set exactly \
             one of `to`, `timestamp` and `offsets`. The service refuses while any consumer \
             of the group is connected.",
        ))
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        match target(config) {
            Ok(_) => Diagnostics::new(),
            Err(diagnostics) => diagnostics,
        }
    }

    /// Offsets for partitions the topic lacks, when the topic is listed already (a topic
    /// created in the same apply is checked by the service when the action runs).
    async fn plan(&self, ctx: &Context, config: &Value) -> Diagnostics {
        let Ok(Some(Target::Offsets(offsets))) = target(config) else {
            return Diagnostics::new();
        };
        let (Some(instance_id), Some(topic), Ok(kafka)) = (
            config.attr("instance_id").as_str(),
            config.attr("topic").as_str(),
            self.shared.kafka(),
        ) else {
            return Diagnostics::new();
        };
        let listed = match ctx.run(kafka.topics(instance_id)).await {
            Ok(Ok(topics)) => topics,
            _ => return Diagnostics::new(),
        };
        match listed.iter().find(|t| t.topic == topic) {
            Some(t) => match t.partition_num {
                Some(count) => partitions_beyond(&offsets, topic, count),
                None => Diagnostics::new(),
            },
            None => Diagnostics::new(),
        }
    }

    async fn invoke(
        &self,
        ctx: &Context,
        config: &Value,
        progress: &ActionProgress,
    ) -> Result<(), Diagnostics> {
        let Some(target) = target(config)? else {
            return Err(Diagnostics::error(
                "Reset target not known",
                "A value of to, timestamp or offsets is still unknown when the action runs.",
            ));
        };
        let c: Config = ctx.decode(config)?;
        let kafka = self.shared.kafka()?;
        let (group, topic, instance) = (&c.consumer_id, &c.topic, &c.instance_id);
        progress
            .send(format!(
                "Resetting the offsets of consumer group {group} on topic {topic} (instance \
                 {instance}) to {}",
                target.describe()
            ))
            .await;
        let request = UpdateConsumerOffsetRequest {
            instance_id: instance.clone(),
            consumer_id: group.clone(),
            topic: topic.clone(),
            reset: target.reset(),
        };
        let deadline = Instant::now() + TIME_LIMIT;
        kafka
            .client()
            .call_stoppable(&request, Some(deadline), ctx.cancellation_token())
            .await
            .map_err(|e| reset_failed(&e, &c, kafka.region()))?;

        let asked = GetConsumerProgressRequest {
            instance_id: instance.clone(),
            consumer_id: group.clone(),
        };
        let read = kafka
            .client()
            .get_consumer_progress(&asked, Some(deadline))
            .await;
        let partitions = match read {
            Ok(answer) => answer
                .consumer_progress
                .topics
                .into_iter()
                .find(|t| &t.topic == topic)
                .map(|t| t.offsets)
                .unwrap_or_default(),
            Err(e) => {
                ctx.report(Diagnostic::warning(
                    format!("Offsets of {group} on {topic} reset, but not read back"),
                    format!("The reset was accepted; reading the group's progress failed: {e}."),
                ));
                return Ok(());
            }
        };
        let mut partitions: Vec<_> = partitions
            .iter()
            .filter_map(|p| {
                Some((
                    p.partition?,
                    p.consumer_offset.unwrap_or(0),
                    p.broker_offset,
                ))
            })
            .collect();
        partitions.sort();
        let each: Vec<String> = partitions
            .iter()
            .map(|(partition, offset, end)| match end {
                Some(end) => format!(
                    "partition {partition} at {offset} (lag {})",
                    end.saturating_sub(*offset).max(0)
                ),
                None => format!("partition {partition} at {offset}"),
            })
            .collect();
        let summary = if each.is_empty() {
            "the service reports no committed offsets on the topic yet".to_owned()
        } else {
            each.join(", ")
        };
        progress
            .send(format!(
                "Consumer group {group} on topic {topic}: {summary}"
            ))
            .await;
        Ok(())
    }
}

#[cfg(test)]
#[path = "action_consumer_offset_reset_test.rs"]
mod tests;
