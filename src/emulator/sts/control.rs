//! Control endpoints of the emulated STS, under `/_emulator`:
//!
//! - `GET /sts`: the stand-ins' URLs, roles, OIDC providers and the credential lifetime;
//! - `GET /sts/sessions`: the temporary credentials issued so far (ids, roles, origins,
//!   expiry; their secrets only with `?secrets=true`, for leak tests);
//! - `POST /oidc/token`: a signed JWT for an OIDC provider whose key the emulator holds
//!   (body: [`MintRequest`], every field optional);
//! - `GET /oidc/jwks?provider=<arn or name>`: the public keys a provider's tokens are
//!   checked against.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::config::DEMO_OIDC_PROVIDER_ARN;
use super::oidc::MintRequest;
use crate::emulator::state::{now_ms, App};

/// Routes to merge into the control router.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/sts", get(overview))
        .route("/sts/sessions", get(sessions))
        .route("/oidc/token", post(mint))
        .route("/oidc/jwks", get(jwks))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn overview(State(app): State<Arc<App>>) -> Json<Value> {
    let sts = &app.sts;
    let urls = sts.urls();
    Json(json!({
        "api_version": super::API_VERSION,
        "ecs_metadata_url": urls.map(|u| u.ecs_metadata.clone()),
        "ecs_metadata_role_arn": sts.config.ecs_metadata.role_arn,
        "credentials_uri": urls.map(|u| u.credentials_uri.clone()),
        "credentials_uri_role_arn": sts.config.credentials_uri.role_arn,
        "credential_lifetime_seconds": sts.config.credential_lifetime_seconds,
        "roles": sts.roles.iter().map(|r| json!({
            "arn": r.arn,
            "actions": r.actions,
            "trusted_accounts": r.trusted_accounts,
            "trusted_oidc_providers": r.trusted_oidc_providers,
            "max_session_duration": r.max_session_duration,
        })).collect::<Vec<_>>(),
        "oidc_providers": sts.providers.iter().map(|p| json!({
            "arn": p.config.arn,
            "issuer_url": p.config.issuer_url,
            "client_ids": p.config.client_ids,
            "can_mint": p.config.jwks.is_none(),
        })).collect::<Vec<_>>(),
    }))
}

/// `?secrets=true` adds each session's secret and token: for tests that check the
/// provider never shows them (the control API is loopback-only and unauthenticated).
async fn sessions(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let now = now_ms();
    let mut sessions = json!(app.sts.sessions.list(now));
    if query.get("secrets").is_some_and(|v| v == "true") {
        if let Some(list) = sessions.as_array_mut() {
            for entry in list {
                let found = entry["access_key_id"]
                    .as_str()
                    .and_then(|id| app.sts.sessions.get(id));
                if let Some(session) = found {
                    entry["access_key_secret"] = json!(session.secret.expose());
                    entry["security_token"] = json!(session.token.expose());
                }
            }
        }
    }
    Json(json!({ "sessions": sessions }))
}

async fn mint(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let req: MintRequest = if body.iter().all(u8::is_ascii_whitespace) {
        MintRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(req) => req,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")),
        }
    };
    let name = req.provider.as_deref().unwrap_or(DEMO_OIDC_PROVIDER_ARN);
    let Some(provider) = app.sts.provider(name) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("OIDC provider {name} not found"),
        );
    };
    match provider.mint(&req, now_ms() / 1000) {
        Ok(token) => {
            Json(json!({ "token": token, "provider": provider.config.arn })).into_response()
        }
        Err(message) => error(StatusCode::BAD_REQUEST, message),
    }
}

async fn jwks(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let name = query
        .get("provider")
        .map(String::as_str)
        .unwrap_or(DEMO_OIDC_PROVIDER_ARN);
    match app.sts.provider(name).map(|p| p.jwks()) {
        Some(Ok(set)) => Json(json!(set)).into_response(),
        Some(Err(message)) => error(StatusCode::INTERNAL_SERVER_ERROR, message),
        None => error(
            StatusCode::NOT_FOUND,
            format!("OIDC provider {name} not found"),
        ),
    }
}
