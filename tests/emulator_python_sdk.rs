//! The official Python SDKs (`alibabacloud_alikafka20181015` and
//! `alibabacloud_alikafka20190916`, V3 signatures) against the real emulator binary. The
//! SDKs live in the tools venv: `$ALIKAFKA_TOOLS_DIR/venv`, else `<crate>/.tools/venv`
//! (installed by `scripts/install-tools.sh`).

mod emulator_support;

use std::path::PathBuf;
use std::process::Command;

use emulator_support::*;
use serde_json::{json, Value};

fn venv_python() -> PathBuf {
    venv_python_with("alibabacloud_alikafka20181015")
}

fn venv_python_with(module: &str) -> PathBuf {
    let tools = std::env::var_os("ALIKAFKA_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools"));
    let python = tools.join("venv").join("bin").join("python");
    assert!(
        python.exists(),
        "the Python SDK venv is missing at {}: run scripts/install-tools.sh first",
        python.display()
    );
    let probe = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .expect("python runs");
    assert!(
        probe.status.success(),
        "{module} is not installed in {}: run scripts/install-tools.sh first",
        python.display()
    );
    python
}

#[tokio::test]
async fn official_python_sdk_round_trip() {
    let python = venv_python();
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "100",
        "--create-topic-qps",
        "100",
    ]);
    let endpoint = emu.base.trim_start_matches("http://").to_string();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/sdk_smoke.py");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([endpoint.as_str(), DEMO_AK, DEMO_SK, HANGZHOU])
            .output()
    })
    .await
    .unwrap()
    .expect("script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));

    assert_eq!(seen["instances"], json!([HANGZHOU]));
    assert_eq!(seen["instance_status"], json!([5]));
    assert_request_id(&seen["request_id"]);
    assert_eq!(
        seen["create_topic"],
        json!({"code": 200, "success": true, "message": "operation success."})
    );
    assert_eq!(
        seen["topics"],
        json!([["sdk-topic", "from the python sdk", 0, HANGZHOU]])
    );
    assert_eq!(
        (seen["total"].clone(), seen["page_size"].clone()),
        (json!(1), json!(10000))
    );
    assert_eq!(seen["topic_status"], json!({"total": 0, "partitions": 12}));
    assert_eq!(seen["groups"], json!(["sdk-group"]));
    assert_eq!(seen["progress_diff"], 0);
    assert_eq!(
        seen["duplicate_topic"],
        json!({"code": "BIZ_TOPIC_EXISTED", "status": 400})
    );
    assert_eq!(
        seen["unknown_instance"],
        json!({"code": "BIZ_INSTANCE_NOT_FOUND", "status": 400})
    );
    assert_eq!(seen["topics_after_delete"], 0);
    assert_eq!(
        seen["wrong_secret"],
        json!({"code": "SignatureDoesNotMatch", "status": 400})
    );

    // The emulator saw each action, signed with V3, exactly as many times as the SDK called it.
    let (_, metrics) = emu.control("GET", "metrics", None).await;
    let count = |action: &str| metrics["actions"][action]["requests"].clone();
    assert_eq!(count("CreateTopic"), json!(2));
    assert_eq!(count("GetTopicList"), json!(3));
    assert_eq!(count("GetInstanceList"), json!(2));
    assert_eq!(metrics["totals"]["failed"], 3, "{metrics}");
    assert!(emu.state_topics(HANGZHOU).await.is_empty());
}

