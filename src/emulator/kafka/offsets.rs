//! OffsetCommit and OffsetFetch, on the committed offsets GetConsumerProgress reads. Only
//! consumer groups the management API holds can commit (or, with the instance's
//! `AutoCreateGroupEnable` on, any valid name, created on first use); the service answers
//! others with GROUP_AUTHORIZATION_FAILED, which is what clients of alikafka report for a
//! group nobody created.

use std::collections::HashMap;

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponsePartition, OffsetFetchResponseTopic,
};
use kafka_protocol::messages::{
    OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use rusqlite::Connection;

use super::conn::Ctx;
use super::metadata::live_topic;
use super::security::{Operation, Resource};
use crate::emulator::actions::{NAME_MAX, NAME_MIN};
use crate::emulator::state::now_ms;
use crate::emulator::storage::{groups, kafka_log};

/// Longest offset metadata kept (Kafka's `offset.metadata.max.bytes`).
const MAX_METADATA: usize = 4096;

/// Whether the group may be used by Kafka clients: it exists in the management API (and is
/// visible and not deleted), or is created now because the instance allows that.
pub fn group_usable(
    conn: &Connection,
    instance_id: &str,
    group: &str,
    auto_create: bool,
) -> rusqlite::Result<bool> {
    let now = now_ms();
    if let Some(existing) = groups::find(conn, instance_id, group, now)? {
        return Ok(existing.is_visible(now) && !existing.is_deleted());
    }
    let valid = (NAME_MIN..=NAME_MAX).contains(&group.len())
        && group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !(auto_create && valid) {
        return Ok(false);
    }
    groups::insert(conn, instance_id, group, "", now, now)?;
    tracing::info!(
        instance = instance_id,
        group,
        "consumer group created automatically"
    );
    Ok(true)
}

/// The instance's `AutoCreateGroupEnable`.
pub fn auto_create_groups(ctx: &Ctx) -> bool {
    ctx.instance()
        .is_some_and(|i| i.config.auto_create_group_enable)
}

pub async fn commit(ctx: &Ctx, version: i16, request: OffsetCommitRequest) -> OffsetCommitResponse {
    let instance_id = ctx.instance_id().to_string();
    let group = request.group_id.0.to_string();
    let auto = auto_create_groups(ctx);
    let may_group = ctx.allowed(Operation::Read, Resource::Group(&group));
    // Per topic: may read, and (partition, offset, metadata) to commit.
    type Commits = Vec<(String, bool, Vec<(i32, i64, String)>)>;
    let wanted: Commits = request
        .topics
        .iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let may = ctx.allowed(Operation::Read, Resource::Topic(&name));
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let metadata = p
                        .committed_metadata
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_default();
                    (p.partition_index, p.committed_offset, metadata)
                })
                .collect();
            (name, may, partitions)
        })
        .collect();
    // v0 commits are outside group management; later ones name the member and generation.
    let (member_id, generation) = if version == 0 {
        (String::new(), -1)
    } else {
        (
            request.member_id.to_string(),
            request.generation_id_or_member_epoch,
        )
    };
    let groups = std::sync::Arc::clone(&ctx.app.kafka.groups);
    let result = ctx
        .app
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let group_error = if !may_group || !group_usable(&tx, &instance_id, &group, auto)? {
                Some(ResponseError::GroupAuthorizationFailed.code())
            } else {
                groups
                    .validate_commit(&instance_id, &group, &member_id, generation)
                    .err()
            };
            let now = now_ms();
            let mut out = Vec::new();
            for (topic, may, partitions) in wanted {
                let record = live_topic(&tx, &instance_id, &topic, now)?;
                let mut codes = Vec::new();
                for (partition, offset, metadata) in partitions {
                    let code = if let Some(code) = group_error {
                        code
                    } else if !may {
                        ResponseError::TopicAuthorizationFailed.code()
                    } else if !record
                        .as_ref()
                        .is_some_and(|r| (0..r.partition_num).contains(&i64::from(partition)))
                    {
                        ResponseError::UnknownTopicOrPartition.code()
                    } else if metadata.len() > MAX_METADATA {
                        ResponseError::OffsetMetadataTooLarge.code()
                    } else {
                        kafka_log::commit_offset(
                            &tx,
                            &instance_id,
                            &group,
                            &topic,
                            i64::from(partition),
                            offset,
                            &metadata,
                            now,
                        )?;
                        0
                    };
                    codes.push((partition, code));
                }
                out.push((topic, codes));
            }
            tx.commit()?;
            Ok(out)
        })
        .await
        .unwrap_or_default();
    let mut response = OffsetCommitResponse::default();
    response.topics = result
        .into_iter()
        .map(|(topic, codes)| {
            let mut t = OffsetCommitResponseTopic::default();
            t.name = TopicName(StrBytes::from_string(topic));
            t.partitions = codes
                .into_iter()
                .map(|(partition, code)| {
                    let mut p = OffsetCommitResponsePartition::default();
                    p.partition_index = partition;
                    p.error_code = code;
                    p
                })
                .collect();
            t
        })
        .collect();
    response
}

