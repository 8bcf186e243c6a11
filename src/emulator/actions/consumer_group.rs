//! Consumer group actions: CreateConsumerGroup, GetConsumerList, GetConsumerProgress,
//! DeleteConsumerGroup.

use std::sync::Arc;

use super::{caller_instance, normalize_name, require_running, validate_remark};
use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::{self, data, groups, topics};

type Fields = Vec<(&'static str, Node)>;

pub async fn create(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let group = normalize_name("ConsumerId", p.required("ConsumerId")?)?;
    let remark = validate_remark(p.optional("Remark").unwrap_or(""))?;
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
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

pub async fn list(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let instance_id = instance.id().to_string();
    let rows = app
        .db
        .run(move |conn| groups::list_visible(conn, &instance_id, now_ms()).map_err(ApiError::from))
        .await?;
    let items = rows
        .into_iter()
        .map(|g| {
            Node::Obj(vec![
                ("ConsumerId", Node::Str(g.consumer_id)),
                ("InstanceId", Node::str(instance.id())),
                ("RegionId", Node::str(instance.region())),
                ("Remark", Node::Str(g.remark)),
            ])
        })
        .collect();
    Ok(vec![(
        "ConsumerList",
        Node::Obj(vec![("ConsumerVO", Node::List(items))]),
    )])
}

/// One partition's progress: (partition, broker offset, consumer offset, last consumed time).
type PartitionProgress = (i64, i64, i64, i64);

pub async fn progress(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let group = normalize_name("ConsumerId", p.required("ConsumerId")?)?;
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
    let group = normalize_name("ConsumerId", p.required("ConsumerId")?)?;
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
