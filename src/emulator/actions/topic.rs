//! Topic actions: CreateTopic, GetTopicList, GetTopicStatus, DeleteTopic,
//! ModifyTopicRemark, ModifyPartitionNum, UpdateTopicConfig, GetTopicSubscribeStatus.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::tag::{tag_list_node, TOPIC};
use super::topic_config;
use super::{
    caller_instance, normalize_name_in, require_running, tags_param, validate_remark,
    DEFAULT_PARTITIONS, PARTITIONS_MAX, PARTITIONS_MIN,
};
use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::{self, data, groups, kafka_log, tags, topics};

type Fields = Vec<(&'static str, Node)>;

/// GetTopicList's largest page, and its default in the guide's version.
const MAX_PAGE_SIZE: i64 = 10_000;
/// GetTopicList's default page in API version 2019-09-16 (its SDK documents 10).
const DEFAULT_PAGE_SIZE_2019: i64 = 10;
/// Replicas of a local-storage topic: 1 to 3 (the default 3).
const REPLICAS_MAX: i64 = 3;
/// StatusName for Status 0 ("in service"), as the service spells it.
const STATUS_IN_SERVICE: &str = "服务中";

fn partition_count(p: &Params<'_>) -> Result<i64, ApiError> {
    let Some(raw) = p.optional("PartitionNum") else {
        return Ok(DEFAULT_PARTITIONS);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (PARTITIONS_MIN..=PARTITIONS_MAX).contains(&n) => Ok(n),
        _ => Err(ApiError::field_invalid(
            "PartitionNum",
            "the value must be an integer from 1 to 360",
        )),
    }
}

fn replica_count(p: &Params<'_>, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(raw) = p.optional(name) else {
        return Ok(None);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=REPLICAS_MAX).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::field_invalid(
            name,
            "the value must be an integer from 1 to 3",
        )),
    }
}

/// Replication of a new topic: (replicas, minimum in-sync replicas). Config,
/// ReplicationFactor and MinInsyncReplicas "take effect only when LocalTopic is true": a
/// cloud-storage topic takes the defaults whatever they say (they are still validated).
fn replication(p: &Params<'_>, local_topic: bool) -> Result<(i64, i64), ApiError> {
    let factor = replica_count(p, "ReplicationFactor")?;
    let min_isr = replica_count(p, "MinInsyncReplicas")?;
    let effective_factor = factor.filter(|_| local_topic).unwrap_or(REPLICAS_MAX);
    if let Some(isr) = min_isr.filter(|_| local_topic) {
        if isr >= effective_factor {
            return Err(ApiError::field_invalid(
                "MinInsyncReplicas",
                "the value must be less than the replication factor",
            ));
        }
        return Ok((effective_factor, isr));
    }
    Ok((effective_factor, (effective_factor - 1).max(1)))
}

