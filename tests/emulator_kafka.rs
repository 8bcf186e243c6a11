//! The emulator's Kafka listeners driven by real Kafka clients nobody here wrote
//! (kafka-python 3, confluent-kafka 2 with librdkafka inside, kafkajs 2; installed by
//! `scripts/install-tools.sh`), on topics and groups made through the signed management
//! API, with the API's reads (GetTopicStatus, GetConsumerProgress) checked against them.

mod common;
mod emulator_support;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{kafkajs, python_kafka};
use emulator_support::*;
use serde_json::{json, Value};

const REGION: &str = "cn-hangzhou";

async fn bootstrap(emu: &Emulator) -> String {
    let state: Value = emu
        .http
        .get(format!("{}/_emulator/state", emu.base))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("state json");
    state["instances"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["instance_id"] == HANGZHOU))
        .and_then(|i| i["kafka_bootstrap"].as_str())
        .expect("a Kafka listener")
        .to_string()
}

async fn create_topic(emu: &Emulator, topic: &str, partitions: u32) {
    let partitions = partitions.to_string();
    emu.call_as(
        &Creds::demo(),
        "CreateTopic",
        V2019,
        &[
            ("InstanceId", HANGZHOU),
            ("RegionId", REGION),
            ("Topic", topic),
            ("Remark", "kafka test"),
            ("PartitionNum", partitions.as_str()),
        ],
    )
    .await
    .assert_ok();
}

async fn create_group(emu: &Emulator, group: &str) {
    emu.call(
        "CreateConsumerGroup",
        &[
            ("InstanceId", HANGZHOU),
            ("RegionId", REGION),
            ("ConsumerId", group),
        ],
    )
    .await
    .assert_ok();
}

async fn progress(emu: &Emulator, group: &str) -> Value {
    emu.call(
        "GetConsumerProgress",
        &[
            ("InstanceId", HANGZHOU),
            ("RegionId", REGION),
            ("ConsumerId", group),
        ],
    )
    .await
    .assert_ok()["ConsumerProgress"]
        .clone()
}

async fn topic_status(emu: &Emulator, topic: &str) -> Value {
    emu.call(
        "GetTopicStatus",
        &[
            ("InstanceId", HANGZHOU),
            ("RegionId", REGION),
            ("Topic", topic),
        ],
    )
    .await
    .assert_ok()["TopicStatus"]
        .clone()
}

/// Runs a blocking client off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

fn values(answer: &Value) -> Vec<String> {
    let mut v: Vec<String> = answer["values"]
        .as_array()
        .unwrap_or_else(|| panic!("no values in {answer}"))
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

fn expected(prefix: &str, count: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..count).map(|i| format!("{prefix}-{i}")).collect();
    v.sort();
    v
}

fn fast() -> Emulator {
    Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "100",
        "--create-topic-qps",
        "100",
    ])
}

