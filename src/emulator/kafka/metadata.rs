//! Metadata and CreateTopics: the management API's topics as Kafka clients see them, and
//! automatic topic creation as the service does it (off by default; when the instance's
//! `AutoCreateTopicEnable` is on, asking for an unknown topic with a valid name creates it
//! with `DefaultPartitionNum` partitions; otherwise the topic is unknown, which clients
//! report as "no metadata found").

use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{
    BrokerId, CreateTopicsRequest, CreateTopicsResponse, MetadataRequest, MetadataResponse,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use rusqlite::Connection;

use super::conn::Ctx;
use super::security::{Operation, Resource};
use super::NODE_ID;
use crate::emulator::actions::{NAME_MAX, NAME_MIN, PARTITIONS_MAX};
use crate::emulator::errors::ApiError;
use crate::emulator::state::now_ms;
use crate::emulator::storage::{self, topics};

/// A topic Kafka clients can use: visible to the API's reads and not deleted.
pub fn live_topic(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    now: i64,
) -> rusqlite::Result<Option<topics::TopicRecord>> {
    Ok(topics::find(conn, instance_id, topic, now)?
        .filter(|t| t.is_visible(now) && !t.is_deleted()))
}

/// The service's topic name rule, without the API's silent truncation (a Kafka client
/// names a topic exactly).
fn valid_topic_name(name: &str) -> bool {
    (NAME_MIN..=NAME_MAX).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// How a topic lookup by a client ends.
enum Lookup {
    Found(topics::TopicRecord),
    /// Just created automatically, not usable until the visibility delay has passed.
    Creating,
    Unknown,
}

/// Everything the auto-creation rule needs from the instance.
#[derive(Clone, Copy)]
struct AutoCreate {
    enabled: bool,
    partitions: i64,
    quota: i64,
    delay_ms: i64,
}

fn auto_create_of(ctx: &Ctx) -> AutoCreate {
    let config = ctx.instance().map(|i| &i.config);
    AutoCreate {
        enabled: config.is_some_and(|c| c.auto_create_topic_enable),
        partitions: config.map_or(12, |c| c.default_partition_num),
        quota: config.map_or(0, |c| i64::from(c.topic_quota)),
        delay_ms: ctx.app.settings.visibility_delay_ms(),
    }
}

/// Finds a topic, creating it when allowed; `partitions` overrides the default count.
fn lookup(
    conn: &Connection,
    instance_id: &str,
    name: &str,
    auto: AutoCreate,
    create: bool,
    partitions: Option<i64>,
) -> Result<Lookup, ApiError> {
    let now = now_ms();
    if let Some(topic) = live_topic(conn, instance_id, name, now)? {
        return Ok(Lookup::Found(topic));
    }
    if let Some(existing) = topics::find(conn, instance_id, name, now)? {
        // Created but not visible yet (or deleted, not yet gone).
        return Ok(if existing.is_deleted() {
            Lookup::Unknown
        } else {
            Lookup::Creating
        });
    }
    if !(create && auto.enabled && valid_topic_name(name)) {
        return Ok(Lookup::Unknown);
    }
    storage::purge_gone(conn, instance_id, now)?;
    if topics::count(conn, instance_id, now)? >= auto.quota {
        return Ok(Lookup::Unknown);
    }
    let new = topics::NewTopic {
        topic: name,
        remark: "",
        partition_num: partitions.unwrap_or(auto.partitions),
        local_topic: false,
        compact_topic: false,
        config: &std::collections::BTreeMap::new(),
        replication_factor: 3,
        min_insync_replicas: 2,
    };
    let visible_at = now.saturating_add(auto.delay_ms);
    topics::insert(conn, instance_id, &new, now, visible_at)?;
    tracing::info!(
        instance = instance_id,
        topic = name,
        "topic created automatically"
    );
    Ok(if visible_at <= now {
        live_topic(conn, instance_id, name, now)?.map_or(Lookup::Creating, Lookup::Found)
    } else {
        Lookup::Creating
    })
}

fn topic_entry(name: &str, error: ResponseError) -> MetadataResponseTopic {
    let mut topic = MetadataResponseTopic::default();
    topic.name = Some(TopicName(StrBytes::from_string(name.to_string())));
    topic.error_code = error.code();
    topic
}

fn found_entry(record: &topics::TopicRecord) -> MetadataResponseTopic {
    let mut topic = MetadataResponseTopic::default();
    topic.name = Some(TopicName(StrBytes::from_string(record.topic.clone())));
    topic.partitions = (0..record.partition_num)
        .map(|index| {
            let mut p = MetadataResponsePartition::default();
            p.partition_index = i32::try_from(index).unwrap_or(i32::MAX);
            p.leader_id = BrokerId(NODE_ID);
            p.leader_epoch = 0;
            p.replica_nodes = vec![BrokerId(NODE_ID)];
            p.isr_nodes = vec![BrokerId(NODE_ID)];
            p
        })
        .collect();
    topic
}

pub async fn metadata(ctx: &Ctx, version: i16, request: MetadataRequest) -> MetadataResponse {
    let instance_id = ctx.instance_id().to_string();
    // v0: an empty list means every topic; v1+: a null list does.
    let names: Option<Vec<String>> = match request.topics {
        Some(list) if version == 0 && list.is_empty() => None,
        Some(list) => Some(
            list.into_iter()
                .filter_map(|t| t.name.map(|n| n.0.to_string()))
                .collect(),
        ),
        None => None,
    };
    let create = (version < 4 || request.allow_auto_topic_creation)
        && ctx.allowed(Operation::Create, Resource::Cluster);
    let auto = auto_create_of(ctx);
    let allowed: Vec<(String, bool)> = names
        .iter()
        .flatten()
        .map(|n| {
            (
                n.clone(),
                ctx.allowed(Operation::Describe, Resource::Topic(n)),
            )
        })
        .collect();
    let all = names.is_none();
    let lookups = ctx
        .app
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let mut out = Vec::new();
            if all {
                let now = now_ms();
                for t in topics::list_all(&tx, &instance_id, now)? {
                    if t.is_visible(now) && !t.is_deleted() {
                        out.push((t.topic.clone(), Some(Lookup::Found(t))));
                    }
                }
            } else {
                for (name, may) in allowed {
                    let found = if may {
                        Some(lookup(&tx, &instance_id, &name, auto, create, None)?)
                    } else {
                        None
                    };
                    out.push((name, found));
                }
            }
            tx.commit()?;
            Ok(out)
        })
        .await;
    let mut response = MetadataResponse::default();
    let mut broker = MetadataResponseBroker::default();
    broker.node_id = BrokerId(NODE_ID);
    broker.host = StrBytes::from_string(ctx.listener.advertised.ip().to_string());
    broker.port = i32::from(ctx.listener.advertised.port());
    response.brokers = vec![broker];
    response.controller_id = BrokerId(NODE_ID);
    response.cluster_id = Some(StrBytes::from_string(cluster_id(ctx.instance_id())));
    match lookups {
        Ok(lookups) => {
            response.topics = lookups
                .into_iter()
                .map(|(name, lookup)| match lookup {
                    None => topic_entry(&name, ResponseError::TopicAuthorizationFailed),
                    Some(Lookup::Found(record)) => found_entry(&record),
                    Some(Lookup::Creating) => topic_entry(&name, ResponseError::LeaderNotAvailable),
                    Some(Lookup::Unknown) => {
                        topic_entry(&name, ResponseError::UnknownTopicOrPartition)
                    }
                })
                .collect();
        }
        Err(error) => {
            tracing::warn!(code = %error.code, "metadata lookup failed");
            response.topics = names
                .into_iter()
                .flatten()
                .map(|n| topic_entry(&n, ResponseError::UnknownServerError))
                .collect();
        }
    }
    if all {
        // Listing every topic shows only those the principal may describe.
        response.topics.retain(|t| {
            t.name
                .as_ref()
                .is_some_and(|n| ctx.allowed(Operation::Describe, Resource::Topic(n.0.as_str())))
        });
    }
    response
}