pub async fn create(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let topic = normalize_name_in(p, "Topic", p.required("Topic")?)?;
    let remark = validate_remark(p.required("Remark")?)?;
    let partition_num = partition_count(p)?;
    let local_topic = p.optional_bool("LocalTopic")?.unwrap_or(false);
    let compact_topic = p.optional_bool("CompactTopic")?.unwrap_or(false);
    if compact_topic && !local_topic {
        return Err(ApiError::field_invalid(
            "CompactTopic",
            "compaction is only available for local-storage topics",
        ));
    }
    let config = match p.optional("Config") {
        Some(text) => topic_config::parse_config_param(text)?,
        None => BTreeMap::new(),
    };
    let config = if local_topic { config } else { BTreeMap::new() };
    let (replication_factor, min_insync_replicas) = replication(p, local_topic)?;
    let tags = tags_param(p)?;
    require_running(instance)?;
    let (instance_id, quota) = (
        instance.id().to_string(),
        i64::from(instance.config.topic_quota),
    );
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            storage::purge_gone(&tx, &instance_id, now)?;
            if topics::find(&tx, &instance_id, &topic, now)?.is_some() {
                return Err(ApiError::topic_existed(&topic));
            }
            if topics::count(&tx, &instance_id, now)? >= quota {
                return Err(ApiError::topic_quota_exceeded(quota as u32));
            }
            let new = topics::NewTopic {
                topic: &topic,
                remark: &remark,
                partition_num,
                local_topic,
                compact_topic,
                config: &config,
                replication_factor,
                min_insync_replicas,
            };
            topics::insert(&tx, &instance_id, &new, now, now.saturating_add(delay))?;
            tags::set(&tx, &instance_id, TOPIC, &topic, &tags)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

pub async fn list(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let current_page = p.optional_i64("CurrentPage")?.unwrap_or(1);
    if current_page < 1 {
        return Err(ApiError::invalid_parameter("CurrentPage"));
    }
    let default_page = if p.is_2019() {
        DEFAULT_PAGE_SIZE_2019
    } else {
        MAX_PAGE_SIZE
    };
    let page_size = p.optional_i64("PageSize")?.unwrap_or(default_page);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ApiError::invalid_parameter("PageSize"));
    }
    let filter = p.optional("Topic").map(str::to_string);
    let (instance_id, region) = (instance.id().to_string(), instance.region().to_string());
    let offset = (current_page - 1).saturating_mul(page_size);
    let (total, rows, mut topic_tags) = app
        .db
        .run(move |conn| {
            let (total, rows) = topics::list_visible(
                conn,
                &instance_id,
                filter.as_deref(),
                offset,
                page_size,
                now_ms(),
            )?;
            Ok((total, rows, tags::of_type(conn, &instance_id, TOPIC)?))
        })
        .await?;
    let newer = p.is_2019();
    let items = rows
        .into_iter()
        .map(|t| {
            let mut fields = vec![
                ("Topic", Node::str(t.topic.as_str())),
                ("InstanceId", Node::str(instance.id())),
                ("RegionId", Node::str(region.as_str())),
                ("Remark", Node::str(t.remark.as_str())),
                ("PartitionNum", Node::Int(t.partition_num)),
                ("CreateTime", Node::Int(t.create_time_ms)),
                ("Status", Node::Int(t.status)),
                ("StatusName", Node::str(STATUS_IN_SERVICE)),
                ("CompactTopic", Node::Bool(t.compact_topic)),
                ("LocalTopic", Node::Bool(t.local_topic)),
            ];
            if newer {
                fields.push(("AutoCreate", Node::Bool(t.auto_create)));
                fields.push((
                    "TopicConfig",
                    Node::Str(topic_config::reported_text(instance, &t)),
                ));
                let tags = topic_tags.remove(&t.topic).unwrap_or_default();
                fields.push(("Tags", tag_list_node(tags)));
            }
            Node::Obj(fields)
        })
        .collect();
    Ok(vec![
        ("CurrentPage", Node::Int(current_page)),
        ("PageSize", Node::Int(page_size)),
        ("Total", Node::Int(total)),
        ("TopicList", Node::Obj(vec![("TopicVO", Node::List(items))])),
    ])
}

pub async fn status(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, true)?;
    let topic = normalize_name_in(p, "Topic", p.required("Topic")?)?;
    let instance_id = instance.id().to_string();
    let (record, stats, starts) = app
        .db
        .run(move |conn| {
            let now = now_ms();
            let record = topics::find(conn, &instance_id, &topic, now)?
                .filter(|t| t.is_visible(now))
                .ok_or_else(|| ApiError::topic_not_found(&topic))?;
            let stats = data::partition_stats(conn, &instance_id, &topic)?;
            // The log start moves up as retention deletes old messages.
            let starts = (0..record.partition_num)
                .map(|p| kafka_log::bounds(conn, &instance_id, &topic, p).map(|b| b.start))
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok((record, stats, starts))
        })
        .await?;
    let mut total = 0i64;
    let mut last = 0i64;
    let table = (0..record.partition_num)
        .zip(starts)
        .map(|(partition, start)| {
            let s = stats.get(&partition).copied().unwrap_or_default();
            total = total.saturating_add(s.max_offset.saturating_sub(start));
            last = last.max(s.last_timestamp_ms);
            Node::Obj(vec![
                ("Topic", Node::str(record.topic.as_str())),
                ("Partition", Node::Int(partition)),
                ("MinOffset", Node::Int(start)),
                ("MaxOffset", Node::Int(s.max_offset)),
                ("LastUpdateTimestamp", Node::Int(s.last_timestamp_ms)),
            ])
        })
        .collect();
    Ok(vec![(
        "TopicStatus",
        Node::Obj(vec![
            ("TotalCount", Node::Int(total)),
            ("LastTimeStamp", Node::Int(last)),
            (
                "OffsetTable",
                Node::Obj(vec![("OffsetTable", Node::List(table))]),
            ),
        ]),
    )])
}

