//! Fault injection (every mode) and the rest of the control API, over HTTP.

mod emulator_support;

use std::time::{Duration, Instant};

use emulator_support::*;
use serde_json::{json, Value};

const HZ: [(&str, &str); 2] = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];

fn fast() -> Emulator {
    Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "1000",
        "--create-topic-qps",
        "1000",
    ])
}

async fn add_fault(emu: &Emulator, spec: Value) -> u64 {
    let (status, v) = emu.control("POST", "faults", Some(spec)).await;
    assert_eq!(status, 200, "{v}");
    v["id"].as_u64().expect("id")
}

async fn topic_names(emu: &Emulator) -> Vec<String> {
    emu.state_topics(HANGZHOU)
        .await
        .iter()
        .map(|t| t["topic"].as_str().unwrap().to_string())
        .collect()
}

fn create(topic: &'static str) -> [(&'static str, &'static str); 4] {
    [HZ[0], HZ[1], ("Topic", topic), ("Remark", "r")]
}

/// Sends a signed CreateTopic and returns the transport error, if any.
async fn create_raw(emu: &Emulator, topic: &str) -> Result<reqwest::Response, reqwest::Error> {
    let mut p = common_params(&Creds::demo(), "CreateTopic", V2018);
    for (k, v) in [HZ[0], HZ[1], ("Topic", topic), ("Remark", "r")] {
        p.insert(k.into(), v.into());
    }
    sign_v1("POST", &mut p, DEMO_SK);
    emu.http
        .post(format!("{}/?{}", emu.base, query_string(&p)))
        .send()
        .await
}

#[tokio::test]
async fn error_and_latency_faults() {
    let emu = fast();
    let id = add_fault(
        &emu,
        json!({"action": "CreateTopic", "mode": "error", "code": "ServiceUnavailable", "http_status": 503, "message": "try later", "count": 1}),
    )
    .await;
    assert_eq!(id, 1);
    emu.call("GetTopicList", &HZ).await.assert_ok();
    let v = emu
        .call("CreateTopic", &create("faulted"))
        .await
        .assert_error(503, "ServiceUnavailable");
    assert_eq!(v["Message"], "try later");
    assert!(
        topic_names(&emu).await.is_empty(),
        "an error fault does not run the action"
    );
    emu.call("CreateTopic", &create("faulted"))
        .await
        .assert_ok();

    add_fault(
        &emu,
        json!({"action": "GetTopicList", "mode": "latency", "latency_ms": 300, "count": 1}),
    )
    .await;
    let started = Instant::now();
    emu.call("GetTopicList", &HZ).await.assert_ok();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    emu.call("GetTopicList", &HZ).await.assert_ok();
    assert!(started.elapsed() < Duration::from_millis(300));

    // Default error fault: ServiceUnavailable/503, until cleared; listed with its settings.
    add_fault(
        &emu,
        json!({"action": "*", "mode": "error", "code": "InternalError", "http_status": 500}),
    )
    .await;
    emu.call("GetConsumerList", &HZ)
        .await
        .assert_error(500, "InternalError");
    emu.call("GetConsumerList", &HZ)
        .await
        .assert_error(500, "InternalError");
    let (_, list) = emu.control("GET", "faults", None).await;
    let faults = list["faults"].as_array().unwrap();
    assert_eq!(
        faults.len(),
        1,
        "count-limited faults leave when used up: {list}"
    );
    assert_eq!(faults[0]["action"], "*");
    assert_eq!(faults[0]["count"], Value::Null);
    let (status, _) = emu.control("DELETE", "faults", None).await;
    assert_eq!(status, 200);
    emu.call("GetConsumerList", &HZ).await.assert_ok();

    let (_, metrics) = emu.control("GET", "metrics", None).await;
    assert_eq!(metrics["actions"]["CreateTopic"]["failed"], 1, "{metrics}");
    assert_eq!(metrics["actions"]["GetConsumerList"]["failed"], 2);
}