#[tokio::test]
async fn api_topics_are_producible_and_their_numbers_come_from_the_log() {
    let emu = fast();
    let boot = bootstrap(&emu).await;
    create_topic(&emu, "orders", 3).await;
    create_group(&emu, "billing").await;

    let b = boot.clone();
    let sent = blocking(move || {
        python_kafka(&[
            "produce",
            "kafka-python",
            &b,
            "orders",
            "30",
            "--prefix",
            "a",
        ])
    })
    .await;
    assert_eq!(sent["sent"], 30, "{sent}");
    let used: BTreeSet<i64> = sent["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert!(used.iter().all(|p| (0..3).contains(p)), "{sent}");

    // ModifyPartitionNum: clients see the new partitions.
    emu.call_as(
        &Creds::demo(),
        "ModifyPartitionNum",
        V2019,
        &[
            ("InstanceId", HANGZHOU),
            ("RegionId", REGION),
            ("Topic", "orders"),
            ("AddPartitionNum", "2"),
        ],
    )
    .await
    .assert_ok();
    let b = boot.clone();
    let sent = blocking(move || {
        python_kafka(&["produce", "confluent", &b, "orders", "50", "--prefix", "b"])
    })
    .await;
    assert_eq!(sent["sent"], 50, "{sent}");
    let used: BTreeSet<i64> = sent["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert!(
        used.iter().any(|p| *p >= 3),
        "keys hash onto the new partitions too: {sent}"
    );

    let status = topic_status(&emu, "orders").await;
    assert_eq!(status["TotalCount"], 80, "{status}");
    let table = status["OffsetTable"]["OffsetTable"].as_array().unwrap();
    assert_eq!(table.len(), 5);
    assert!(status["LastTimeStamp"].as_i64().unwrap() > 0);

    // A consumer group reads and commits everything: no lag left.
    let b = boot.clone();
    let read = blocking(move || {
        python_kafka(&[
            "consume",
            "confluent",
            &b,
            "orders",
            "billing",
            "80",
            "--commit",
        ])
    })
    .await;
    let mut want = expected("a", 30);
    want.extend(expected("b", 50));
    want.sort();
    assert_eq!(values(&read), want);
    let p = progress(&emu, "billing").await;
    assert_eq!(p["TotalDiff"], 0, "{p}");
    let offsets = &p["TopicList"]["TopicList"][0]["OffsetList"]["OffsetList"];
    let consumer_total: i64 = offsets
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["ConsumerOffset"].as_i64().unwrap())
        .sum();
    assert_eq!(consumer_total, 80, "{p}");

    // A topic the API does not know is refused (automatic creation is off by default).
    let b = boot.clone();
    let refused = blocking(move || {
        python_kafka(&[
            "produce",
            "kafka-python",
            &b,
            "not-created",
            "1",
            "--max-block-ms",
            "2000",
        ])
    })
    .await;
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("KafkaTimeoutError")),
        "{refused}"
    );
    // A group nobody created is refused with GROUP_AUTHORIZATION_FAILED.
    let b = boot.clone();
    let refused = blocking(move || {
        python_kafka(&[
            "consume",
            "confluent",
            &b,
            "orders",
            "nobody-made-me",
            "1",
            "--timeout",
            "10",
        ])
    })
    .await;
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("GROUP_AUTHORIZATION_FAILED")),
        "{refused}"
    );

    // DeleteTopic removes the log: the topic made again starts empty.
    emu.call(
        "DeleteTopic",
        &[
            ("InstanceId", HANGZHOU),
            ("RegionId", REGION),
            ("Topic", "orders"),
        ],
    )
    .await
    .assert_ok();
    create_topic(&emu, "orders", 3).await;
    assert_eq!(topic_status(&emu, "orders").await["TotalCount"], 0);
}

#[tokio::test]
async fn automatic_topic_creation_follows_the_instance_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("emulator.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[accounts]]
access_key_id = "{DEMO_AK}"
access_key_secret = "{DEMO_SK}"

[[instances]]
instance_id = "{HANGZHOU}"
account = "{DEMO_AK}"
region_id = "{REGION}"
auto_create_topic_enable = true
auto_create_group_enable = true
default_partition_num = 2
"#
        ),
    )
    .unwrap();
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--config",
        config.to_str().unwrap(),
    ]);
    let boot = bootstrap(&emu).await;
    let b = boot.clone();
    let sent =
        blocking(move || python_kafka(&["produce", "kafka-python", &b, "made-by-a-client", "5"]))
            .await;
    assert_eq!(sent["sent"], 5, "{sent}");
    let b = boot.clone();
    let read = blocking(move || {
        python_kafka(&[
            "consume",
            "kafka-python",
            &b,
            "made-by-a-client",
            "auto-group",
            "5",
            "--commit",
        ])
    })
    .await;
    assert_eq!(read["received"], 5, "{read}");
    let list = emu
        .call(
            "GetTopicList",
            &[("InstanceId", HANGZHOU), ("RegionId", REGION)],
        )
        .await
        .assert_ok();
    let topic = &list["TopicList"]["TopicVO"][0];
    assert_eq!(
        (topic["Topic"].as_str(), topic["PartitionNum"].as_i64()),
        (Some("made-by-a-client"), Some(2))
    );
    assert_eq!(progress(&emu, "auto-group").await["TotalDiff"], 0);
}

