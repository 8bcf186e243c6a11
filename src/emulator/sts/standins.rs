//! Two local stand-ins that hand out temporary credentials of configured roles, each on its
//! own loopback port (printed at start-up, listed by `GET /_emulator/sts`):
//!
//! - the **ECS instance metadata service** (`100.100.100.200` on a real instance): `PUT
//!   /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` gives a session token
//!   (hardened mode), sent after as `X-aliyun-ecs-metadata-token`; `GET
//!   /latest/meta-data/ram/security-credentials/` lists the instance's role name; `GET
//!   .../<role>` gives `{Code: "Success", AccessKeyId, AccessKeySecret, SecurityToken,
//!   Expiration, LastUpdated}`;
//! - a **credentials URI** service: `GET /` gives the same JSON for the configured role,
//!   `GET /roles/<name>` for another configured role.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;

use super::config::{RoleConfig, DEFAULT_DURATION_SECONDS};
use super::sessions::{format_time, Origin};
use super::StandinUrls;
use crate::emulator::metrics::Outcome;
use crate::emulator::state::{now_ms, App};

const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
/// The metadata service's bounds on a session token's lifetime.
const MAX_TOKEN_TTL_S: i64 = 21600;
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

/// The bound listeners, before they serve.
pub struct Standins {
    ecs: TcpListener,
    uri: TcpListener,
}

impl Standins {
    pub fn urls(&self) -> Result<StandinUrls, std::io::Error> {
        Ok(StandinUrls {
            ecs_metadata: format!("http://{}", self.ecs.local_addr()?),
            credentials_uri: format!("http://{}/", self.uri.local_addr()?),
        })
    }

    /// Serves both until `shutdown` completes (record [`Standins::urls`] in the app first).
    pub async fn serve(self, app: Arc<App>, shutdown: impl Future<Output = ()> + Send + 'static) {
        let ecs = ecs_router(Arc::clone(&app));
        let uri = uri_router(app);
        let (stop, _) = tokio::sync::watch::channel(());
        let mut a = stop.subscribe();
        let mut b = stop.subscribe();
        let ecs = axum::serve(self.ecs, ecs).with_graceful_shutdown(async move {
            let _ = a.changed().await;
        });
        let uri = axum::serve(self.uri, uri).with_graceful_shutdown(async move {
            let _ = b.changed().await;
        });
        let servers = tokio::spawn(async move {
            let (e, u) = tokio::join!(ecs, uri);
            for result in [e, u] {
                if let Err(error) = result {
                    tracing::warn!(%error, "stand-in stopped with an error");
                }
            }
        });
        shutdown.await;
        drop(stop);
        let _ = servers.await;
    }
}

/// Binds both stand-ins (loopback only unless `--allow-remote`).
pub async fn bind(
    app_config: &crate::emulator::config::EmulatorConfig,
) -> Result<Standins, crate::emulator::ServeError> {
    let sts = &app_config.sts;
    let ecs = crate::emulator::server::bind_addr(&sts.ecs_metadata.listen, app_config.allow_remote)
        .await?;
    let uri =
        crate::emulator::server::bind_addr(&sts.credentials_uri.listen, app_config.allow_remote)
            .await?;
    Ok(Standins { ecs, uri })
}

#[derive(Clone)]
struct EcsState {
    app: Arc<App>,
    /// Session tokens handed out and when they expire (ms).
    tokens: Arc<Mutex<HashMap<String, i64>>>,
}

fn ecs_router(app: Arc<App>) -> Router {
    let state = EcsState {
        app,
        tokens: Arc::default(),
    };
    Router::new()
        .route("/latest/api/token", put(ecs_token))
        .route(CREDENTIALS_PATH, get(ecs_role_name))
        .route(&format!("{CREDENTIALS_PATH}:role"), get(ecs_credentials))
        .fallback(|| async { not_found() })
        .with_state(state)
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404 Not Found").into_response()
}

fn record(app: &App, name: &str, started: Instant, ok: bool) {
    let outcome = if ok {
        Outcome::Succeeded
    } else {
        Outcome::Failed
    };
    app.metrics.record(name, outcome, started.elapsed());
}