/// Runs `change` on a topic that exists in the true state and is not deleted.
async fn with_live_topic<F>(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
    change: F,
) -> Result<Fields, ApiError>
where
    F: FnOnce(&rusqlite::Transaction<'_>, &str, &topics::TopicRecord, i64) -> Result<(), ApiError>
        + Send
        + 'static,
{
    let instance = caller_instance(app, caller, p, false)?;
    let topic = normalize_name_in(p, "Topic", p.required("Topic")?)?;
    require_running(instance)?;
    let instance_id = instance.id().to_string();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let record = topics::find(&tx, &instance_id, &topic, now)?
                .filter(|t| !t.is_deleted())
                .ok_or_else(|| ApiError::topic_not_found(&topic))?;
            change(&tx, &instance_id, &record, now)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

pub async fn delete(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let delay = app.settings.visibility_delay_ms();
    with_live_topic(app, caller, p, move |tx, instance_id, record, now| {
        topics::mark_deleted(
            tx,
            instance_id,
            &record.topic,
            now,
            now.saturating_add(delay),
        )?;
        Ok(())
    })
    .await
}

pub async fn modify_remark(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Fields, ApiError> {
    let remark = validate_remark(p.required("Remark")?)?;
    with_live_topic(app, caller, p, move |tx, instance_id, record, _| {
        topics::set_remark(tx, instance_id, &record.topic, &remark)?;
        Ok(())
    })
    .await
}

pub async fn modify_partitions(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Fields, ApiError> {
    let add = match p.required("AddPartitionNum")?.trim().parse::<i64>() {
        Ok(n) if n >= 1 => n,
        _ => {
            return Err(ApiError::field_invalid(
                "AddPartitionNum",
                "the value must be a positive integer",
            ))
        }
    };
    with_live_topic(app, caller, p, move |tx, instance_id, record, _| {
        let total = record.partition_num.saturating_add(add);
        if total > PARTITIONS_MAX {
            return Err(ApiError::field_invalid(
                "AddPartitionNum",
                "a topic can have at most 360 partitions",
            ));
        }
        topics::set_partition_num(tx, instance_id, &record.topic, total)?;
        Ok(())
    })
    .await
}

/// UpdateTopicConfig: one documented key of a local-storage topic.
pub async fn update_config(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Fields, ApiError> {
    let key = p.required("Config")?.to_string();
    let value = topic_config::validate(&key, p.required("Value")?)?;
    with_live_topic(app, caller, p, move |tx, instance_id, record, _| {
        if !record.local_topic {
            return Err(topic_config::cloud_topic_not_configurable());
        }
        let mut config = record.config.clone();
        config.insert(key, value);
        topics::set_config(tx, instance_id, &record.topic, &config)?;
        Ok(())
    })
    .await
}

/// GetTopicSubscribeStatus: the visible groups that have consumed (committed offsets on)
/// the visible topic.
pub async fn subscribe_status(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let topic = normalize_name_in(p, "Topic", p.required("Topic")?)?;
    let instance_id = instance.id().to_string();
    let (topic, subscribed) = app
        .db
        .run(move |conn| {
            let now = now_ms();
            topics::find(conn, &instance_id, &topic, now)?
                .filter(|t| t.is_visible(now))
                .ok_or_else(|| ApiError::topic_not_found(&topic))?;
            let mut subscribed = Vec::new();
            for group in groups::list_visible(conn, &instance_id, now)? {
                let consumed = data::group_offsets(conn, &instance_id, &group.consumer_id)?
                    .iter()
                    .any(|(t, _)| *t == topic);
                if consumed {
                    subscribed.push(group.consumer_id);
                }
            }
            Ok((topic, subscribed))
        })
        .await?;
    Ok(vec![(
        "TopicSubscribeStatus",
        Node::Obj(vec![
            ("Topic", Node::Str(topic)),
            (
                "ConsumerGroups",
                Node::List(subscribed.into_iter().map(Node::Str).collect()),
            ),
        ]),
    )])
}