#[tokio::test]
async fn two_consumers_share_the_partitions_and_one_takes_over_when_the_other_leaves() {
    let emu = fast();
    let boot = bootstrap(&emu).await;
    create_topic(&emu, "shared", 4).await;
    create_group(&emu, "sharers").await;
    let outcome = blocking(move || python_kafka(&["share", &boot, "shared", "sharers", "4"])).await;
    let shared = outcome["shared"]
        .as_array()
        .unwrap_or_else(|| panic!("never shared: {outcome}"));
    assert_eq!(shared.len(), 2);
    assert!(
        shared.iter().all(|a| !a.as_array().unwrap().is_empty()),
        "both got partitions: {outcome}"
    );
    assert_eq!(outcome["alone"], json!([0, 1, 2, 3]), "{outcome}");
    assert_eq!(outcome["received_after"], 20, "{outcome}");
}

#[tokio::test]
async fn a_restart_keeps_messages_and_committed_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.db");
    let data = data.to_str().unwrap().to_string();
    let args = [
        "--visibility-delay-ms",
        "0",
        "--qps",
        "100",
        "--create-topic-qps",
        "100",
        "--data",
        data.as_str(),
    ];
    let emu = Emulator::start(&args);
    create_topic(&emu, "durable", 2).await;
    create_group(&emu, "resumer").await;
    let b = bootstrap(&emu).await;
    let sent = blocking(move || {
        python_kafka(&[
            "produce",
            "kafka-python",
            &b,
            "durable",
            "20",
            "--codec",
            "gzip",
            "--prefix",
            "d",
        ])
    })
    .await;
    assert_eq!(sent["sent"], 20, "{sent}");
    let b = bootstrap(&emu).await;
    let first = blocking(move || {
        python_kafka(&[
            "consume",
            "confluent",
            &b,
            "durable",
            "resumer",
            "10",
            "--commit",
        ])
    })
    .await;
    assert_eq!(first["received"], 10, "{first}");
    assert!(emu.terminate().success());

    let emu = Emulator::start(&args);
    let p = progress(&emu, "resumer").await;
    assert_eq!(p["TotalDiff"], 10, "committed offsets survived: {p}");
    let b = bootstrap(&emu).await;
    let rest = blocking(move || {
        python_kafka(&[
            "consume",
            "confluent",
            &b,
            "durable",
            "resumer",
            "10",
            "--commit",
        ])
    })
    .await;
    let mut both = values(&first);
    both.extend(values(&rest));
    both.sort();
    assert_eq!(
        both,
        expected("d", 20),
        "the group resumed where it left off"
    );
    // A new group reads everything from the start.
    create_group(&emu, "rereader").await;
    let b = bootstrap(&emu).await;
    let again = blocking(move || {
        python_kafka(&["consume", "kafka-python", &b, "durable", "rereader", "20"])
    })
    .await;
    assert_eq!(
        values(&again),
        expected("d", 20),
        "the messages survived, intact"
    );
}

