//! The official Python SDK (`alibabacloud_alikafka20181015`, V3 signatures) against the
//! real emulator binary. The SDK lives in the tools venv: `$ALIKAFKA_TOOLS_DIR/venv`, else
//! `<crate>/.tools/venv` (installed by `scripts/install-tools.sh`).

mod emulator_support;

use std::path::PathBuf;
use std::process::Command;

use emulator_support::*;
use serde_json::{json, Value};

fn venv_python() -> PathBuf {
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
        .args(["-c", "import alibabacloud_alikafka20181015"])
        .output()
        .expect("python runs");
    assert!(
        probe.status.success(),
        "alibabacloud_alikafka20181015 is not installed in {}: run scripts/install-tools.sh first",
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
