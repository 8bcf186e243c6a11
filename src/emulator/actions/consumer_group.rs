//! Consumer group actions: CreateConsumerGroup, GetConsumerList, GetConsumerProgress,
//! DeleteConsumerGroup.

use std::sync::Arc;

use super::tag::{tag_list_node, CONSUMERGROUP};
use super::{caller_instance, normalize_name_in, require_running, tags_param, validate_remark};
use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::{self, data, groups, tags, topics};

/// GetConsumerList's largest page; also what a call without `PageSize` gets.
const MAX_PAGE_SIZE: i64 = 10_000;

type Fields = Vec<(&'static str, Node)>;

pub async fn create(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let group = normalize_name_in(p, "ConsumerId", p.required("ConsumerId")?)?;
    let remark = validate_remark(p.optional("Remark").unwrap_or(""))?;
    let tags = tags_param(p)?;
    require_running(instance)?;
    let (instance_id, quota) = (
        instance.id().to_string(),
        i64::from(instance.config.group_quota),
    );
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            storage::purge_gone(&tx, &instance_id, now)?;
            if groups::find(&tx, &instance_id, &group, now)?.is_some() {
                return Err(ApiError::subscription_existed(&group));
            }
            if groups::count(&tx, &instance_id, now)? >= quota {
                return Err(ApiError::subscription_quota_exceeded(quota as u32));
            }
            groups::insert(
                &tx,
                &instance_id,
                &group,
                &remark,
                now,
                now.saturating_add(delay),
            )?;
            tags::set(&tx, &instance_id, CONSUMERGROUP, &group, &tags)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

/// GetConsumerList. The guide's version answers the groups with their ids only; API
/// version 2019-09-16 adds Remark, CreateTime, AutomaticallyCreatedGroup and Tags, a
/// `ConsumerId` filter (names containing it) and paging (every group in one page when
/// `PageSize` is absent).
pub async fn list(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let instance_id = instance.id().to_string();
    let newer = p.is_2019();
    let (current_page, page_size, filter) = if newer {
        let current_page = p.optional_i64("CurrentPage")?.unwrap_or(1);
        if current_page < 1 {
            return Err(ApiError::invalid_parameter("CurrentPage"));
        }
        let page_size = p.optional_i64("PageSize")?.unwrap_or(MAX_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(ApiError::invalid_parameter("PageSize"));
        }
        (
            current_page,
            page_size,
            p.optional("ConsumerId").map(str::to_owned),
        )
    } else {
        (1, MAX_PAGE_SIZE, None)
    };
    let (rows, mut group_tags) = app
        .db
        .run(move |conn| {
            let rows = groups::list_visible(conn, &instance_id, now_ms())?;
            Ok((rows, tags::of_type(conn, &instance_id, CONSUMERGROUP)?))
        })
        .await?;
    let matching: Vec<groups::GroupRecord> = rows
        .into_iter()
        .filter(|g| filter.as_deref().is_none_or(|f| g.consumer_id.contains(f)))
        .collect();
    let total = matching.len() as i64;
    let skip = usize::try_from((current_page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
    let take = usize::try_from(page_size).unwrap_or(usize::MAX);
    let items = matching
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|g| {
            let mut fields = vec![
                ("ConsumerId", Node::str(g.consumer_id.as_str())),
                ("InstanceId", Node::str(instance.id())),
                ("RegionId", Node::str(instance.region())),
            ];
            if newer {
                fields.push(("Remark", Node::str(g.remark.as_str())));
                fields.push(("CreateTime", Node::Int(g.create_time_ms)));
                fields.push(("AutomaticallyCreatedGroup", Node::Bool(g.auto_created)));
                let tags = group_tags.remove(&g.consumer_id).unwrap_or_default();
                fields.push(("Tags", tag_list_node(tags)));
            }
            Node::Obj(fields)
        })
        .collect();
    let list = (
        "ConsumerList",
        Node::Obj(vec![("ConsumerVO", Node::List(items))]),
    );
    if !newer {
        return Ok(vec![list]);
    }
    Ok(vec![
        ("CurrentPage", Node::Int(current_page)),
        ("PageSize", Node::Int(page_size)),
        ("Total", Node::Int(total)),
        list,
    ])
}

/// One partition's progress: (partition, broker offset, consumer offset, last consumed time).
type PartitionProgress = (i64, i64, i64, i64);

pub async fn progress(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let group = normalize_name_in(p, "ConsumerId", p.required("ConsumerId")?)?;
    let instance_id = instance.id().to_string();
    let per_topic: Vec<(String, Vec<PartitionProgress>)> = app
        .db
        .run(move |conn| {
            let now = now_ms();
            groups::find(conn, &instance_id, &group, now)?
                .filter(|g| g.is_visible(now))
                .ok_or_else(|| ApiError::subscription_not_found(&group))?;
            let mut out = Vec::new();
            for (topic, committed) in data::group_offsets(conn, &instance_id, &group)? {
                let Some(record) =
                    topics::find(conn, &instance_id, &topic, now)?.filter(|t| t.is_visible(now))
                else {
                    continue;
                };
                let stats = data::partition_stats(conn, &instance_id, &topic)?;
                let mut partitions = Vec::new();
                for partition in 0..record.partition_num {
                    let broker = stats.get(&partition).map_or(0, |s| s.max_offset);
                    let consumer = committed.get(&partition).copied().unwrap_or(0);
                    let last = if consumer > 0 {
                        data::message_timestamp(
                            conn,
                            &instance_id,
                            &topic,
                            partition,
                            consumer - 1,
                        )?
                        .unwrap_or(0)
                    } else {
                        0
                    };
                    partitions.push((partition, broker, consumer, last));
                }
                out.push((topic, partitions));
            }
            Ok(out)
        })
        .await?;

    let (mut group_diff, mut group_last) = (0i64, 0i64);
    let topic_nodes = per_topic
        .into_iter()
        .map(|(topic, partitions)| {
            let (mut diff, mut last) = (0i64, 0i64);
            let offsets = partitions
                .into_iter()
                .map(|(partition, broker, consumer, ts)| {
                    diff = diff.saturating_add(broker.saturating_sub(consumer).max(0));
                    last = last.max(ts);
                    Node::Obj(vec![
                        ("Partition", Node::Int(partition)),
                        ("BrokerOffset", Node::Int(broker)),
                        ("ConsumerOffset", Node::Int(consumer)),
                        ("LastTimestamp", Node::Int(ts)),
                    ])
                })
                .collect();
            group_diff = group_diff.saturating_add(diff);
            group_last = group_last.max(last);
            Node::Obj(vec![
                ("Topic", Node::Str(topic)),
                ("TotalDiff", Node::Int(diff)),
                ("LastTimestamp", Node::Int(last)),
                (
                    "OffsetList",
                    Node::Obj(vec![("OffsetList", Node::List(offsets))]),
                ),
            ])
        })
        .collect();
    Ok(vec![(
        "ConsumerProgress",
        Node::Obj(vec![
            ("TotalDiff", Node::Int(group_diff)),
            ("LastTimestamp", Node::Int(group_last)),
            (
                "TopicList",
                Node::Obj(vec![("TopicList", Node::List(topic_nodes))]),
            ),
        ]),
    )])
}

pub async fn delete(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let group = normalize_name_in(p, "ConsumerId", p.required("ConsumerId")?)?;
    require_running(instance)?;
    let instance_id = instance.id().to_string();
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            groups::find(&tx, &instance_id, &group, now)?
                .filter(|g| !g.is_deleted())
                .ok_or_else(|| ApiError::subscription_not_found(&group))?;
            groups::mark_deleted(&tx, &instance_id, &group, now, now.saturating_add(delay))?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}