#[tokio::test]
async fn every_codec_a_client_writes_is_read_intact_by_the_others() {
    let emu = fast();
    let boot = bootstrap(&emu).await;
    create_topic(&emu, "codecs", 2).await;
    create_topic(&emu, "codecs-js", 2).await;
    let (mut want, mut want_js) = (Vec::new(), Vec::new());
    let producers: &[(&str, &str)] = &[
        ("kafka-python", "gzip"),
        ("kafka-python", "snappy"), // xerial framing
        ("kafka-python", "lz4"),
        ("kafka-python", "zstd"),
        ("confluent", "gzip"),
        ("confluent", "snappy"), // raw snappy
        ("confluent", "lz4"),
        ("confluent", "zstd"),
        ("kafkajs", "gzip"),
        ("kafkajs", "snappy"),
    ];
    for (lib, codec) in producers {
        // kafkajs reads only the codecs it has (gzip, and snappy through its plug-in).
        let for_kafkajs = *lib != "kafkajs" && matches!(*codec, "gzip" | "snappy");
        let prefix = format!("{lib}-{codec}");
        let (lib_name, codec_name) = (lib.to_string(), codec.to_string());
        let (b, lib, codec, p) = (
            boot.clone(),
            lib_name.clone(),
            codec_name.clone(),
            prefix.clone(),
        );
        let sent = blocking(move || {
            if lib == "kafkajs" {
                kafkajs(&["produce", &b, "codecs", "10", &codec, &p])
            } else {
                python_kafka(&[
                    "produce", &lib, &b, "codecs", "10", "--codec", &codec, "--prefix", &p,
                ])
            }
        })
        .await;
        assert_eq!(sent["sent"], 10, "{prefix}: {sent}");
        want.extend(expected(&prefix, 10));
        if for_kafkajs {
            let (b, lib, codec, p) = (boot.clone(), lib_name, codec_name, prefix.clone());
            blocking(move || {
                python_kafka(&[
                    "produce",
                    &lib,
                    &b,
                    "codecs-js",
                    "10",
                    "--codec",
                    &codec,
                    "--prefix",
                    &p,
                ])
            })
            .await;
            want_js.extend(expected(&prefix, 10));
        }
    }
    want.sort();
    want_js.sort();
    for (group, reader) in [
        ("read-by-python", "kafka-python"),
        ("read-by-librdkafka", "confluent"),
    ] {
        create_group(&emu, group).await;
        let (b, reader_name, group) = (boot.clone(), reader.to_string(), group.to_string());
        let read =
            blocking(move || python_kafka(&["consume", &reader_name, &b, "codecs", &group, "100"]))
                .await;
        assert_eq!(values(&read), want, "{reader} read every batch intact");
    }
    create_group(&emu, "read-by-kafkajs").await;
    let read =
        blocking(move || kafkajs(&["consume", &boot, "codecs-js", "read-by-kafkajs", "40"])).await;
    assert_eq!(
        values(&read),
        want_js,
        "kafkajs read the others' gzip and snappy batches intact"
    );
}