/// A stable cluster id per instance.
pub fn cluster_id(instance_id: &str) -> String {
    format!("emulator-{instance_id}")
}

/// CreateTopics: what automatic creation allows (the service creates topics through its
/// console and API; with `AutoCreateTopicEnable` off a client cannot create one).
pub async fn create_topics(
    ctx: &Ctx,
    version: i16,
    request: CreateTopicsRequest,
) -> CreateTopicsResponse {
    let instance_id = ctx.instance_id().to_string();
    let auto = auto_create_of(ctx);
    let may_create = ctx.allowed(Operation::Create, Resource::Cluster);
    let validate_only = request.validate_only;
    let wanted: Vec<(String, i32)> = request
        .topics
        .into_iter()
        .map(|t| (t.name.0.to_string(), t.num_partitions))
        .collect();
    let results = ctx
        .app
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let mut out = Vec::new();
            for (name, partitions) in wanted {
                let partitions = if partitions <= 0 { None } else { Some(i64::from(partitions)) };
                // None: created (or, with validate_only, creatable).
                let refusal: Option<(ResponseError, &str)> = if !may_create {
                    Some((ResponseError::ClusterAuthorizationFailed, "not authorized to create topics"))
                } else if topics::find(&tx, &instance_id, &name, now)?.is_some() {
                    Some((ResponseError::TopicAlreadyExists, "the topic already exists"))
                } else if !auto.enabled {
                    Some((
                        ResponseError::PolicyViolation,
                        "automatic topic creation is disabled on this instance: create topics with the CreateTopic API (or Terraform)",
                    ))
                } else if !valid_topic_name(&name) {
                    Some((
                        ResponseError::InvalidTopicException,
                        "topic names are 3 to 64 letters, digits, \"_\" or \"-\"",
                    ))
                } else if partitions.is_some_and(|p| p > PARTITIONS_MAX) {
                    Some((ResponseError::InvalidPartitions, "a topic can have at most 360 partitions"))
                } else if validate_only {
                    None
                } else {
                    match lookup(&tx, &instance_id, &name, auto, true, partitions)? {
                        Lookup::Unknown => {
                            Some((ResponseError::PolicyViolation, "the instance's topic quota is used up"))
                        }
                        _ => None,
                    }
                };
                out.push((name, refusal));
            }
            tx.commit()?;
            Ok(out)
        })
        .await
        .unwrap_or_default();
    let mut response = CreateTopicsResponse::default();
    response.topics = results
        .into_iter()
        .map(|(name, refusal)| {
            let mut result = CreatableTopicResult::default();
            result.name = TopicName(StrBytes::from_string(name));
            if let Some((error, message)) = refusal {
                result.error_code = error.code();
                if version >= 1 {
                    result.error_message = Some(StrBytes::from_static_str(message));
                }
            }
            result
        })
        .collect();
    response
}
