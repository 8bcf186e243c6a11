//! GetInstanceList.

use std::sync::Arc;

use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{App, Instance};

/// Broker version reported for every instance (the guide's server version).
const OPEN_SOURCE_VERSION: &str = "0.10.0";

/// The caller's instances in `RegionId`.
pub fn get_instance_list(
    app: &Arc<App>,
    caller: &str,
    p: &Params<'_>,
) -> Result<Vec<(&'static str, Node)>, ApiError> {
    let region = p.required("RegionId")?;
    let items = app
        .instances
        .iter()
        .filter(|i| i.config.account == caller && i.region() == region)
        .map(|i| instance_vo(app, i))
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
        // 2019-09-16 fields about the Kafka side.
        ("DomainEndpoint", end_point(app, instance)),
        ("SaslEndPoint", sasl_end_point(app, instance)),
        ("SaslDomainEndpoint", sasl_end_point(app, instance)),
        (
            "AutoCreateTopicEnable",
            Node::Bool(c.auto_create_topic_enable),
        ),
        (
            "AutoCreateGroupEnable",
            Node::Bool(c.auto_create_group_enable),
        ),
        ("DefaultPartitionNum", Node::Int(c.default_partition_num)),
        ("MsgRetain", Node::Int(i64::from(c.msg_retain_hours))),
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