async fn ecs_token(State(state): State<EcsState>, headers: HeaderMap) -> Response {
    let started = Instant::now();
    let ttl = headers
        .get(TOKEN_TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|ttl| (1..=MAX_TOKEN_TTL_S).contains(ttl));
    let Some(ttl) = ttl else {
        record(&state.app, "EcsMetadata.Token", started, false);
        return (StatusCode::BAD_REQUEST, "400 Bad Request").into_response();
    };
    let token = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    tokens.retain(|_, expires| *expires > now);
    tokens.insert(token.clone(), now + ttl * 1000);
    drop(tokens);
    record(&state.app, "EcsMetadata.Token", started, true);
    token.into_response()
}

/// The refusal when the request's session token is wrong, or missing where required.
fn refusal(state: &EcsState, headers: &HeaderMap) -> Option<Response> {
    match headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
        Some(token) => {
            let tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
            if tokens.get(token.trim()).is_some_and(|at| *at > now_ms()) {
                None
            } else {
                Some((StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response())
            }
        }
        None => {
            state.app.metrics.record(
                "EcsMetadata.TokenlessRequest",
                Outcome::Succeeded,
                Default::default(),
            );
            state
                .app
                .sts
                .config
                .ecs_metadata
                .require_token
                .then(|| (StatusCode::FORBIDDEN, "403 Forbidden").into_response())
        }
    }
}

fn instance_role(app: &App) -> Option<&RoleConfig> {
    app.sts.role(&app.sts.config.ecs_metadata.role_arn)
}

async fn ecs_role_name(State(state): State<EcsState>, headers: HeaderMap) -> Response {
    let started = Instant::now();
    if let Some(answer) = refusal(&state, &headers) {
        record(&state.app, "EcsMetadata.RoleName", started, false);
        return answer;
    }
    record(&state.app, "EcsMetadata.RoleName", started, true);
    match instance_role(&state.app).and_then(|r| r.parts()) {
        Some((_, name)) => name.to_string().into_response(),
        None => not_found(),
    }
}

async fn ecs_credentials(
    State(state): State<EcsState>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    if let Some(answer) = refusal(&state, &headers) {
        record(&state.app, "EcsMetadata.Credentials", started, false);
        return answer;
    }
    let app = &state.app;
    let Some(config) = instance_role(app).filter(|r| r.parts().is_some_and(|(_, n)| n == role))
    else {
        record(app, "EcsMetadata.Credentials", started, false);
        return not_found();
    };
    let answer = credentials_json(app, config, "ecs-instance", Origin::EcsMetadata);
    record(app, "EcsMetadata.Credentials", started, true);
    answer
}

fn uri_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(uri_default))
        .route("/roles/:role", get(uri_role))
        .fallback(|| async { not_found() })
        .with_state(app)
}

async fn uri_default(State(app): State<Arc<App>>) -> Response {
    let started = Instant::now();
    let answer = match app.sts.role(&app.sts.config.credentials_uri.role_arn) {
        Some(role) => credentials_json(&app, role, "credentials-uri", Origin::CredentialsUri),
        None => not_found(),
    };
    record(
        &app,
        "CredentialsUri",
        started,
        answer.status().is_success(),
    );
    answer
}

async fn uri_role(State(app): State<Arc<App>>, Path(role): Path<String>) -> Response {
    let started = Instant::now();
    let found = app
        .sts
        .roles
        .iter()
        .find(|r| r.parts().is_some_and(|(_, name)| name == role));
    let answer = match found {
        Some(role) => credentials_json(&app, role, "credentials-uri", Origin::CredentialsUri),
        None => not_found(),
    };
    record(
        &app,
        "CredentialsUri",
        started,
        answer.status().is_success(),
    );
    answer
}

fn credentials_json(app: &App, role: &RoleConfig, session: &str, origin: Origin) -> Response {
    let now = now_ms();
    let issued = app
        .sts
        .issue(role, session, DEFAULT_DURATION_SECONDS, None, origin, now);
    let s = &issued.session;
    Json(json!({
        "Code": "Success",
        "AccessKeyId": s.access_key_id,
        "AccessKeySecret": s.secret.expose(),
        "SecurityToken": s.token.expose(),
        "Expiration": format_time(s.expires_at_ms),
        "LastUpdated": format_time(now),
    }))
    .into_response()
}
