//! Target `emulator_router`: the whole gateway in-process; answers are well-formed 2xx/4xx
//! in the declared format and never carry secrets.

use std::sync::Arc;

use alikafka::emulator::config::{DataLocation, EmulatorConfig};
use alikafka::emulator::server::router;
use alikafka::emulator::state::App;
use axum::body::Body;
use axum::http::{Method, Request, Uri};
use rand::rngs::StdRng;
use tower::ServiceExt;

use super::accounts;
use super::auth::no_secret_in;
use super::request::*;
use crate::harness::{self, ByteTarget};

// ----- target: the whole gateway through the router -----

pub fn run() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut config = EmulatorConfig::embedded(DataLocation::Memory);
    config.accounts = accounts();
    config.rate_limits.qps = 1_000_000;
    config.rate_limits.create_topic_qps = 1_000_000;
    config.visibility_delay_ms = 0;
    let app = Arc::new(App::new(config).expect("an in-memory emulator"));
    let service = router(Arc::clone(&app));
    let now = || chrono::Utc::now().timestamp_millis();
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(11);
    let mut seeds: Vec<Vec<u8>> = (0..48)
        .map(|_| {
            let mut spec = random_spec(&mut rng, timestamp_now());
            spec.wrong_secret = false;
            build(&spec).to_bytes()
        })
        .collect();
    seeds.push(
        b"PUT /_emulator/settings HTTP/1.1\r\ncontent-type: application/json\r\n\r\n{\"qps\":5}"
            .to_vec(),
    );
    seeds.push(b"POST /_emulator/faults HTTP/1.1\r\n\r\n{\"action\":\"CreateTopic\",\"mode\":\"error\",\"count\":1}".to_vec());
    let mut dictionary = dictionary();
    dictionary.extend([
        &b"/_emulator/"[..],
        b"/_emulator/faults",
        b"/_emulator/settings",
        b"/_emulator/reset",
    ]);
    let mut calls = 0u64;
    harness::fuzz_bytes(ByteTarget {
        name: "emulator_router",
        seeds,
        dictionary: &dictionary,
        generate_percent: 50,
        generate: &mut |rng| {
            let timestamp = timestamp_near(rng, now());
            build(&random_spec(rng, timestamp)).to_bytes()
        },
        check: &mut |input| {
            calls += 1;
            // Keep the state small so every call stays fast.
            if calls % 500 == 0 {
                let _ = runtime.block_on(app.reset());
            }
            check_router(&runtime, &service, &app, input)
        },
    });
}

fn timestamp_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn check_router(
    runtime: &tokio::runtime::Runtime,
    service: &axum::Router,
    app: &Arc<App>,
    input: &[u8],
) -> Result<(), String> {
    let req = parse_request(input);
    let (Ok(method), Ok(uri)) = (
        Method::from_bytes(req.method.as_bytes()),
        Uri::try_from(req.target.as_str()),
    ) else {
        // hyper refuses such a request line before the router sees it.
        return Ok(());
    };
    let control = uri.path().starts_with("/_emulator");
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in &req.headers {
        request = request.header(name, value);
    }
    let request = request
        .body(Body::from(req.body.clone()))
        .map_err(|e| format!("request not buildable: {e}"))?;
    let (status, content_type, body) = runtime.block_on(async {
        let response = match service.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        (status, content_type, body)
    });
    let body = body.map_err(|e| format!("answer body unreadable: {e}"))?;
    if control {
        // The control API may change faults and settings: start the next call clean.
        let _ = runtime.block_on(app.reset());
        return Ok(());
    }
    if !(status.is_success() || status.is_client_error()) {
        return Err(format!("HTTP {status}: {}", harness::escape(&body, 400)));
    }
    let text = std::str::from_utf8(&body).map_err(|_| "answer is not UTF-8".to_owned())?;
    if content_type.starts_with("application/json") {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("bad JSON answer ({e}): {text}"))?;
        if !v["RequestId"].is_string() {
            return Err(format!("answer without RequestId: {text}"));
        }
        let described = v["Code"].is_string() && v["Message"].is_string();
        if !status.is_success() && !described {
            return Err(format!("error answer without Code/Message: {text}"));
        }
    } else if content_type.starts_with("text/xml") {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut elements = 0;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(_)) => elements += 1,
                Ok(_) => {}
                Err(e) => return Err(format!("bad XML answer ({e}): {text}")),
            }
        }
        if elements == 0 || (!status.is_success() && !text.contains("<Code>")) {
            return Err(format!("XML answer without structure: {text}"));
        }
    } else {
        return Err(format!("answer with content type {content_type:?}"));
    }
    let params = gateway_params(&req).map(|(_, p)| p);
    no_secret_in(text, &req, params.as_ref())
}
