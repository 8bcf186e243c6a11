//! The API endpoint: parameters, action lookup, authentication, flow control, faults,
//! the action itself, rendering, metrics. The order is the gateway's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;

use super::conn::ConnectionControl;
use crate::emulator::actions::{self, Action};
use crate::emulator::auth::{SignatureStyle, SignedRequest};
use crate::emulator::errors::ApiError;
use crate::emulator::faults::{Fault, FaultMode};
use crate::emulator::metrics::Outcome;
use crate::emulator::params::{decode_urlencoded, ParamMap};
use crate::emulator::response::{error_body, new_request_id, render, success_body, Format, Node};
use crate::emulator::state::{now_ms, App};
use crate::emulator::sts;

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 1 << 20;
/// Metrics name for requests without an action.
const NO_ACTION: &str = "(none)";

const HTML_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n";
const MALFORMED_BODY: &str = "}{ <<not json, not xml>> \u{1}\u{2}";

/// How a call ended, before it is turned into bytes on the wire.
struct Call {
    metric: String,
    outcome: Outcome,
    response: Response,
    /// Cut the connection instead of answering.
    kill: bool,
}

/// Per-request rendering context.
struct Ctx {
    request_id: String,
    format: Format,
    host_id: String,
    metric: String,
}

impl Ctx {
    fn answer(&self, status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        let mut response = Response::new(Body::from(body));
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Ok(v) = HeaderValue::from_str(&self.request_id) {
            headers.insert("x-acs-request-id", v);
        }
        response
    }

    fn error_response(&self, error: &ApiError) -> Response {
        let body = render(
            self.format,
            "Error",
            &error_body(self.format, &self.request_id, &self.host_id, error),
        );
        self.answer(error.status, self.format.content_type(), body)
    }

    /// Applies a `Format` parameter, if any.
    fn set_format(&mut self, params: &ParamMap) -> Result<(), ApiError> {
        if let Some(format) = params.get("Format").filter(|f| !f.is_empty()) {
            self.format =
                Format::parse(format).ok_or_else(|| ApiError::invalid_parameter("Format"))?;
        }
        Ok(())
    }

    fn fail(&self, error: ApiError) -> Call {
        let outcome = if error.is_throttling() {
            Outcome::Throttled
        } else {
            Outcome::Failed
        };
        Call {
            metric: self.metric.clone(),
            outcome,
            response: self.error_response(&error),
            kill: false,
        }
    }

    fn faulted(&self, response: Response, kill: bool) -> Call {
        Call {
            metric: self.metric.clone(),
            outcome: Outcome::Failed,
            response,
            kill,
        }
    }
}

/// axum handler for every non-control request.
pub async fn handle(
    State(app): State<Arc<App>>,
    connection: Option<Extension<ConnectionControl>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let call = process(&app, &method, &uri, &headers, body).await;
    app.metrics
        .record(&call.metric, call.outcome, started.elapsed());
    tracing::debug!(action = %call.metric, status = call.response.status().as_u16(), "api call");
    if call.kill {
        if let Some(Extension(control)) = connection {
            control.kill();
        }
        let mut response = call.response;
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    call.response
}

async fn process(
    app: &Arc<App>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Call {
    let style = SignatureStyle::detect(headers);
    let header_action = header_str(headers, "x-acs-action").filter(|_| style == SignatureStyle::V3);
    let mut ctx = Ctx {
        request_id: new_request_id(),
        format: if style == SignatureStyle::V3 {
            Format::Json
        } else {
            Format::Xml
        },
        host_id: "alikafka.aliyuncs.com".to_string(),
        metric: header_action.unwrap_or(NO_ACTION).to_string(),
    };

    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            // The rest of the body is unread, so the connection cannot be reused: say so.
            let mut call = ctx.fail(ApiError::new(
                "InvalidParameter",
                400,
                "The request body is too large.",
            ));
            call.response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return call;
        }
    };
    let mut query = ParamMap::new();
    if let Err(error) = decode_urlencoded(uri.query().unwrap_or("").as_bytes(), &mut query) {
        return ctx.fail(error);
    }
    // The format is known from the query before the body is decoded, so body errors use it.
    if let Err(error) = ctx.set_format(&query) {
        return ctx.fail(error);
    }
    let mut params = query.clone();
    if is_form(headers) && !body.is_empty() {
        if let Err(error) = decode_urlencoded(&body, &mut params) {
            return ctx.fail(error);
        }
        if let Err(error) = ctx.set_format(&params) {
            return ctx.fail(error);
        }
    }
    if let Some(region) = params
        .get("RegionId")
        .filter(|r| !r.is_empty() && r.len() <= 64)
    {
        ctx.host_id = format!("alikafka.{region}.aliyuncs.com");
    }
    let action_name = header_action.or_else(|| {
        params
            .get("Action")
            .map(String::as_str)
            .filter(|a| !a.is_empty())
    });
    if let Some(name) = action_name {
        ctx.metric = name.to_string();
    }
    if uri.path() != "/" || (method != Method::GET && method != Method::POST) {
        return ctx.fail(ApiError::invalid_action());
    }
    let Some(action_name) = action_name else {
        return ctx.fail(ApiError::missing_parameter("Action"));
    };
    let version = header_str(headers, "x-acs-version")
        .filter(|_| style == SignatureStyle::V3)
        .or_else(|| {
            params
                .get("Version")
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        });
    let Some(version) = version else {
        return ctx.fail(ApiError::missing_parameter("Version"));
    };
    let signed = SignedRequest {
        style,
        method: method.as_str(),
        params: &params,
        query: &query,
        headers,
        body: &body,
    };
    if version == sts::API_VERSION {
        return sts_call(app, &mut ctx, action_name, &signed, &params).await;
    }
    let action = match Action::lookup(action_name, version) {
        Ok(action) => action,
        Err(error) => return ctx.fail(error),
    };

    let principal = match app.auth.authenticate_principal(&signed, now_ms()) {
        Ok(principal) => principal,
        Err(error) => return ctx.fail(error),
    };
    if let Some(session) = &principal.session {
        let needed = sts::ram::ram_action(action.name());
        if !session.permissions.allows(&needed) {
            return ctx.fail(sts::ram::permission_denied(&needed, &principal.display()));
        }
    }
    let caller = principal.tenant;

    let limit = if action == Action::CreateTopic {
        app.settings.create_topic_qps()
    } else {
        app.settings.qps()
    };
    if !app
        .limiter
        .try_acquire(&caller, action.name(), limit, Instant::now())
    {
        return ctx.fail(ApiError::throttled_user());
    }

    let fault = app.faults.take(action.name());
    if let Some(faulted) = inject(&ctx, action.name(), fault.as_ref()).await {
        return faulted;
    }

    let mut call = match actions::execute(app, &caller, action, version, &params).await {
        Ok(fields) => {
            let body = render(
                ctx.format,
                &format!("{}Response", action.name()),
                &success_body(&ctx.request_id, fields),
            );
            Call {
                metric: ctx.metric.clone(),
                outcome: Outcome::Succeeded,
                response: ctx.answer(200, ctx.format.content_type(), body),
                kill: false,
            }
        }
        Err(error) => ctx.fail(error),
    };
    match fault.map(|f: Fault| f.mode) {
        Some(FaultMode::Truncated) => call = truncate(call).await,
        Some(FaultMode::LoseResponse) => {
            call.outcome = Outcome::Failed;
            call.kill = true;
        }
        _ => {}
    }
    call
}