#[tokio::test]
async fn connection_and_body_faults() {
    let emu = fast();

    add_fault(
        &emu,
        json!({"action": "CreateTopic", "mode": "drop", "count": 1}),
    )
    .await;
    let error = create_raw(&emu, "dropped")
        .await
        .expect_err("no response for a dropped connection");
    assert!(!error.is_timeout(), "{error}");
    assert!(
        topic_names(&emu).await.is_empty(),
        "drop does not run the action"
    );

    add_fault(
        &emu,
        json!({"action": "CreateTopic", "mode": "lose_response", "count": 1}),
    )
    .await;
    create_raw(&emu, "lost")
        .await
        .expect_err("the response is lost");
    assert_eq!(
        topic_names(&emu).await,
        ["lost"],
        "lose_response runs the action"
    );

    add_fault(
        &emu,
        json!({"action": "CreateTopic", "mode": "truncated", "count": 1}),
    )
    .await;
    let response = create_raw(&emu, "truncated").await.expect("a response");
    assert_eq!(response.status(), 200);
    let declared = response.content_length().expect("content-length");
    let body = response.text().await.expect("complete (short) body");
    assert_eq!(body.len() as u64, declared);
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "half a body does not parse: {body}"
    );
    assert!(body.starts_with("{\"RequestId\":"));
    assert_eq!(
        topic_names(&emu).await,
        ["lost", "truncated"],
        "truncated runs the action"
    );

    add_fault(
        &emu,
        json!({"action": "CreateTopic", "mode": "malformed", "count": 1}),
    )
    .await;
    let r = emu.call("CreateTopic", &create("malformed")).await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<Value>(&r.body).is_err());
    assert!(
        !r.body.trim_start().starts_with('<'),
        "not XML either: {}",
        r.body
    );

    add_fault(
        &emu,
        json!({"action": "CreateTopic", "mode": "html", "count": 1}),
    )
    .await;
    let r = emu.call("CreateTopic", &create("html")).await;
    assert_eq!((r.status, r.content_type.as_str()), (502, "text/html"));
    assert!(r.body.contains("<title>502 Bad Gateway</title>"));
    assert_eq!(topic_names(&emu).await, ["lost", "truncated"]);

    // Every faulted call counts as failed; the server is fine afterwards.
    let (_, metrics) = emu.control("GET", "metrics", None).await;
    assert_eq!(metrics["actions"]["CreateTopic"]["failed"], 5, "{metrics}");
    assert_eq!(metrics["actions"]["CreateTopic"]["succeeded"], 0);
    emu.call("CreateTopic", &create("after")).await.assert_ok();
}

