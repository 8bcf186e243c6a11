//! The API client against a small in-test HTTP stub (not the emulator) that records
//! every request and answers from a per-test script.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alikafka::api::{
    self, codes, signing, ApiError, Client, ClientConfig, CreateTopicRequest, Credentials,
    ErrorKind, GetConsumerListRequest, GetTopicListRequest, RateLimits, SecretString,
};
use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

const SECRET: &str = "stub-secret-value";

#[derive(Debug, Clone)]
struct Recorded {
    at: Instant,
    method: Method,
    params: HashMap<String, String>,
    raw_query: String,
    body_len: usize,
    content_type: Option<String>,
}

impl Recorded {
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    /// Recomputes the V1 signature over everything but `Signature`.
    fn signature_is_valid(&self, secret: &str) -> bool {
        let pairs: Vec<(&str, &str)> = self
            .params
            .iter()
            .filter(|(k, _)| k.as_str() != "Signature")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        signing::sign_params(self.method.as_str(), &pairs, secret) == self.param("Signature")
    }
}

#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            headers: vec![("content-type", "application/json".into())],
            delay: Duration::ZERO,
        }
    }

    fn success(extra: serde_json::Value) -> Reply {
        let mut body = serde_json::json!({
            "Code": 200, "Success": true, "Message": "operation success.", "RequestId": "REQ-OK"
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        Reply::json(200, body)
    }

    fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({
                "RequestId": format!("REQ-{code}"), "HostId": "stub", "Code": code,
                "Message": message, "Recommend": "https://example.invalid/troubleshoot"
            }),
        )
    }

    fn throttled() -> Reply {
        Reply::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
    }

    fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

type Script = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

#[derive(Clone)]
struct StubState {
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Script>,
}

