//! GetInstanceList.

use std::sync::Arc;

use super::tag::{instance_tags, tag_list_node, tags_param};
use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App, Instance};
use crate::emulator::storage::{groups, tags, topics};

/// Broker version reported for every instance (the guide's server version).
const OPEN_SOURCE_VERSION: &str = "0.10.0";

/// What API version 2019-09-16 adds to an instance: counts from the state and its tags.
struct Usage {
    topics: i64,
    groups: i64,
    partitions: i64,
    tags: tags::Tags,
}

/// The caller's instances in `RegionId`; in API version 2019-09-16 optionally only those
/// of `InstanceId.N` carrying every `Tag.N`, with the newer fields.
pub async fn get_instance_list(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Vec<(&'static str, Node)>, ApiError> {
    let region = p.required("RegionId")?;
    let newer = p.is_2019();
    let (wanted, tag_filter) = if newer {
        let wanted: Vec<String> = p
            .indexed("InstanceId")?
            .into_iter()
            .map(|(_, v)| v.to_owned())
            .collect();
        (wanted, tags_param(p)?)
    } else {
        (Vec::new(), Vec::new())
    };
    let mine: Vec<&Instance> = app
        .instances
        .iter()
        .filter(|i| i.config.account == caller && i.region() == region)
        .filter(|i| wanted.is_empty() || wanted.iter().any(|w| w == i.id()))
        .collect();
    if !newer {
        let items = mine.into_iter().map(|i| instance_vo(app, i)).collect();
        return Ok(vec![(
            "InstanceList",
            Node::Obj(vec![("InstanceVO", Node::List(items))]),
        )]);
    }
    let ids: Vec<String> = mine.iter().map(|i| i.id().to_owned()).collect();
    let usage = app
        .db
        .run(move |conn| {
            let now = now_ms();
            let mut out = Vec::new();
            for id in ids {
                let live_topics: Vec<_> = topics::list_all(conn, &id, now)?
                    .into_iter()
                    .filter(|t| !t.is_deleted())
                    .collect();
                let live_groups = groups::list_all(conn, &id, now)?
                    .into_iter()
                    .filter(|g| !g.is_deleted())
                    .count();
                out.push(Usage {
                    topics: live_topics.len() as i64,
                    groups: live_groups as i64,
                    partitions: live_topics.iter().map(|t| t.partition_num).sum(),
                    tags: instance_tags(conn, &id)?,
                });
            }
            Ok(out)
        })
        .await?;
    let items = mine
        .into_iter()
        .zip(usage)
        .filter(|(_, u)| {
            tag_filter.iter().all(|(k, v)| {
                u.tags
                    .iter()
                    .any(|(tk, tv)| tk == k && (v.is_empty() || tv == v))
            })
        })
        .map(|(instance, usage)| instance_vo_2019(app, instance, usage))
        .collect();
    Ok(vec![(
        "InstanceList",
        Node::Obj(vec![("InstanceVO", Node::List(items))]),
    )])
}

/// `EndPoint`: the configured value if any, else the instance's Kafka listener (the
/// bootstrap servers a client uses).
fn end_point(app: &App, instance: &Instance) -> Node {
    match (
        &instance.config.end_point,
        app.kafka.endpoints(instance.id()),
    ) {
        (Some(configured), _) => Node::str(configured.as_str()),
        (None, Some(endpoints)) => Node::Str(endpoints.plaintext.to_string()),
        (None, None) => Node::str(""),
    }
}

/// `SaslEndPoint`: the SASL_PLAINTEXT listener, when the instance has one.
fn sasl_end_point(app: &App, instance: &Instance) -> Node {
    app.kafka
        .endpoints(instance.id())
        .and_then(|e| e.sasl_plaintext)
        .map_or(Node::str(""), |addr| Node::Str(addr.to_string()))
}

/// The 2019-09-16 fields after the guide's.
fn instance_vo_2019(app: &App, instance: &Instance, usage: Usage) -> Node {
    let c = &instance.config;
    let Node::Obj(mut fields) = instance_vo(app, instance) else {
        return instance_vo(app, instance);
    };
    let text = |v: &Option<String>| Node::str(v.clone().unwrap_or_default());
    let all_config = serde_json::json!({
        "enable.acl": "true",
        "enable.vpc_sasl_ssl": "false",
        "kafka.log.retention.hours": c.msg_retain_hours.to_string(),
        "kafka.message.max.bytes": "1048576",
    })
    .to_string();
    fields.extend([
        ("ZoneId", Node::str(format!("{}-a", c.region_id))),
        ("SecurityGroup", Node::str("")),
        ("ResourceGroupId", Node::str("")),
        ("PaidType", Node::Int(1)),
        ("SpecType", Node::str(c.spec_type.as_str())),
        ("Series", Node::str("v2")),
        ("DiskType", Node::Int(1)),
        ("DiskSize", Node::Int(500)),
        ("IoMax", Node::Int(20)),
        ("EipMax", Node::Int(if c.deploy_type == 4 { 3 } else { 0 })),
        ("MsgRetain", Node::Int(c.msg_retain_hours)),
        ("TopicNumLimit", Node::Int(i64::from(c.topic_quota))),
        ("UsedTopicCount", Node::Int(usage.topics)),
        ("UsedGroupCount", Node::Int(usage.groups)),
        ("UsedPartitionCount", Node::Int(usage.partitions)),
        ("DefaultPartitionNum", Node::Int(c.default_partition_num)),
        (
            "AutoCreateTopicEnable",
            Node::Bool(c.auto_create_topic_enable),
        ),
        (
            "AutoCreateGroupEnable",
            Node::Bool(c.auto_create_group_enable),
        ),
        ("AllConfig", Node::Str(all_config)),
        ("DomainEndpoint", end_point(app, instance)),
        ("SslDomainEndpoint", text(&c.ssl_end_point)),
        ("SaslEndPoint", sasl_end_point(app, instance)),
        ("SaslDomainEndpoint", sasl_end_point(app, instance)),
        (
            "ViewInstanceStatusCode",
            Node::Int(if instance.is_running() { 2 } else { 3 }),
        ),
        ("Tags", tag_list_node(usage.tags)),
    ]);
    Node::Obj(fields)
}

fn instance_vo(app: &App, instance: &Instance) -> Node {
    let c = &instance.config;
    let text = |v: &Option<String>| Node::str(v.clone().unwrap_or_default());
    Node::Obj(vec![
        ("InstanceId", Node::str(c.instance_id.as_str())),
        ("Name", Node::str(c.display_name())),
        ("RegionId", Node::str(c.region_id.as_str())),
        ("CreateTime", Node::Int(instance.create_time_ms)),
        ("ExpiredTime", Node::Int(instance.expired_time_ms)),
        ("DeployType", Node::Int(c.deploy_type)),
        ("ServiceStatus", Node::Int(c.service_status)),
        ("EndPoint", end_point(app, instance)),
        ("SslEndPoint", text(&c.ssl_end_point)),
        ("VpcId", text(&c.vpc_id)),
        ("VSwitchId", text(&c.vswitch_id)),
        // The guide's shape; newer SDK models wrap this in an `UpgradeServiceDetailInfoVO` list.
        (
            "UpgradeServiceDetailInfo",
            Node::Obj(vec![(
                "Current2OpenSourceVersion",
                Node::str(OPEN_SOURCE_VERSION),
            )]),
        ),
    ])
}