/// Runs a script of `tests/python` with the endpoint, demo keys and Hangzhou instance;
/// answers what it printed.
async fn run_script(emu: &Emulator, python: PathBuf, script: &str) -> Value {
    let endpoint = emu.base.trim_start_matches("http://").to_string();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([endpoint.as_str(), DEMO_AK, DEMO_SK, HANGZHOU])
            .output()
    })
    .await
    .unwrap()
    .expect("script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn official_2019_09_16_sdk_drives_every_new_action() {
    let python = venv_python_with("alibabacloud_alikafka20190916");
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "100",
        "--create-topic-qps",
        "100",
    ]);
    let seen = run_script(&emu, python, "sdk_2019.py").await;

    assert_eq!(
        seen["instance"],
        json!({"id": HANGZHOU, "series": "v2", "msg_retain": 72, "topic_limit": 2000, "view_status": 2})
    );
    let orders = &seen["topics"]["sdk.orders"];
    assert_eq!(orders["local"], true);
    assert_eq!(orders["auto_create"], false);
    assert_eq!(
        orders["config"],
        json!({
            "retention.ms": "86400000",
            "max.message.bytes": "2097152",
            "message.timestamp.type": "LogAppendTime",
            "message.timestamp.difference.max.ms": "9223372036854775807",
            "replication-factor": "2",
            "min.insync.replicas": "1",
            "message.format.version": "2.2.0"
        }),
        "set keys, defaults and the service's own keys, all strings"
    );
    assert_eq!(orders["tags"], json!({"team": "payments", "cost": ""}));
    let cloud = &seen["topics"]["sdk-cloud"];
    assert_eq!(cloud["local"], false);
    assert_eq!(
        cloud["config"]["retention.ms"], "259200000",
        "72 h of the instance"
    );
    assert_eq!(
        seen["cloud_config"],
        json!({"code": "InvalidParameter.NotSupport", "status": 400})
    );
    assert_eq!(
        seen["unknown_key"],
        json!({"code": "InvalidParameter.NotSupport", "status": 400})
    );
    assert_eq!(
        seen["retention_too_short"],
        json!({"code": "BIZ_FIELD_CHECK_INVALID", "status": 400})
    );
    assert_eq!(seen["topic_page"], json!({"total": 2, "page_size": 100}));

    assert_eq!(
        seen["groups"],
        json!([{"id": "sdk.billing", "remark": "bills", "auto": false, "has_create_time": true,
                "tags": {"team": "billing"}}])
    );
    assert_eq!(seen["group_total"], 1);
    assert_eq!(
        seen["subscribers"],
        json!({"topic": "sdk.orders", "groups": ["sdk.billing"]})
    );

    let topic_id = format!("Kafka_{HANGZHOU}_sdk.orders");
    assert_eq!(
        seen["topic_tags"],
        json!([
            [topic_id, "Topic", "env", "prod"],
            [topic_id, "Topic", "team", "payments"]
        ])
    );
    assert_eq!(
        seen["tagged_prod"],
        json!([format!("Kafka_{HANGZHOU}_sdk-cloud"), topic_id])
    );
    assert_eq!(seen["group_tags_after_untag_all"], 0);
    assert_eq!(
        seen["reserved_key"],
        json!({"code": "InvalidTagKey.Malformed", "status": 400})
    );
    assert_eq!(seen["tag_paging"], json!({"pages": 2, "pairs": 60}));

    assert_eq!(
        seen["users"],
        json!([["sdk-plain", "plain"], ["sdk-user", "scram"]])
    );
    assert_eq!(
        seen["passwords_read_back"],
        json!({"sdk-user": true, "sdk-plain": true}),
        "a second CreateSaslUser changed the password"
    );
    assert_eq!(
        seen["ldap_user"],
        json!({"code": "BIZ_FIELD_CHECK_INVALID", "status": 400})
    );
    assert_eq!(seen["users_after_delete"], json!(["sdk-user"]));

    assert_eq!(
        seen["acls"],
        json!([[
            "sdk-user",
            "Topic",
            "sdk.orders",
            "LITERAL",
            "Write",
            "ALLOW",
            "*"
        ]])
    );
    assert_eq!(
        seen["deny_on_reserved"],
        json!({"code": "BIZ_FIELD_CHECK_INVALID", "status": 400})
    );
    assert_eq!(
        seen["missing_group"],
        json!({"code": "BIZ_FIND_CONSUMER_GROUP_INFO_ERROR", "status": 400})
    );
    assert_eq!(seen["acls_after_delete"], 0);

    assert_eq!(
        seen["allowlist"],
        json!({
            "deploy_type": 4,
            "vpc": {
                "9092/9092": [["10.1.0.0/16"], {"10.1.0.0/16": "apps"}],
                "9094/9094": [[], {}],
                "9095/9095": [[], {}]
            },
            "internet": {"9093/9093": ["203.0.113.9"]}
        })
    );
    assert_eq!(
        seen["wrong_port"],
        json!({"code": "BIZ_FIELD_CHECK_INVALID", "status": 400})
    );

    // Every call was signed with V3 and asked for 2019-09-16; the passwords are nowhere in
    // the emulator's control view.
    let (_, metrics) = emu.control("GET", "metrics", None).await;
    for action in [
        "UpdateTopicConfig",
        "GetTopicSubscribeStatus",
        "TagResources",
        "UntagResources",
        "ListTagResources",
        "CreateSaslUser",
        "DeleteSaslUser",
        "DescribeSaslUsers",
        "CreateAcl",
        "DeleteAcl",
        "DescribeAcls",
        "GetAllowedIpList",
        "UpdateAllowedIp",
    ] {
        assert!(
            metrics["actions"][action]["requests"].as_u64() > Some(0),
            "{action} never reached the emulator: {metrics}"
        );
    }
    let state = emu.state().await.to_string();
    assert!(state.contains("sdk-user"), "{state}");
    assert!(
        !state.contains("sdk-Password"),
        "no password in the control API: {state}"
    );
}