pub async fn fetch(ctx: &Ctx, version: i16, request: OffsetFetchRequest) -> OffsetFetchResponse {
    let instance_id = ctx.instance_id().to_string();
    let group = request.group_id.0.to_string();
    let auto = auto_create_groups(ctx);
    let may_group = ctx.allowed(Operation::Describe, Resource::Group(&group));
    let wanted: Option<Vec<(String, Vec<i32>)>> = request.topics.map(|topics| {
        topics
            .into_iter()
            .map(|t| (t.name.0.to_string(), t.partition_indexes))
            .collect()
    });
    let outcome = ctx
        .app
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            if !may_group || !group_usable(&tx, &instance_id, &group, auto)? {
                tx.commit()?;
                return Ok(Err(ResponseError::GroupAuthorizationFailed.code()));
            }
            let committed = kafka_log::committed(&tx, &instance_id, &group)?;
            tx.commit()?;
            let mut by_topic: HashMap<String, HashMap<i64, (i64, String)>> = HashMap::new();
            let mut order = Vec::new();
            for c in committed {
                if !by_topic.contains_key(&c.topic) {
                    order.push(c.topic.clone());
                }
                by_topic
                    .entry(c.topic)
                    .or_default()
                    .insert(c.partition, (c.offset, c.metadata));
            }
            let wanted = wanted.unwrap_or_else(|| {
                order
                    .iter()
                    .map(|t| {
                        let mut partitions: Vec<i32> = by_topic[t]
                            .keys()
                            .filter_map(|p| i32::try_from(*p).ok())
                            .collect();
                        partitions.sort_unstable();
                        (t.clone(), partitions)
                    })
                    .collect()
            });
            Ok(Ok(wanted
                .into_iter()
                .map(|(topic, partitions)| {
                    let offsets = partitions
                        .into_iter()
                        .map(|p| {
                            let found = by_topic
                                .get(&topic)
                                .and_then(|m| m.get(&i64::from(p)))
                                .cloned();
                            (p, found)
                        })
                        .collect::<Vec<_>>();
                    (topic, offsets)
                })
                .collect::<Vec<_>>()))
        })
        .await
        .unwrap_or(Err(ResponseError::CoordinatorNotAvailable.code()));
    let mut response = OffsetFetchResponse::default();
    match outcome {
        Ok(topics) => {
            response.topics = topics
                .into_iter()
                .map(|(topic, partitions)| {
                    let mut t = OffsetFetchResponseTopic::default();
                    t.name = TopicName(StrBytes::from_string(topic));
                    t.partitions = partitions
                        .into_iter()
                        .map(|(partition, found)| {
                            let mut p = OffsetFetchResponsePartition::default();
                            p.partition_index = partition;
                            let (offset, metadata) = found.unwrap_or((-1, String::new()));
                            p.committed_offset = offset;
                            p.metadata = Some(StrBytes::from_string(metadata));
                            p
                        })
                        .collect();
                    t
                })
                .collect();
        }
        Err(code) => {
            if version >= 2 {
                response.error_code = code;
            } else {
                // v0/v1 have no top-level error: nothing to list.
                response.topics = Vec::new();
            }
        }
    }
    response
}
