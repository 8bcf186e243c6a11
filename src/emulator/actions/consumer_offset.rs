//! UpdateConsumerOffset (2019-09-16): moves a consumer group's committed offsets, by time
//! (`ResetType=timestamp`, the default: `Time` in ms, `-1` the latest offset, `-2` the
//! earliest) or to given offsets (`ResetType=offset`, `Offsets` as JSON
//! `[{"Partition":0,"Offset":5}]`, one topic). `Topic=""` means every topic the group has
//! offsets on. The service refuses while the group has live consumers ("stop all
//! consumers; a consumer counts as stopped once its session has timed out"), and so does
//! the emulator, with the group coordinator of its Kafka listener as the judge.

use std::sync::Arc;

use serde::Deserialize;

use super::{caller_instance, normalize_name, require_running};
use crate::emulator::errors::ApiError;
use crate::emulator::kafka::batch;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::{data, groups, kafka_log, topics};

type Fields = Vec<(&'static str, Node)>;

#[derive(Deserialize)]
struct PartitionOffset {
    #[serde(rename = "Partition")]
    partition: i64,
    #[serde(rename = "Offset")]
    offset: i64,
}

enum Reset {
    /// -1 latest, -2 earliest, else a time in ms.
    Time(i64),
    Offsets(Vec<PartitionOffset>),
}

fn group_online(group: &str) -> ApiError {
    ApiError::new(
        "BIZ_CONSUMER_GROUP_ONLINE",
        400,
        format!(
            "The consumer group {group} has online consumers: stop them (and wait for their sessions to time out) before resetting its offsets."
        ),
    )
}

fn parse_reset(p: &Params<'_>, topic: &str) -> Result<Reset, ApiError> {
    match p.optional("ResetType").unwrap_or("timestamp") {
        "timestamp" => {
            let time = p.required("Time")?;
            match time.trim().parse::<i64>() {
                Ok(t) if t >= -2 => Ok(Reset::Time(t)),
                _ => Err(ApiError::field_invalid(
                    "Time",
                    "the value must be -1 (latest), -2 (earliest) or a time in milliseconds",
                )),
            }
        }
        "offset" => {
            if topic.is_empty() {
                return Err(ApiError::field_invalid(
                    "Topic",
                    "an offset reset names one topic",
                ));
            }
            let offsets: Vec<PartitionOffset> = serde_json::from_str(p.required("Offsets")?)
                .map_err(|_| {
                    ApiError::field_invalid(
                        "Offsets",
                        "the value must be a JSON list of {\"Partition\": n, \"Offset\": n}",
                    )
                })?;
            if offsets.is_empty() {
                return Err(ApiError::field_invalid("Offsets", "no partition given"));
            }
            Ok(Reset::Offsets(offsets))
        }
        _ => Err(ApiError::field_invalid(
            "ResetType",
            "the value must be timestamp or offset",
        )),
    }
}

/// The offset a time reset gives one partition.
fn offset_at(
    conn: &rusqlite::Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
    time: i64,
) -> Result<i64, ApiError> {
    let bounds = kafka_log::bounds(conn, instance_id, topic, partition)?;
    Ok(match time {
        -1 => bounds.end,
        -2 => bounds.start,
        ts => match kafka_log::first_batch_at_or_after(conn, instance_id, topic, partition, ts)? {
            None => bounds.end,
            Some(found) => found
                .bytes
                .and_then(|b| batch::first_record_at_or_after(&b, ts))
                .map_or(found.start, |(offset, _)| offset),
        },
    })
}

pub async fn update(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let group = normalize_name("ConsumerId", p.required("ConsumerId")?)?;
    let topic_param = p.required("Topic")?;
    let topic = if topic_param.is_empty() {
        String::new()
    } else {
        normalize_name("Topic", topic_param)?
    };
    let reset = parse_reset(p, &topic)?;
    require_running(instance)?;
    let instance_id = instance.id().to_string();
    if app.kafka.groups.has_members(&instance_id, &group) {
        return Err(group_online(&group));
    }
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            groups::find(&tx, &instance_id, &group, now)?
                .filter(|g| g.is_visible(now) && !g.is_deleted())
                .ok_or_else(|| ApiError::subscription_not_found(&group))?;
            let names: Vec<String> = if topic.is_empty() {
                data::group_offsets(&tx, &instance_id, &group)?
                    .into_iter()
                    .map(|(t, _)| t)
                    .collect()
            } else {
                vec![topic.clone()]
            };
            for name in names {
                let Some(record) = topics::find(&tx, &instance_id, &name, now)?
                    .filter(|t| t.is_visible(now) && !t.is_deleted())
                else {
                    if topic.is_empty() {
                        continue; // a deleted topic the group once read
                    }
                    return Err(ApiError::topic_not_found(&name));
                };
                let targets: Vec<(i64, i64)> = match &reset {
                    Reset::Time(time) => (0..record.partition_num)
                        .map(|partition| {
                            offset_at(&tx, &instance_id, &name, partition, *time)
                                .map(|o| (partition, o))
                        })
                        .collect::<Result<_, _>>()?,
                    Reset::Offsets(given) => given
                        .iter()
                        .map(|po| {
                            if !(0..record.partition_num).contains(&po.partition) {
                                return Err(ApiError::field_invalid(
                                    "Offsets",
                                    "a partition is not in the topic",
                                ));
                            }
                            // Past either end of the log, the offset is moved to that end.
                            let bounds = kafka_log::bounds(&tx, &instance_id, &name, po.partition)?;
                            Ok((po.partition, po.offset.clamp(bounds.start, bounds.end)))
                        })
                        .collect::<Result<_, _>>()?,
                };
                for (partition, offset) in targets {
                    kafka_log::commit_offset(
                        &tx,
                        &instance_id,
                        &group,
                        &name,
                        partition,
                        offset,
                        "",
                        now,
                    )?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}