#[tokio::test]
async fn probability_faults_and_validation() {
    let emu = fast();
    add_fault(
        &emu,
        json!({"action": "GetTopicList", "mode": "error", "probability": 0.5}),
    )
    .await;
    let mut failed = 0;
    for _ in 0..200 {
        if emu.call("GetTopicList", &HZ).await.status == 503 {
            failed += 1;
        }
    }
    assert!((40..=160).contains(&failed), "about half fail: {failed}");
    emu.control("DELETE", "faults", None).await;

    for bad in [
        json!({"action": "X", "mode": "explode"}),
        json!({"action": "X", "mode": "error", "count": 0}),
        json!({"action": "X", "mode": "error", "probability": 2.0}),
        json!({"mode": "error"}),
        json!({"action": "X", "mode": "error", "colour": "red"}),
    ] {
        let (status, v) = emu.control("POST", "faults", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad} -> {v}");
        assert!(v["error"].is_string());
    }
    // Faults apply after authentication and flow control.
    add_fault(&emu, json!({"action": "*", "mode": "error"})).await;
    emu.call_as(
        &Creds::new(DEMO_AK, "wrong", None),
        "GetTopicList",
        V2018,
        &HZ,
    )
    .await
    .assert_error(400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn metrics_count_every_request_and_reset() {
    let emu = fast();
    emu.call("GetTopicList", &HZ).await.assert_ok();
    emu.call("CreateTopic", &create("m-1")).await.assert_ok();
    emu.call("CreateTopic", &create("m-1"))
        .await
        .assert_error(400, "BIZ_TOPIC_EXISTED");
    emu.call("NoSuchAction", &HZ)
        .await
        .assert_error(404, "InvalidAction.NotFound");
    let (status, m) = emu.control("GET", "metrics", None).await;
    assert_eq!(status, 200);
    let ct = &m["actions"]["CreateTopic"];
    assert_eq!(
        (
            ct["requests"].clone(),
            ct["succeeded"].clone(),
            ct["failed"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );
    for p in ["p50", "p90", "p99", "max"] {
        assert!(ct["latency_ms"][p].as_f64().unwrap() > 0.0, "{p}: {m}");
    }
    assert!(ct["latency_ms"]["p50"].as_f64() <= ct["latency_ms"]["max"].as_f64());
    assert_eq!(
        m["actions"]["NoSuchAction"]["failed"], 1,
        "unknown actions are counted by name"
    );
    assert_eq!(
        m["totals"],
        json!({"requests": 4, "succeeded": 2, "throttled": 0, "failed": 2})
    );
    let (status, _) = emu.control("DELETE", "metrics", None).await;
    assert_eq!(status, 200);
    let (_, m) = emu.control("GET", "metrics", None).await;
    assert_eq!(
        m,
        json!({"actions": {}, "totals": {"requests": 0, "succeeded": 0, "throttled": 0, "failed": 0}})
    );
}

#[tokio::test]
async fn reset_returns_to_the_configured_state() {
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "50",
        "--create-topic-qps",
        "50",
    ]);
    emu.call("CreateTopic", &create("to-reset"))
        .await
        .assert_ok();
    emu.call(
        "CreateConsumerGroup",
        &[HZ[0], HZ[1], ("ConsumerId", "to-reset")],
    )
    .await
    .assert_ok();
    emu.control(
        "POST",
        "messages",
        Some(json!({"instance_id": HANGZHOU, "topic": "to-reset", "partition": 0, "count": 3})),
    )
    .await;
    add_fault(&emu, json!({"action": "GetTopicStatus", "mode": "error"})).await;
    emu.control(
        "PUT",
        "settings",
        Some(json!({"qps": 7, "visibility_delay_ms": 5000})),
    )
    .await;
    let mut p = common_params(&Creds::demo(), "GetTopicList", V2018);
    p.extend(HZ.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    p.insert("SignatureNonce".into(), "nonce-before-reset".into());
    sign_v1("POST", &mut p, DEMO_SK);
    emu.send("POST", &p, false).await.assert_ok();

    let (status, v) = emu.control("POST", "reset", None).await;
    assert_eq!((status, v), (200, json!({})));
    let state = emu.state().await;
    for instance in state["instances"].as_array().unwrap() {
        assert_eq!(
            (instance["topics"].clone(), instance["groups"].clone()),
            (json!([]), json!([]))
        );
    }
    assert_eq!(
        state["instances"].as_array().unwrap().len(),
        2,
        "configured instances stay"
    );
    let (_, faults) = emu.control("GET", "faults", None).await;
    assert_eq!(faults, json!({"faults": []}));
    let (_, settings) = emu.control("GET", "settings", None).await;
    assert_eq!(
        settings,
        json!({"visibility_delay_ms": 0, "qps": 50, "create_topic_qps": 50})
    );
    let (_, m) = emu.control("GET", "metrics", None).await;
    assert_eq!(m["totals"]["requests"], 0);
    // Nonces are forgotten too; the topic can be created again and starts empty.
    emu.send("POST", &p, false).await.assert_ok();
    emu.call("CreateTopic", &create("to-reset"))
        .await
        .assert_ok();
    let v = emu
        .call("GetTopicStatus", &[HZ[1], ("Topic", "to-reset")])
        .await
        .assert_ok();
    assert_eq!(v["TopicStatus"]["TotalCount"], 0);
}

#[tokio::test]
async fn state_messages_offsets_and_errors() {
    let emu = fast();
    let (status, health) = emu.control("GET", "health", None).await;
    assert_eq!((status, health), (200, json!({"status": "ok"})));
    emu.call(
        "CreateTopic",
        &[
            HZ[0],
            HZ[1],
            ("Topic", "sta"),
            ("Remark", "rem"),
            ("PartitionNum", "2"),
        ],
    )
    .await
    .assert_ok();
    emu.call(
        "CreateConsumerGroup",
        &[HZ[0], HZ[1], ("ConsumerId", "sgg"), ("Remark", "grem")],
    )
    .await
    .assert_ok();
    let state = emu.state().await;
    let inst = &state["instances"][0];
    assert_eq!(
        (
            inst["instance_id"].clone(),
            inst["region_id"].clone(),
            inst["account"].clone()
        ),
        (json!(HANGZHOU), json!("cn-hangzhou"), json!(DEMO_AK))
    );
    assert_eq!(
        inst["topics"][0],
        json!({"topic": "sta", "remark": "rem", "partition_num": 2, "local_topic": false, "compact_topic": false,
               "status": 0, "visible": true, "deleted": false, "config": {}, "tags": {},
               "replication_factor": 3, "min_insync_replicas": 2})
    );
    assert_eq!(
        inst["groups"][0],
        json!({"consumer_id": "sgg", "remark": "grem", "visible": true, "deleted": false, "tags": {}})
    );
    assert_eq!(state["instances"][1]["instance_id"], SHANGHAI);

    let cases = [
        (
            "messages",
            json!({"instance_id": "nope", "topic": "sta", "partition": 0, "count": 1}),
            404,
        ),
        (
            "messages",
            json!({"instance_id": HANGZHOU, "topic": "sta", "partition": 2, "count": 1}),
            400,
        ),
        (
            "messages",
            json!({"instance_id": HANGZHOU, "topic": "sta", "partition": 0, "count": 0}),
            400,
        ),
        (
            "messages",
            json!({"instance_id": HANGZHOU, "topic": "sta", "bogus": 1}),
            400,
        ),
        (
            "offsets",
            json!({"instance_id": HANGZHOU, "consumer_id": "nobody", "topic": "sta", "partition": 0, "offset": 1}),
            404,
        ),
        (
            "offsets",
            json!({"instance_id": HANGZHOU, "consumer_id": "sgg", "topic": "none", "partition": 0, "offset": 1}),
            404,
        ),
        (
            "offsets",
            json!({"instance_id": HANGZHOU, "consumer_id": "sgg", "topic": "sta", "partition": 0, "offset": -1}),
            400,
        ),
    ];
    for (path, body, expected) in cases {
        let (status, v) = emu.control("POST", path, Some(body.clone())).await;
        assert_eq!(status, expected, "{path} {body} -> {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    let response = emu
        .http
        .post(format!("{}/_emulator/messages", emu.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let (status, v) = emu.control("GET", "no-such-endpoint", None).await;
    assert_eq!((status, v["error"].is_string()), (404, true));
    let (status, v) = emu
        .control(
            "POST",
            "messages",
            Some(json!({"instance_id": HANGZHOU, "topic": "sta", "partition": 1, "count": 4})),
        )
        .await;
    assert_eq!((status, v), (200, json!({"partition": 1, "max_offset": 4})));
}