#[tokio::test]
async fn update_consumer_offset_moves_offsets_and_waits_for_consumers_to_stop() {
    let emu = fast();
    let boot = bootstrap(&emu).await;
    create_topic(&emu, "resets", 1).await;
    create_group(&emu, "resettable").await;
    let b = boot.clone();
    blocking(move || python_kafka(&["produce", "kafka-python", &b, "resets", "10"])).await;
    let reset = |extra: Vec<(&'static str, String)>| {
        let emu = &emu;
        async move {
            let mut params: Vec<(&str, &str)> = vec![
                ("InstanceId", HANGZHOU),
                ("RegionId", REGION),
                ("ConsumerId", "resettable"),
                ("Topic", "resets"),
            ];
            params.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
            emu.call_as(&Creds::demo(), "UpdateConsumerOffset", V2019, &params)
                .await
        }
    };
    let consumer_offset = |p: &Value| {
        p["TopicList"]["TopicList"][0]["OffsetList"]["OffsetList"][0]["ConsumerOffset"].as_i64()
    };

    reset(vec![
        ("ResetType", "offset".into()),
        ("Offsets", r#"[{"Partition":0,"Offset":3}]"#.into()),
    ])
    .await
    .assert_ok();
    assert_eq!(
        consumer_offset(&progress(&emu, "resettable").await),
        Some(3)
    );
    reset(vec![("Time", "-1".into())]).await.assert_ok();
    assert_eq!(
        consumer_offset(&progress(&emu, "resettable").await),
        Some(10)
    );
    reset(vec![
        ("ResetType", "timestamp".into()),
        ("Time", "-2".into()),
    ])
    .await
    .assert_ok();
    assert_eq!(
        consumer_offset(&progress(&emu, "resettable").await),
        Some(0)
    );
    reset(vec![
        ("ResetType", "offset".into()),
        ("Offsets", "[{}]".into()),
    ])
    .await
    .assert_error(400, "BIZ_FIELD_CHECK_INVALID");

    // A live member: refused until its session (6 s) has timed out after it dies.
    let python = common::tools_dir().join("venv/bin/python");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/clients.py");
    let mut member = std::process::Command::new(python)
        .arg(script)
        .args(["hold", &boot, "resets", "resettable", "60"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("member starts");
    let mut joined = String::new();
    let mut out = member.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while !joined.contains('\n') && out.read(&mut byte).unwrap_or(0) == 1 {
        joined.push(byte[0] as char);
    }
    assert!(joined.contains("\"joined\": true"), "{joined}");
    reset(vec![("Time", "-1".into())])
        .await
        .assert_error(400, "BIZ_CONSUMER_GROUP_ONLINE");
    member.kill().expect("kill the member");
    let _ = member.wait();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = reset(vec![("Time", "-1".into())]).await;
        if reply.code() != "BIZ_CONSUMER_GROUP_ONLINE" {
            reply.assert_ok();
            break;
        }
        assert!(Instant::now() < deadline, "the dead member never expired");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        consumer_offset(&progress(&emu, "resettable").await),
        Some(10)
    );
}

#[tokio::test]
async fn an_api_versions_request_of_an_unknown_version_gets_error_35_in_the_v0_layout() {
    let emu = fast();
    let boot = bootstrap(&emu).await;
    let answer = blocking(move || {
        let mut stream = std::net::TcpStream::connect(&boot).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // ApiVersions (18) v99, correlation id 7, a flexible v2 header nobody can know.
        let mut frame = vec![0, 18, 0, 99, 0, 0, 0, 7, 0, 4, b't', b'e', b's', b't', 0];
        let mut sized = (frame.len() as i32).to_be_bytes().to_vec();
        sized.append(&mut frame);
        stream.write_all(&sized).unwrap();
        let mut size = [0u8; 4];
        stream.read_exact(&mut size).unwrap();
        let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
        stream.read_exact(&mut body).unwrap();
        body
    })
    .await;
    assert_eq!(
        &answer[0..4],
        &7i32.to_be_bytes(),
        "correlation id, v0 header"
    );
    assert_eq!(&answer[4..6], &35i16.to_be_bytes(), "UNSUPPORTED_VERSION");
    // v0 body: an array of (key, min, max) int16 triples.
    let count = i32::from_be_bytes([answer[6], answer[7], answer[8], answer[9]]) as usize;
    assert_eq!(answer.len(), 10 + count * 6);
    let keys: Vec<i16> = (0..count)
        .map(|i| i16::from_be_bytes([answer[10 + i * 6], answer[11 + i * 6]]))
        .collect();
    assert!(
        keys.contains(&0) && keys.contains(&1) && keys.contains(&18),
        "{keys:?}"
    );
}

/// A topic's `retention.ms` (set with UpdateTopicConfig after the messages were written, so
/// read at each sweep) trims its log by the records' own timestamps, oldest first; a topic
/// without one keeps the instance's 72 hours. Clients then read from the new log start.
#[tokio::test]
async fn a_topic_retention_ms_trims_its_log_by_record_time() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("emulator.toml");
    std::fs::write(
        &config,
        format!(
            r#"
retention_check_interval_ms = 200

[rate_limits]
qps = 1000
create_topic_qps = 1000

[[accounts]]
access_key_id = "{DEMO_AK}"
access_key_secret = "{DEMO_SK}"

[[instances]]
instance_id = "{HANGZHOU}"
account = "{DEMO_AK}"
region_id = "{REGION}"
auto_create_group_enable = true
"#
        ),
    )
    .unwrap();
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--config",
        config.to_str().unwrap(),
    ]);
    for topic in ["short-lived", "kept"] {
        emu.call_as(
            &Creds::demo(),
            "CreateTopic",
            V2019,
            &[
                ("InstanceId", HANGZHOU),
                ("RegionId", REGION),
                ("Topic", topic),
                ("Remark", "retention"),
                ("PartitionNum", "1"),
                ("LocalTopic", "true"),
            ],
        )
        .await
        .assert_ok();
    }
    let boot = bootstrap(&emu).await;
    for topic in ["short-lived", "kept"] {
        // Five records stamped two hours ago, then three current ones.
        for (prefix, age) in [("old", "7200000"), ("new", "0")] {
            let count = if prefix == "old" { "5" } else { "3" };
            let args: Vec<String> = [
                "produce",
                "kafka-python",
                &boot,
                topic,
                count,
                "--prefix",
                prefix,
                "--age-ms",
                age,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let sent = blocking(move || {
                python_kafka(&args.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await;
            assert_eq!(sent["sent"], count.parse::<i64>().unwrap(), "{sent}");
        }
    }
    let min_offset = |status: &Value| status["OffsetTable"]["OffsetTable"][0]["MinOffset"].clone();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(min_offset(&topic_status(&emu, "short-lived").await), 0);

    emu.call_as(
        &Creds::demo(),
        "UpdateTopicConfig",
        V2019,
        &[
            ("InstanceId", HANGZHOU),
            ("RegionId", REGION),
            ("Topic", "short-lived"),
            ("Config", "retention.ms"),
            ("Value", "3600000"),
        ],
    )
    .await
    .assert_ok();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        let status = topic_status(&emu, "short-lived").await;
        if min_offset(&status) == 5 || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(min_offset(&status), 5, "{status}");
    assert_eq!(status["TotalCount"], 3, "{status}");
    let kept = topic_status(&emu, "kept").await;
    assert_eq!(
        (min_offset(&kept), kept["TotalCount"].clone()),
        (json!(0), json!(8)),
        "{kept}"
    );

    let b = boot.clone();
    let read = blocking(move || {
        python_kafka(&[
            "consume",
            "confluent",
            &b,
            "short-lived",
            "retention-reader",
            "3",
        ])
    })
    .await;
    assert_eq!(read["values"], json!(["new-0", "new-1", "new-2"]), "{read}");
}

/// The SASL_PLAINTEXT listener (GetInstanceList's SaslEndPoint): clients log in as the SASL
/// users of the management API (a `plain` user with PLAIN, a `scram` user with
/// SCRAM-SHA-256 or -512) and are held to its ACLs: a produce without Write and a consume
/// without Read on the group are refused; a wrong password delivers nothing.
#[tokio::test]
async fn sasl_users_log_in_and_acls_decide_what_they_may_do() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("emulator.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[rate_limits]
qps = 1000
create_topic_qps = 1000

[[accounts]]
access_key_id = "{DEMO_AK}"
access_key_secret = "{DEMO_SK}"

[[instances]]
instance_id = "{HANGZHOU}"
account = "{DEMO_AK}"
region_id = "{REGION}"
kafka_sasl_listen = "127.0.0.1:0"
"#
        ),
    )
    .unwrap();
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--config",
        config.to_str().unwrap(),
    ]);
    let api = |action: &'static str, params: Vec<(&'static str, &'static str)>| {
        let emu = &emu;
        async move {
            let mut all = vec![("InstanceId", HANGZHOU), ("RegionId", REGION)];
            all.extend(params);
            emu.call_as(&Creds::demo(), action, V2019, &all)
                .await
                .assert_ok()
        }
    };
    create_topic(&emu, "orders-eu", 2).await;
    create_group(&emu, "readers").await;
    api(
        "CreateSaslUser",
        vec![("Username", "writer"), ("Password", "w-secret")],
    )
    .await;
    api(
        "CreateSaslUser",
        vec![
            ("Username", "reader"),
            ("Password", "r-secret"),
            ("Type", "scram"),
        ],
    )
    .await;
    for (user, kind, name, pattern, op) in [
        ("writer", "Topic", "orders", "PREFIXED", "Write"),
        ("reader", "Topic", "orders-eu", "LITERAL", "Read"),
        ("reader", "Group", "readers", "LITERAL", "Read"),
    ] {
        api(
            "CreateAcl",
            vec![
                ("Username", user),
                ("AclResourceType", kind),
                ("AclResourceName", name),
                ("AclResourcePatternType", pattern),
                ("AclOperationType", op),
            ],
        )
        .await;
    }
    let instances = api("GetInstanceList", vec![]).await;
    let sasl = instances["InstanceList"]["InstanceVO"][0]["SaslEndPoint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sasl.starts_with("127.0.0.1:"), "{instances}");
    assert_ne!(sasl, bootstrap(&emu).await);

    let run = |args: Vec<String>| {
        blocking(move || python_kafka(&args.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // PLAIN writer (librdkafka) produces through its prefixed Write grant.
    let sent = run(args(&[
        "produce",
        "confluent",
        &sasl,
        "orders-eu",
        "10",
        "--sasl",
        "PLAIN:writer:w-secret",
    ]))
    .await;
    assert_eq!(sent["sent"], 10, "{sent}");
    // SCRAM-SHA-512 reader (kafka-python) consumes in its group.
    let read = run(args(&[
        "consume",
        "kafka-python",
        &sasl,
        "orders-eu",
        "readers",
        "10",
        "--commit",
        "--sasl",
        "SCRAM-SHA-512:reader:r-secret",
    ]))
    .await;
    assert_eq!(read["received"], 10, "{read}");
    assert_eq!(progress(&emu, "readers").await["TotalDiff"], 0);

    // The reader may not write (SCRAM-SHA-256, librdkafka).
    let denied = run(args(&[
        "produce",
        "confluent",
        &sasl,
        "orders-eu",
        "3",
        "--sasl",
        "SCRAM-SHA-256:reader:r-secret",
        "--message-timeout-ms",
        "10000",
        "--no-idempotence",
    ]))
    .await;
    assert_eq!(denied["sent"], 0, "{denied}");
    assert!(
        denied["errors"][0]
            .as_str()
            .unwrap_or("")
            .contains("Topic authorization failed"),
        "{denied}"
    );
    // The writer may not read in the group.
    let denied = run(args(&[
        "consume",
        "confluent",
        &sasl,
        "orders-eu",
        "readers",
        "1",
        "--timeout",
        "20",
        "--sasl",
        "PLAIN:writer:w-secret",
    ]))
    .await;
    assert_eq!(denied["received"], 0, "{denied}");
    assert!(
        denied["error"]
            .as_str()
            .unwrap_or("")
            .contains("GROUP_AUTHORIZATION_FAILED"),
        "{denied}"
    );
    // A wrong password delivers nothing; a plain user cannot use SCRAM.
    for login in ["PLAIN:writer:wrong", "SCRAM-SHA-256:writer:w-secret"] {
        let refused = run(args(&[
            "produce",
            "confluent",
            &sasl,
            "orders-eu",
            "1",
            "--sasl",
            login,
            "--message-timeout-ms",
            "4000",
        ]))
        .await;
        assert_eq!(refused["sent"], 0, "{login}: {refused}");
    }
    assert_eq!(
        topic_status(&emu, "orders-eu").await["TotalCount"],
        10,
        "nothing but the writer's messages"
    );
}
