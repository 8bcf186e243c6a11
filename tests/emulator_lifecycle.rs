//! Process lifecycle: the first stdout line, persistence across a SIGTERM restart, graceful
//! shutdown with a request in flight, the default data directory, the loopback rule.

mod emulator_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use emulator_support::*;
use serde_json::json;

const HZ: [(&str, &str); 2] = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];

#[tokio::test]
async fn state_survives_a_sigterm_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let db = db.to_str().unwrap();
    let args = [
        "--data",
        db,
        "--visibility-delay-ms",
        "0",
        "--qps",
        "100",
        "--create-topic-qps",
        "100",
    ];

    let emu = Emulator::start(&args);
    emu.call(
        "CreateTopic",
        &[
            HZ[0],
            HZ[1],
            ("Topic", "durable"),
            ("Remark", "kept"),
            ("PartitionNum", "3"),
        ],
    )
    .await
    .assert_ok();
    emu.call(
        "CreateConsumerGroup",
        &[
            HZ[0],
            HZ[1],
            ("ConsumerId", "durable-group"),
            ("Remark", "g"),
        ],
    )
    .await
    .assert_ok();
    emu.control(
        "POST",
        "messages",
        Some(json!({"instance_id": HANGZHOU, "topic": "durable", "partition": 1, "count": 9})),
    )
    .await;
    emu.control(
        "POST",
        "offsets",
        Some(json!({"instance_id": HANGZHOU, "consumer_id": "durable-group", "topic": "durable", "partition": 1, "offset": 4})),
    )
    .await;
    let before = emu
        .call("GetInstanceList", &[("RegionId", "cn-hangzhou")])
        .await
        .assert_ok();
    let status = emu.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    let emu = Emulator::start(&args);
    let v = emu.call("GetTopicList", &HZ).await.assert_ok();
    let topic = &v["TopicList"]["TopicVO"][0];
    assert_eq!(
        (
            topic["Topic"].clone(),
            topic["Remark"].clone(),
            topic["PartitionNum"].clone()
        ),
        (json!("durable"), json!("kept"), json!(3))
    );
    let v = emu.call("GetConsumerList", &HZ).await.assert_ok();
    assert_eq!(
        v["ConsumerList"]["ConsumerVO"][0]["ConsumerId"],
        "durable-group"
    );
    let v = emu
        .call(
            "GetConsumerProgress",
            &[HZ[0], HZ[1], ("ConsumerId", "durable-group")],
        )
        .await
        .assert_ok();
    assert_eq!(v["ConsumerProgress"]["TotalDiff"], 5);
    let after = emu
        .call("GetInstanceList", &[("RegionId", "cn-hangzhou")])
        .await
        .assert_ok();
    assert_eq!(
        before["InstanceList"]["InstanceVO"][0]["CreateTime"],
        after["InstanceList"]["InstanceVO"][0]["CreateTime"],
        "instance times are stable"
    );
    assert!(emu.terminate().success());
}

#[tokio::test]
async fn in_flight_requests_finish_on_shutdown() {
    let emu = Emulator::start(&["--visibility-delay-ms", "0"]);
    let (status, _) = emu
        .control(
            "POST",
            "faults",
            Some(json!({"action": "GetTopicList", "mode": "latency", "latency_ms": 800})),
        )
        .await;
    assert_eq!(status, 200);
    let mut params = common_params(&Creds::demo(), "GetTopicList", V2018);
    params.extend(HZ.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    sign_v1("POST", &mut params, DEMO_SK);
    let url = format!("{}/?{}", emu.base, query_string(&params));
    let http = emu.http.clone();
    let slow = tokio::spawn(async move { http.post(url).send().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = emu.pid();
    let exit = tokio::task::spawn_blocking(move || emu.terminate());
    let response = slow
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Success"], true);
    let status = exit.await.unwrap();
    assert!(status.success(), "pid {pid} exited cleanly: {status:?}");
}

#[test]
fn first_line_and_default_data_directory() {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_alikafka-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .env("XDG_DATA_HOME", home.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let re =
        regex::Regex::new(r"^alikafka-emulator listening on http://127\.0\.0\.1:(\d+)\n$").unwrap();
    let port: u16 = re
        .captures(&line)
        .unwrap_or_else(|| panic!("first line: {line:?}"))[1]
        .parse()
        .unwrap();
    assert_ne!(port, 0, "port 0 is resolved to the real port");
    let db = home.path().join("alikafka-emulator").join("state.db");
    assert!(db.exists(), "default state file at {}", db.display());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn non_loopback_needs_allow_remote() {
    let output = Command::new(env!("CARGO_BIN_EXE_alikafka-emulator"))
        .args(["--listen", "0.0.0.0:0", "--data", ":memory:"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing on stdout when refusing");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_alikafka-emulator"))
        .args([
            "--listen",
            "0.0.0.0:0",
            "--data",
            ":memory:",
            "--allow-remote",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("alikafka-emulator listening on http://0.0.0.0:"),
        "{line}"
    );
    let mut warning = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut warning)
        .unwrap();
    assert!(
        warning.contains("WARN") && warning.contains("non-loopback"),
        "{warning}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_flags_and_config_fail_fast() {
    for args in [
        vec!["--qps", "0", "--data", ":memory:"],
        vec!["--config", "/nonexistent/emulator.toml"],
        vec!["--listen", "not-an-address", "--data", ":memory:"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_alikafka-emulator"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}