/// Applies an injected fault before the action runs: the answer that replaces it, if any.
async fn inject(ctx: &Ctx, action: &str, fault: Option<&Fault>) -> Option<Call> {
    let fault = fault?;
    tracing::info!(action, mode = ?fault.mode, id = fault.id, "injecting fault");
    match fault.mode {
        FaultMode::Error => {
            let error = ApiError::new(fault.code.clone(), fault.http_status, fault.message.clone());
            Some(ctx.faulted(ctx.error_response(&error), false))
        }
        FaultMode::Drop => Some(ctx.faulted(ctx.answer(500, "text/plain", Vec::new()), true)),
        FaultMode::Malformed => Some(ctx.faulted(
            ctx.answer(200, ctx.format.content_type(), MALFORMED_BODY.into()),
            false,
        )),
        FaultMode::Html => Some(ctx.faulted(
            ctx.answer(502, "text/html", HTML_GATEWAY_PAGE.into()),
            false,
        )),
        FaultMode::Latency => {
            tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
            None
        }
        FaultMode::Truncated | FaultMode::LoseResponse => None,
    }
}

/// An STS call (API version 2015-04-01): its own authentication rules and answer envelope
/// (RequestId and the action's fields; no Code or Success). Injected faults apply by action
/// name; the truncating ones are served as errors of the same kind would be: not at all.
async fn sts_call(
    app: &Arc<App>,
    ctx: &mut Ctx,
    action: &str,
    signed: &SignedRequest<'_>,
    params: &ParamMap,
) -> Call {
    ctx.host_id = "sts.aliyuncs.com".to_string();
    let fault = app.faults.take(action);
    if let Some(faulted) = inject(ctx, action, fault.as_ref()).await {
        return faulted;
    }
    match sts::call(&app.sts, &app.auth, action, signed, params, now_ms()) {
        Ok(fields) => {
            let mut all = vec![("RequestId", Node::str(&ctx.request_id))];
            all.extend(fields);
            let body = render(ctx.format, &format!("{action}Response"), &Node::Obj(all));
            Call {
                metric: ctx.metric.clone(),
                outcome: Outcome::Succeeded,
                response: ctx.answer(200, ctx.format.content_type(), body),
                kill: false,
            }
        }
        Err(error) => ctx.fail(error),
    }
}

/// Keeps the first half of the body, with a matching Content-Length.
async fn truncate(mut call: Call) -> Call {
    let (parts, body) = std::mem::take(&mut call.response).into_parts();
    let full = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = Bytes::copy_from_slice(&full[..full.len() / 2]);
    let mut response = Response::from_parts(parts, Body::from(half.clone()));
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(half.len()));
    call.response = response;
    call.outcome = Outcome::Failed;
    call
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn is_form(headers: &HeaderMap) -> bool {
    header_str(headers, "content-type").is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    })
}
