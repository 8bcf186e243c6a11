//! The control API under `/_emulator/` (JSON, unauthenticated; the emulator listens on
//! loopback unless `--allow-remote`): health, metrics, reset, faults, messages, offsets,
//! true state and run-time settings.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::actions::tag::{CONSUMERGROUP, INSTANCE, TOPIC};
use super::actions::{normalize_name_in, PARTITIONS_MAX};
use super::errors::ApiError;
use super::faults::FaultSpec;
use super::params::{ParamMap, Params};
use super::state::{now_ms, App, SettingsView};
use super::storage::{access, data, groups, tags, topics};

/// Names as the newer API version allows them (with `.`).
fn control_name(field: &str, raw: &str) -> Result<String, ApiError> {
    let map = ParamMap::new();
    normalize_name_in(&Params::with_version(&map, "2019-09-16"), field, raw)
}

fn tags_json(tags: &[(String, String)]) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// A control API error: `{"error": "..."}` with a 4xx/5xx status.
pub struct ControlError(StatusCode, String);

impl ControlError {
    fn bad_request(message: impl Into<String>) -> Self {
        ControlError(StatusCode::BAD_REQUEST, message.into())
    }
    fn not_found(message: impl Into<String>) -> Self {
        ControlError(StatusCode::NOT_FOUND, message.into())
    }
}

impl From<ApiError> for ControlError {
    fn from(error: ApiError) -> Self {
        let status =
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ControlError(status, format!("{}: {}", error.code, error.message))
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

type ControlResult = Result<Json<Value>, ControlError>;

/// Routes, to be nested under `/_emulator`.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics).delete(reset_metrics))
        .route("/reset", post(reset))
        .route(
            "/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/messages", post(append_messages))
        .route("/offsets", post(commit_offset))
        .route("/state", get(state))
        .route("/settings", get(get_settings).put(put_settings))
        .merge(super::sts::control::router())
        .fallback(|| async { ControlError::not_found("unknown control endpoint") })
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(body)
        .map_err(|e| ControlError::bad_request(format!("invalid JSON body: {e}")))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn metrics(State(app): State<Arc<App>>) -> Json<Value> {
    Json(app.metrics.snapshot())
}

async fn reset_metrics(State(app): State<Arc<App>>) -> Json<Value> {
    app.metrics.reset();
    Json(json!({}))
}

async fn reset(State(app): State<Arc<App>>) -> ControlResult {
    app.reset().await?;
    tracing::info!("state reset to the configured initial state");
    Ok(Json(json!({})))
}

async fn add_fault(State(app): State<Arc<App>>, body: Bytes) -> ControlResult {
    let spec: FaultSpec = parse(&body)?;
    let id = app.faults.add(spec).map_err(ControlError::bad_request)?;
    Ok(Json(json!({ "id": id })))
}

async fn list_faults(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "faults": app.faults.list() }))
}