struct Stub {
    base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Stub {
    async fn start(script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Stub {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = StubState {
            requests: Arc::clone(&requests),
            script: Arc::new(script),
        };
        let app = axum::Router::new().fallback(handle).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Stub {
            base: format!("http://{addr}"),
            requests,
        }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn handle(
    State(state): State<StubState>,
    method: Method,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        at: Instant::now(),
        method,
        params: pairs.into_iter().collect(),
        raw_query: raw_query.unwrap_or_default(),
        body_len: body.len(),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let reply = {
        let mut requests = state.requests.lock().expect("lock");
        requests.push(recorded.clone());
        (state.script)(requests.len() - 1, &recorded)
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = (
        StatusCode::from_u16(reply.status).expect("status"),
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// A client for the stub. Each test passes its own access key id, so the process-wide
/// rate limiters of concurrently running tests never interfere.
fn client(stub: &Stub, access_key_id: &str, tweak: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut config = ClientConfig {
        endpoint: Some(stub.base.clone()),
        rate_limits: RateLimits {
            default_per_second: 1000.0,
            per_action: HashMap::new(),
        },
        max_retries: 5,
        ..ClientConfig::new("cn-hangzhou")
    };
    tweak(&mut config);
    Client::new(config, Credentials::new(access_key_id, SECRET, None)).expect("client")
}

fn topic_list_req() -> GetTopicListRequest {
    GetTopicListRequest {
        instance_id: "alikafka_post-cn-test".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn requests_are_signed_posts_with_every_common_parameter() {
    let stub = Stub::start(|_, _| Reply::success(serde_json::json!({}))).await;
    let token_client = Client::new(
        ClientConfig {
            endpoint: Some(stub.base.clone()),
            ..ClientConfig::new("cn-hangzhou")
        },
        Credentials::new("ak-signed", SECRET, Some(SecretString::new("sts-token/+="))),
    )
    .expect("client");
    let req = CreateTopicRequest {
        instance_id: "alikafka_post-cn-test".into(),
        topic: "orders".into(),
        remark: "a remark with spaces & symbols*~".into(),
        partition_num: Some(12),
        ..Default::default()
    };
    let response = token_client
        .create_topic(&req, None)
        .await
        .expect("created");
    assert_eq!(response.request_id, "REQ-OK");

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.body_len, 0, "parameters travel in the query string");
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(
        r.signature_is_valid(SECRET),
        "stub recomputes the signature"
    );
    assert_eq!(r.param("Action"), "CreateTopic");
    assert_eq!(r.param("AccessKeyId"), "ak-signed");
    assert_eq!(r.param("Format"), "JSON");
    assert_eq!(r.param("RegionId"), "cn-hangzhou");
    assert_eq!(r.param("SignatureMethod"), "HMAC-SHA1");
    assert_eq!(r.param("SignatureVersion"), "1.0");
    assert_eq!(r.param("Version"), "2019-09-16");
    assert_eq!(r.param("SecurityToken"), "sts-token/+=");
    assert_eq!(r.param("Remark"), "a remark with spaces & symbols*~");
    assert_eq!(r.param("PartitionNum"), "12");
    assert!(
        uuid::Uuid::parse_str(r.param("SignatureNonce")).is_ok_and(|u| u.get_version_num() == 4)
    );
    let timestamp = r.param("Timestamp");
    assert!(
        chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{timestamp}"
    );
    // RFC 3986 on the wire: no '+' for spaces, '*' encoded, '~' bare.
    assert!(r.raw_query.contains("%20with%20spaces%20%26%20symbols%2A~"));
    assert!(!r.raw_query.contains('+'));
}

#[tokio::test]
async fn throttling_is_retried_until_success_with_fresh_signatures() {
    let stub = Stub::start(|i, _| {
        if i < 2 {
            Reply::throttled()
        } else {
            Reply::success(serde_json::json!({"TopicList": {"TopicVO": [{"Topic": "t1"}]}}))
        }
    })
    .await;
    let client = client(&stub, "ak-throttle", |_| {});
    let response = client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect("third attempt succeeds");
    assert_eq!(response.topics.len(), 1);
    let requests = stub.requests();
    assert_eq!(requests.len(), 3);
    let stats = client.stats();
    assert_eq!((stats.attempts, stats.retries, stats.throttled), (3, 2, 2));
    assert_eq!(
        client
            .retry_counter()
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );

    let nonces: HashSet<&str> = requests.iter().map(|r| r.param("SignatureNonce")).collect();
    assert_eq!(nonces.len(), 3, "a new nonce on each attempt");
    let signatures: HashSet<&str> = requests.iter().map(|r| r.param("Signature")).collect();
    assert_eq!(signatures.len(), 3, "each attempt freshly signed");
    assert!(requests.iter().all(|r| r.signature_is_valid(SECRET)));
}

#[tokio::test]
async fn transient_server_errors_are_retried_and_counted_per_client() {
    let stub = Stub::start(|i, _| match i {
        0 => Reply::error(503, "ServiceUnavailable", "temporary failure"),
        1 => Reply::error(500, "InternalError", "oops"),
        _ => Reply::success(serde_json::json!({})),
    })
    .await;
    let client = client(&stub, "ak-transient", |_| {});
    let clone = client.clone();
    clone
        .delete_topic(
            &api::DeleteTopicRequest {
                instance_id: "i".into(),
                topic: "t".into(),
            },
            None,
        )
        .await
        .expect("succeeds after two retries");
    // Clones share the counters.
    assert_eq!(client.stats().retries, 2);
    assert_eq!(client.stats().throttled, 0);
}

#[tokio::test]
async fn signature_mismatch_is_not_retried() {
    let stub = Stub::start(|_, _| {
        Reply::error(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Dx",
        )
    })
    .await;
    let client = client(&stub, "ak-sig", |_| {});
    let err = client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect_err("auth error");
    assert_eq!(stub.requests().len(), 1, "no retry");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.code, "SignatureDoesNotMatch");
    assert_eq!(err.http_status, Some(400));
    assert_eq!(err.attempts, 1);
    assert_eq!(err.request_id.as_deref(), Some("REQ-SignatureDoesNotMatch"));
    assert!(err
        .to_string()
        .starts_with("GetTopicList failed: SignatureDoesNotMatch (HTTP 400): Specified signature"));
    assert!(err
        .to_string()
        .ends_with("(RequestId: REQ-SignatureDoesNotMatch)"));
    assert!(err
        .hint()
        .is_some_and(|h| h.contains("check the secret key")));
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn business_errors_in_http_200_are_errors() {
    let stub = Stub::start(|_, _| {
        Reply::json(
            200,
            serde_json::json!({"Code": "BIZ_TOPIC_NOT_FOUND", "Success": false,
                                "Message": "The topic does not exist.", "RequestId": "R-404"}),
        )
    })
    .await;
    let client = client(&stub, "ak-biz", |_| {});
    let err = client
        .get_topic_status(
            &api::GetTopicStatusRequest {
                instance_id: "i".into(),
                topic: "nope".into(),
            },
            None,
        )
        .await
        .expect_err("not found");
    assert!(err.is_not_found());
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn retry_delay_would_pass_the_deadline_so_the_last_error_returns() {
    let stub =
        Stub::start(|_, _| Reply::throttled().with_header("x-acs-retry-after", "3000")).await;
    let client = client(&stub, "ak-deadline-1", |_| {});
    let started = Instant::now();
    let err = client
        .get_topic_list(&topic_list_req(), Some(started + Duration::from_secs(1)))
        .await
        .expect_err("gives up");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "no pointless wait"
    );
    assert_eq!(
        err.code, "Throttling.User",
        "the last real error, not a timeout"
    );
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn retries_stop_at_the_deadline() {
    let stub = Stub::start(|_, _| Reply::error(503, "ServiceUnavailable", "down")).await;
    let client = client(&stub, "ak-deadline-2", |c| c.max_retries = 1000);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(1500);
    let err = client
        .get_topic_list(&topic_list_req(), Some(deadline))
        .await
        .expect_err("gives up");
    let elapsed = started.elapsed();
    assert!(elapsed <= Duration::from_millis(1600), "{elapsed:?}");
    assert_eq!(err.code, "ServiceUnavailable");
    assert!(err.attempts >= 2, "retried while time allowed");
    assert_eq!(err.attempts as usize, stub.requests().len());
    assert!(stub.requests().iter().all(|r| r.at <= deadline));
}

#[tokio::test]
async fn a_slow_answer_is_cut_at_the_deadline() {
    let stub =
        Stub::start(|_, _| Reply::success(serde_json::json!({})).delayed(Duration::from_secs(3)))
            .await;
    let client = client(&stub, "ak-deadline-3", |_| {});
    let started = Instant::now();
    let err = client
        .get_topic_list(
            &topic_list_req(),
            Some(started + Duration::from_millis(400)),
        )
        .await
        .expect_err("deadline");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(390) && elapsed < Duration::from_millis(900),
        "{elapsed:?}"
    );
    assert_eq!(err.code, codes::DEADLINE_EXCEEDED);
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn request_timeout_applies_per_attempt() {
    let stub =
        Stub::start(|_, _| Reply::success(serde_json::json!({})).delayed(Duration::from_secs(3)))
            .await;
    let client = client(&stub, "ak-timeout", |c| {
        c.request_timeout = Duration::from_millis(300);
        c.max_retries = 0;
    });
    let started = Instant::now();
    let err = client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(err.code, codes::REQUEST_TIMEOUT);
    assert!(err.is_retryable());
    assert!(!err.message.contains("Signature="), "{err}");
}

#[tokio::test]
async fn concurrent_calls_keep_to_the_configured_rate() {
    let stub = Stub::start(|_, _| Reply::success(serde_json::json!({}))).await;
    let client = client(&stub, "ak-rate", |c| {
        c.rate_limits = RateLimits {
            default_per_second: 1000.0,
            per_action: HashMap::from([("GetTopicList".to_owned(), 10.0)]),
        };
    });
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_topic_list(&topic_list_req(), None).await })
        })
        .collect();
    for call in calls {
        call.await.expect("joined").expect("call succeeds");
    }
    let mut arrivals: Vec<Instant> = stub.requests().iter().map(|r| r.at).collect();
    arrivals.sort();
    assert_eq!(arrivals.len(), 20);
    let span = arrivals[19] - arrivals[0];
    let mut busiest_window = 0;
    for (j, end) in arrivals.iter().enumerate() {
        // Requests in the sliding window (end - 1 s, end].
        let in_window = arrivals[..=j]
            .iter()
            .filter(|t| *end - **t < Duration::from_secs(1))
            .count();
        busiest_window = busiest_window.max(in_window);
    }
    let gaps: Vec<u128> = arrivals
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect();
    println!(
        "20 calls at 10/s: span {:?}, busiest 1-s window {busiest_window}, gaps ms min {} max {}",
        span,
        gaps.iter().min().unwrap_or(&0),
        gaps.iter().max().unwrap_or(&0)
    );
    // Ten may leave at once (the service's window allows it); the eleventh waits until a
    // second after the first was answered.
    assert!(span >= Duration::from_secs(1), "{span:?}");
    assert!(
        busiest_window <= 10,
        "{busiest_window} requests in one second"
    );
}

#[tokio::test]
async fn limiter_is_shared_between_clients_of_one_key() {
    let stub = Stub::start(|_, _| Reply::success(serde_json::json!({}))).await;
    let make = || {
        client(&stub, "ak-shared", |c| {
            c.rate_limits.per_action = HashMap::from([("GetConsumerList".to_owned(), 5.0)]);
        })
    };
    let (a, b) = (make(), make());
    let req = GetConsumerListRequest {
        instance_id: "i".into(),
        ..Default::default()
    };
    let started = Instant::now();
    let (ra, rb) = tokio::join!(
        async {
            for _ in 0..3 {
                a.get_consumer_list(&req, None).await?;
            }
            Ok::<_, ApiError>(())
        },
        async {
            for _ in 0..3 {
                b.get_consumer_list(&req, None).await?;
            }
            Ok::<_, ApiError>(())
        }
    );
    ra.expect("a");
    rb.expect("b");
    // Six calls at 5/s through one limiter: the sixth waits a second after the first's
    // answer (with a limiter each, all six would leave at once).
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn html_body_gives_an_error_quoting_its_prefix() {
    let page = format!(
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>{}</body></html>",
        "filler ".repeat(100)
    );
    let stub = Stub::start(move |_, _| Reply {
        status: 502,
        body: page.clone(),
        headers: vec![("content-type", "text/html".into())],
        delay: Duration::ZERO,
    })
    .await;
    let client = client(&stub, "ak-html", |c| c.max_retries = 2);
    let err = client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect_err("html");
    assert_eq!(err.code, codes::MALFORMED_RESPONSE);
    assert_eq!(err.http_status, Some(502));
    assert!(
        err.message
            .contains("<html> <head><title>502 Bad Gateway</title>"),
        "{}",
        err.message
    );
    assert!(!err.message.contains('\n'));
    let quoted = err.message.split('"').nth(1).unwrap_or("");
    assert!(quoted.chars().count() <= 121, "{quoted}");
    // A gateway page is transient: retried up to max_retries.
    assert_eq!(stub.requests().len(), 3);
}

#[tokio::test]
async fn retry_after_header_is_honoured() {
    let stub = Stub::start(|i, _| {
        if i == 0 {
            Reply::throttled().with_header("x-acs-retry-after", "800")
        } else {
            Reply::success(serde_json::json!({}))
        }
    })
    .await;
    let client = client(&stub, "ak-retry-after", |_| {});
    client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect("second attempt succeeds");
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    // Jitter alone would wait at most 500 ms before the first retry after throttling.
    assert!(
        gap >= Duration::from_millis(800) && gap < Duration::from_millis(1300),
        "{gap:?}"
    );
}

#[tokio::test]
async fn network_errors_are_retried_and_never_show_the_url() {
    // Bind and drop a listener to find a port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let config = ClientConfig {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        max_retries: 2,
        ..ClientConfig::new("cn-hangzhou")
    };
    let client = Client::new(config, Credentials::new("ak-net", SECRET, None)).expect("client");
    let err = client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect_err("refused");
    assert_eq!(err.code, codes::NETWORK_ERROR);
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.attempts, 3);
    assert_eq!(client.stats().retries, 2);
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("Signature") && !shown.contains("AccessKeyId"),
        "{shown}"
    );
}

#[tokio::test]
async fn dropping_a_call_midway_is_safe() {
    let stub = Stub::start(|i, _| {
        let reply = Reply::success(serde_json::json!({}));
        if i == 0 {
            reply.delayed(Duration::from_secs(2))
        } else {
            reply
        }
    })
    .await;
    let client = client(&stub, "ak-cancel", |_| {});
    let stop = tokio::time::sleep(Duration::from_millis(200));
    let req = topic_list_req();
    tokio::select! {
        _ = client.get_topic_list(&req, None) => panic!("should have been cancelled"),
        _ = stop => {}
    }
    // The client is still usable right away.
    let started = Instant::now();
    client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect("works after cancel");
    assert!(started.elapsed() < Duration::from_millis(1000));
}

#[tokio::test]
async fn all_topic_pages_are_fetched() {
    let stub = Stub::start(|_, r| {
        let page: usize = r.param("CurrentPage").parse().unwrap_or(1);
        let size: usize = r.param("PageSize").parse().unwrap_or(10_000);
        let total = 7;
        let topics: Vec<_> = (0..total)
            .skip((page - 1) * size)
            .take(size)
            .map(|n| serde_json::json!({"Topic": format!("t{n}"), "PartitionNum": "12"}))
            .collect();
        Reply::success(serde_json::json!({
            "CurrentPage": page, "PageSize": size, "Total": total,
            "TopicList": {"TopicVO": topics}
        }))
    })
    .await;
    let client = client(&stub, "ak-pages", |_| {});
    let req = GetTopicListRequest {
        page_size: Some(3),
        ..topic_list_req()
    };
    let topics = client.get_all_topics(&req, None).await.expect("pages");
    let names: Vec<&str> = topics.iter().map(|t| t.topic.as_str()).collect();
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
    let pages: Vec<String> = stub
        .requests()
        .iter()
        .map(|r| r.param("CurrentPage").to_owned())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
}

#[tokio::test]
async fn paging_stops_when_the_service_ignores_it() {
    // Always the same full page: must not loop forever.
    let stub = Stub::start(|_, _| {
        Reply::success(serde_json::json!({
            "Total": 100, "PageSize": 2,
            "TopicList": {"TopicVO": [{"Topic": "a"}, {"Topic": "b"}]}
        }))
    })
    .await;
    let client = client(&stub, "ak-pages-broken", |_| {});
    let topics = client
        .get_all_topics(&topic_list_req(), None)
        .await
        .expect("pages");
    assert_eq!(topics.len(), 2);
    assert_eq!(stub.requests().len(), 2);
}

#[tokio::test]
async fn every_new_action_goes_out_as_2019_09_16_with_its_parameters() {
    let stub = Stub::start(|_, _| Reply::success(serde_json::json!({}))).await;
    let client = client(&stub, "ak-new-actions", |_| {});
    let i = || "alikafka_post-cn-test".to_owned();
    client
        .update_topic_config(
            &api::UpdateTopicConfigRequest {
                instance_id: i(),
                topic: "orders".into(),
                config: "retention.ms".into(),
                value: "86400000".into(),
            },
            None,
        )
        .await
        .expect("update");
    client
        .tag_resources(
            &api::TagResourcesRequest {
                resource_type: api::ResourceType::Topic,
                resource_ids: vec![api::topic_resource_id(&i(), "orders")],
                tags: vec![api::Tag::new("team", "payments")],
                instance_id: None,
            },
            None,
        )
        .await
        .expect("tag");
    client
        .create_sasl_user(
            &api::CreateSaslUserRequest {
                instance_id: i(),
                username: "svc".into(),
                password: SecretString::new("svc-password-1"),
                user_type: Some(api::SaslUserType::Scram),
                mechanism: None,
            },
            None,
        )
        .await
        .expect("user");
    client
        .create_acl(
            &api::CreateAclRequest(api::AclSpec {
                instance_id: i(),
                username: "svc".into(),
                resource_type: api::AclResourceType::Topic,
                resource_name: "orders".into(),
                pattern_type: api::AclPatternType::Literal,
                operation_type: api::AclOperation::Write,
                operation_types: Vec::new(),
                permission_type: None,
                host: None,
            }),
            None,
        )
        .await
        .expect("acl");
    client
        .update_allowed_ip(
            &api::UpdateAllowedIpRequest {
                instance_id: i(),
                list_type: api::AllowedListType::Vpc,
                port_range: "9092/9092".into(),
                add: true,
                allowed_ips: "10.0.0.0/8,192.168.0.1".into(),
                description: Some("apps".into()),
            },
            None,
        )
        .await
        .expect("allowlist");
    let requests = stub.requests();
    let actions: Vec<&str> = requests.iter().map(|r| r.param("Action")).collect();
    assert_eq!(
        actions,
        [
            "UpdateTopicConfig",
            "TagResources",
            "CreateSaslUser",
            "CreateAcl",
            "UpdateAllowedIp"
        ]
    );
    assert!(requests.iter().all(|r| r.param("Version") == "2019-09-16"));
    assert!(requests.iter().all(|r| r.signature_is_valid(SECRET)));
    assert_eq!(requests[0].param("Config"), "retention.ms");
    assert_eq!(requests[0].param("Value"), "86400000");
    assert_eq!(requests[1].param("ResourceType"), "TOPIC");
    assert_eq!(
        requests[1].param("ResourceId.1"),
        "Kafka_alikafka_post-cn-test_orders"
    );
    assert_eq!(requests[1].param("Tag.1.Key"), "team");
    assert_eq!(requests[1].param("Tag.1.Value"), "payments");
    assert_eq!(requests[2].param("Password"), "svc-password-1");
    assert_eq!(requests[2].param("Type"), "scram");
    assert_eq!(requests[3].param("AclResourcePatternType"), "LITERAL");
    assert_eq!(requests[3].param("AclOperationType"), "Write");
    assert_eq!(requests[4].param("AllowedListIp"), "10.0.0.0/8,192.168.0.1");
    assert_eq!(requests[4].param("UpdateType"), "add");
}

#[tokio::test]
async fn a_password_echoed_by_the_service_is_redacted() {
    // SignatureDoesNotMatch quotes the whole string to sign, password included (encoded
    // twice); a misbehaving service might echo it raw too.
    let stub = Stub::start(|_, r| {
        let twice = signing::percent_encode(&signing::percent_encode(r.param("Password")));
        Reply::error(
            400,
            "SignatureDoesNotMatch",
            &format!(
                "server string to sign is:POST&%2F&Password%3D{twice} raw {}",
                r.param("Password")
            ),
        )
    })
    .await;
    let client = client(&stub, "ak-password-echo", |_| {});
    let err = client
        .create_sasl_user(
            &api::CreateSaslUserRequest {
                instance_id: "i".into(),
                username: "svc".into(),
                password: SecretString::new("pa ss/word+1"),
                ..Default::default()
            },
            None,
        )
        .await
        .expect_err("auth");
    let shown = format!("{err} {err:?}");
    let encoded = signing::percent_encode("pa ss/word+1");
    for leaked in ["pa ss/word+1", encoded.as_str(), "word+1"] {
        assert!(!shown.contains(leaked), "{leaked} in {shown}");
    }
    assert!(shown.contains("Password%3D***"), "{shown}");
}

#[tokio::test]
async fn allowlist_updates_are_not_resent_after_an_uncertain_attempt() {
    let stub = Stub::start(|i, _| match i {
        0 => Reply::error(500, "InternalError", "may or may not have been applied"),
        _ => Reply::success(serde_json::json!({})),
    })
    .await;
    let client = client(&stub, "ak-allowlist-once", |_| {});
    let err = client
        .update_allowed_ip(
            &api::UpdateAllowedIpRequest {
                instance_id: "i".into(),
                list_type: api::AllowedListType::Vpc,
                port_range: "9092/9092".into(),
                add: false,
                allowed_ips: "10.0.0.1".into(),
                description: None,
            },
            None,
        )
        .await
        .expect_err("not repeated");
    assert!(err.outcome_uncertain);
    assert_eq!(
        stub.requests().len(),
        1,
        "a 500 may have been applied: no resend"
    );
}

#[tokio::test]
async fn tag_lists_are_batched_and_followed_through_next_tokens() {
    // Two pages per batch; each pair echoes the requested resource.
    let stub = Stub::start(|_, r| {
        let ids: Vec<String> = (1..=60)
            .map(|n| r.param(&format!("ResourceId.{n}")).to_owned())
            .filter(|id| !id.is_empty())
            .collect();
        let second = r.param("NextToken") == "page-2";
        let half = ids.len() / 2;
        let chosen = if second { &ids[half..] } else { &ids[..half] };
        let pairs: Vec<_> = chosen
            .iter()
            .map(|id| serde_json::json!({"ResourceId": id, "ResourceType": "Topic", "TagKey": "team", "TagValue": "pay"}))
            .collect();
        let mut body = serde_json::json!({"RequestId": "R", "TagResources": {"TagResource": pairs}});
        if !second {
            body["NextToken"] = serde_json::json!("page-2");
        }
        Reply::json(200, body)
    })
    .await;
    let client = client(&stub, "ak-tag-pages", |_| {});
    let ids: Vec<String> = (0..70)
        .map(|n| api::topic_resource_id("i", &format!("t{n}")))
        .collect();
    let pairs = client
        .list_all_tag_resources(
            &api::ListTagResourcesRequest {
                resource_type: api::ResourceType::Topic,
                resource_ids: ids.clone(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("all pages");
    let got: HashSet<&str> = pairs.iter().map(|p| p.resource_id.as_str()).collect();
    assert_eq!(got.len(), 70);
    let requests = stub.requests();
    assert_eq!(requests.len(), 4, "2 batches (50 + 20) x 2 pages");
    let batch_sizes: Vec<usize> = requests
        .iter()
        .map(|r| {
            r.params
                .keys()
                .filter(|k| k.starts_with("ResourceId."))
                .count()
        })
        .collect();
    assert_eq!(batch_sizes, [50, 50, 20, 20]);
    assert_eq!(requests[1].param("NextToken"), "page-2");
    assert_eq!(
        requests[2].param("NextToken"),
        "",
        "a new batch starts afresh"
    );
}

#[tokio::test]
async fn all_consumer_group_pages_are_fetched() {
    let stub = Stub::start(|_, r| {
        let page: usize = r.param("CurrentPage").parse().unwrap_or(1);
        let size: usize = r.param("PageSize").parse().unwrap_or(10_000);
        let groups: Vec<_> = (0..5)
            .skip((page - 1) * size)
            .take(size)
            .map(|n| serde_json::json!({"ConsumerId": format!("g{n}"), "Tags": {"TagVO": [{"Key": "n", "Value": n}]}}))
            .collect();
        Reply::success(serde_json::json!({
            "CurrentPage": page, "PageSize": size, "Total": 5,
            "ConsumerList": {"ConsumerVO": groups}
        }))
    })
    .await;
    let client = client(&stub, "ak-group-pages", |_| {});
    let groups = client
        .get_all_consumer_groups(
            &GetConsumerListRequest {
                instance_id: "i".into(),
                page_size: Some(2),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("pages");
    let names: Vec<&str> = groups.iter().map(|g| g.consumer_id.as_str()).collect();
    assert_eq!(names, ["g0", "g1", "g2", "g3", "g4"]);
    assert_eq!(groups[4].tags, [api::Tag::new("n", "4")]);
    assert_eq!(stub.requests().len(), 3);
    // Without a page size the helper asks for the largest page.
    let stub = Stub::start(|_, r| {
        assert_eq!(r.param("PageSize"), "10000");
        Reply::success(
            serde_json::json!({"Total": 1, "ConsumerList": {"ConsumerVO": [{"ConsumerId": "g"}]}}),
        )
    })
    .await;
    let client = self::client(&stub, "ak-group-pages-default", |_| {});
    let groups = client
        .get_all_consumer_groups(
            &GetConsumerListRequest {
                instance_id: "i".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("one page");
    assert_eq!(groups.len(), 1);
}

/// A `tracing` writer collecting output for inspection.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every test in this binary logs into one global subscriber: a scoped subscriber raced
/// with the callsite-interest cache of tests running on other threads and lost lines.
fn global_logs() -> Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        captured
    })
    .clone()
}

#[tokio::test(flavor = "current_thread")]
async fn logs_one_line_per_attempt_without_secrets() {
    let captured = global_logs();
    // Request IDs no other test uses pick this test's lines out of the shared log.
    let stub = Stub::start(|i, _| {
        if i == 0 {
            Reply::json(
                400,
                serde_json::json!({
                    "RequestId": "REQ-LOGS-THROTTLED", "Code": "Throttling.User",
                    "Message": "Request was denied due to user flow control."
                }),
            )
        } else {
            Reply::success(serde_json::json!({"RequestId": "REQ-LOGS-OK"}))
        }
    })
    .await;
    let token = "sts-token-secret-value";
    let client = Client::new(
        ClientConfig {
            endpoint: Some(stub.base.clone()),
            ..ClientConfig::new("cn-hangzhou")
        },
        Credentials::new("ak-logs", SECRET, Some(SecretString::new(token))),
    )
    .expect("client");
    client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect("ok");
    let signatures: Vec<String> = stub
        .requests()
        .iter()
        .map(|r| r.param("Signature").to_owned())
        .collect();
    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    let attempt_lines: Vec<&str> = logs
        .lines()
        // One line per attempt; the retry's own line ("retrying alikafka request") aside.
        .filter(|l| {
            l.contains("alikafka request") && !l.contains("retrying") && l.contains("REQ-LOGS-")
        })
        .collect();
    assert_eq!(attempt_lines.len(), 2, "{logs}");
    assert!(
        attempt_lines[0].contains("action=\"GetTopicList\"")
            || attempt_lines[0].contains("action=GetTopicList"),
        "{logs}"
    );
    assert!(attempt_lines[0].contains("attempt=1") && attempt_lines[1].contains("attempt=2"));
    assert!(
        attempt_lines[0].contains("http_status=Some(400)")
            && attempt_lines[0].contains("REQ-LOGS-THROTTLED")
    );
    assert!(attempt_lines[1].contains("REQ-LOGS-OK") && attempt_lines[1].contains("latency_ms="));
    assert!(logs.contains("retrying"), "a retry is logged: {logs}");
    for secret in [SECRET, token, "Signature=", stub.base.as_str()]
        .into_iter()
        .chain(signatures.iter().map(String::as_str))
    {
        assert!(!logs.contains(secret), "{secret} leaked into logs: {logs}");
    }
}

#[tokio::test]
async fn endpoints_default_to_https_and_plain_http_needs_loopback() {
    let creds = || Credentials::new("ak-endpoints", SECRET, None);
    let default = Client::new(ClientConfig::new("cn-shanghai"), creds()).expect("https default");
    assert_eq!(
        default.endpoint(),
        "https://alikafka.cn-shanghai.aliyuncs.com"
    );
    assert_eq!(default.region(), "cn-shanghai");

    let remote_http = ClientConfig {
        endpoint: Some("http://192.0.2.10:9120".into()),
        ..ClientConfig::new("cn-hangzhou")
    };
    let err = Client::new(remote_http.clone(), creds()).expect_err("refused");
    assert!(err.to_string().contains("allow_insecure_http"), "{err}");
    let allowed = Client::new(
        ClientConfig {
            allow_insecure_http: true,
            ..remote_http
        },
        creds(),
    )
    .expect("allowed when asked");
    assert_eq!(allowed.endpoint(), "http://192.0.2.10:9120");
    assert!(!format!("{allowed:?}").contains(SECRET));
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_network_error() {
    let stub = Stub::start(|_, _| Reply::success(serde_json::json!({}))).await;
    let https = stub.base.replace("http://", "https://");
    let client = Client::new(
        ClientConfig {
            endpoint: Some(https),
            max_retries: 0,
            ..ClientConfig::new("cn-hangzhou")
        },
        Credentials::new("ak-tls", SECRET, None),
    )
    .expect("client");
    let err = client
        .get_topic_list(&topic_list_req(), None)
        .await
        .expect_err("TLS handshake fails");
    assert_eq!(err.code, codes::NETWORK_ERROR, "{err}");
    assert!(stub.requests().is_empty());
}