async fn clear_faults(State(app): State<Arc<App>>) -> Json<Value> {
    app.faults.clear();
    Json(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessagesRequest {
    instance_id: String,
    topic: String,
    #[serde(default)]
    partition: i64,
    #[serde(default = "one")]
    count: i64,
}

fn one() -> i64 {
    1
}

/// The live topic's partition count, or the control error explaining why not.
fn live_topic_partitions(
    conn: &rusqlite::Connection,
    instance_id: &str,
    topic: &str,
    now: i64,
) -> Result<i64, ControlError> {
    topics::find(conn, instance_id, topic, now)
        .map_err(ApiError::from)?
        .filter(|t| !t.is_deleted())
        .map(|t| t.partition_num)
        .ok_or_else(|| ControlError::not_found(format!("topic {topic} not found in {instance_id}")))
}

fn check_partition(partition: i64, partitions: i64) -> Result<(), ControlError> {
    if (0..partitions).contains(&partition) {
        Ok(())
    } else {
        Err(ControlError::bad_request(format!(
            "partition must be from 0 to {}",
            partitions - 1
        )))
    }
}

async fn append_messages(State(app): State<Arc<App>>, body: Bytes) -> ControlResult {
    let req: MessagesRequest = parse(&body)?;
    if !(1..=1_000_000_000).contains(&req.count) {
        return Err(ControlError::bad_request(
            "count must be from 1 to 1000000000",
        ));
    }
    if !(0..PARTITIONS_MAX).contains(&req.partition) {
        return Err(ControlError::bad_request("partition out of range"));
    }
    app.instance(&req.instance_id).ok_or_else(|| {
        ControlError::not_found(format!("instance {} not found", req.instance_id))
    })?;
    let topic = control_name("topic", &req.topic)?;
    let (instance_id, partition, count) = (req.instance_id, req.partition, req.count);
    let max_offset = app
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let result = live_topic_partitions(&tx, &instance_id, &topic, now)
                .and_then(|n| check_partition(partition, n))
                .and_then(|()| {
                    data::append(&tx, &instance_id, &topic, partition, count, now)
                        .map_err(|e| ControlError::from(ApiError::from(e)))
                });
            tx.commit()?;
            Ok(result)
        })
        .await??;
    Ok(Json(
        json!({ "partition": partition, "max_offset": max_offset }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetRequest {
    instance_id: String,
    consumer_id: String,
    topic: String,
    #[serde(default)]
    partition: i64,
    offset: i64,
}

async fn commit_offset(State(app): State<Arc<App>>, body: Bytes) -> ControlResult {
    let req: OffsetRequest = parse(&body)?;
    if req.offset < 0 {
        return Err(ControlError::bad_request("offset must not be negative"));
    }
    app.instance(&req.instance_id).ok_or_else(|| {
        ControlError::not_found(format!("instance {} not found", req.instance_id))
    })?;
    let topic = control_name("topic", &req.topic)?;
    let group = control_name("consumer_id", &req.consumer_id)?;
    let (instance_id, partition, offset) = (req.instance_id, req.partition, req.offset);
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let result = (|| {
                groups::find(&tx, &instance_id, &group, now)
                    .map_err(ApiError::from)?
                    .filter(|g| !g.is_deleted())
                    .ok_or_else(|| {
                        ControlError::not_found(format!("consumer group {group} not found"))
                    })?;
                let partitions = live_topic_partitions(&tx, &instance_id, &topic, now)?;
                check_partition(partition, partitions)?;
                data::commit_offset(&tx, &instance_id, &group, &topic, partition, offset, now)
                    .map_err(ApiError::from)?;
                Ok::<(), ControlError>(())
            })();
            tx.commit()?;
            Ok(result)
        })
        .await??;
    Ok(Json(json!({})))
}

/// One instance's true state, for `/_emulator/state`.
struct InstanceState {
    topics: Vec<topics::TopicRecord>,
    groups: Vec<groups::GroupRecord>,
    topic_tags: std::collections::HashMap<String, tags::Tags>,
    group_tags: std::collections::HashMap<String, tags::Tags>,
    tags: tags::Tags,
    users: Vec<access::UserRecord>,
    acls: Vec<access::AclRecord>,
    allowed_ips: Vec<access::AllowedIpRecord>,
}

async fn state(State(app): State<Arc<App>>) -> ControlResult {
    let ids: Vec<String> = app.instances.iter().map(|i| i.id().to_string()).collect();
    let rows = app
        .db
        .run(move |conn| {
            let now = now_ms();
            let mut out = Vec::new();
            for id in ids {
                out.push(InstanceState {
                    topics: topics::list_all(conn, &id, now)?,
                    groups: groups::list_all(conn, &id, now)?,
                    topic_tags: tags::of_type(conn, &id, TOPIC)?,
                    group_tags: tags::of_type(conn, &id, CONSUMERGROUP)?,
                    tags: tags::of(conn, &id, INSTANCE, "")?,
                    users: access::users(conn, &id, now, false)?,
                    acls: access::all_acls(conn, &id, now)?,
                    allowed_ips: access::allowed_ips(conn, &id, now)?,
                });
            }
            Ok((now, out))
        })
        .await?;
    let (now, rows) = rows;
    let instances: Vec<Value> = app
        .instances
        .iter()
        .zip(rows)
        .map(|(instance, s)| {
            json!({
                "instance_id": instance.id(),
                "region_id": instance.region(),
                "account": instance.config.account,
                "kafka_bootstrap": app.kafka.endpoints(instance.id()).map(|e| e.plaintext.to_string()),
                "tags": tags_json(&s.tags),
                "topics": s.topics.iter().map(|t| json!({
                    "topic": t.topic,
                    "remark": t.remark,
                    "partition_num": t.partition_num,
                    "local_topic": t.local_topic,
                    "compact_topic": t.compact_topic,
                    "status": t.status,
                    "visible": t.is_visible(now),
                    "deleted": t.is_deleted(),
                    "config": t.config,
                    "replication_factor": t.replication_factor,
                    "min_insync_replicas": t.min_insync_replicas,
                    "tags": tags_json(s.topic_tags.get(&t.topic).map_or(&[][..], Vec::as_slice)),
                })).collect::<Vec<_>>(),
                "groups": s.groups.iter().map(|g| json!({
                    "consumer_id": g.consumer_id,
                    "remark": g.remark,
                    "visible": g.is_visible(now),
                    "deleted": g.is_deleted(),
                    "tags": tags_json(s.group_tags.get(&g.consumer_id).map_or(&[][..], Vec::as_slice)),
                })).collect::<Vec<_>>(),
                // Never the password: this API is unauthenticated and its output ends up
                // in test logs.
                "sasl_users": s.users.iter().map(|u| json!({
                    "username": u.username,
                    "type": u.user_type,
                    "visible": u.visible,
                    "deleted": u.deleted,
                })).collect::<Vec<_>>(),
                "acls": s.acls.iter().map(|a| json!({
                    "username": a.acl.username,
                    "resource_type": a.acl.resource_type,
                    "resource_name": a.acl.resource_name,
                    "pattern_type": a.acl.pattern_type,
                    "operation_type": a.acl.operation_type,
                    "permission_type": a.acl.permission_type,
                    "host": a.acl.host,
                    "visible": a.visible,
                    "deleted": a.deleted,
                })).collect::<Vec<_>>(),
                "allowed_ips": s.allowed_ips.iter().map(|e| json!({
                    "list_type": e.list_type,
                    "port_range": e.port_range,
                    "entry": e.entry,
                    "description": e.description,
                    "visible": e.visible,
                    "deleted": e.deleted,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "instances": instances })))
}

async fn get_settings(State(app): State<Arc<App>>) -> Json<SettingsView> {
    Json(app.settings.view())
}

async fn put_settings(
    State(app): State<Arc<App>>,
    body: Bytes,
) -> Result<Json<SettingsView>, ControlError> {
    let change: SettingsView = parse(&body)?;
    app.settings
        .update(change)
        .map_err(ControlError::bad_request)?;
    tracing::info!(settings = ?app.settings.view(), "settings changed");
    Ok(Json(app.settings.view()))
}
