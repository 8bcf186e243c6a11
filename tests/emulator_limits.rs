//! Flow control (per account and action, sliding one-second window) and eventual
//! consistency (visibility delay), over HTTP.

mod emulator_support;

use std::time::{Duration, Instant};

use emulator_support::*;
use serde_json::json;
use tokio::time::sleep;

const OTHER_AK: &str = "second-ak";
const OTHER_SK: &str = "second-sk";

fn two_accounts(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("limits.toml");
    std::fs::write(
        &path,
        format!(
            r#"
            [[accounts]]
            access_key_id = "{DEMO_AK}"
            access_key_secret = "{DEMO_SK}"
            [[accounts]]
            access_key_id = "{OTHER_AK}"
            access_key_secret = "{OTHER_SK}"
            [[instances]]
            instance_id = "{HANGZHOU}"
            account = "{DEMO_AK}"
            region_id = "cn-hangzhou"
            [[instances]]
            instance_id = "alikafka_second"
            account = "{OTHER_AK}"
            region_id = "cn-hangzhou"
            "#
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

const HZ: [(&str, &str); 2] = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];

#[tokio::test]
async fn default_limits_are_three_per_second_and_one_for_create_topic() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(&[
        "--config",
        &two_accounts(&dir),
        "--visibility-delay-ms",
        "0",
    ]);
    let started = Instant::now();
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(emu.call("GetTopicList", &HZ).await.code());
    }
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "test needs the calls inside one window"
    );
    assert_eq!(
        codes,
        ["200", "200", "200", "Throttling.User", "Throttling.User"]
    );
    let v = emu
        .call("GetTopicList", &HZ)
        .await
        .assert_error(400, "Throttling.User");
    assert_eq!(v["Message"], "Request was denied due to user flow control.");
    // Per action and per account.
    emu.call("GetConsumerList", &HZ).await.assert_ok();
    let other = Creds::new(OTHER_AK, OTHER_SK, None);
    emu.call_as(
        &other,
        "GetTopicList",
        V2018,
        &[
            ("RegionId", "cn-hangzhou"),
            ("InstanceId", "alikafka_second"),
        ],
    )
    .await
    .assert_ok();

    let create = |t: &'static str| [HZ[0], HZ[1], ("Topic", t), ("Remark", "r")];
    emu.call("CreateTopic", &create("limit-a"))
        .await
        .assert_ok();
    emu.call("CreateTopic", &create("limit-b"))
        .await
        .assert_error(400, "Throttling.User");
    sleep(Duration::from_millis(1050)).await;
    emu.call("CreateTopic", &create("limit-b"))
        .await
        .assert_ok();

    let (_, metrics) = emu.control("GET", "metrics", None).await;
    let list = &metrics["actions"]["GetTopicList"];
    assert_eq!(
        (
            list["requests"].clone(),
            list["succeeded"].clone(),
            list["throttled"].clone()
        ),
        (json!(7), json!(4), json!(3)),
        "both accounts count"
    );
    assert_eq!(list["failed"], 0, "failed excludes throttled");
}

#[tokio::test]
async fn throttled_and_unauthenticated_calls_do_not_use_the_budget() {
    let emu = Emulator::start(&["--visibility-delay-ms", "0"]);
    // Bad signatures are rejected before flow control and cost nothing.
    let wrong = Creds::new(DEMO_AK, "wrong", None);
    for _ in 0..10 {
        emu.call_as(&wrong, "GetTopicList", V2018, &HZ)
            .await
            .assert_error(400, "SignatureDoesNotMatch");
    }
    for _ in 0..3 {
        emu.call("GetTopicList", &HZ).await.assert_ok();
    }
    // Every admitted call was admitted before this instant.
    let first = Instant::now();
    // Keep knocking for half a second: every one is refused and none takes a slot.
    while first.elapsed() < Duration::from_millis(500) {
        emu.call("GetTopicList", &HZ)
            .await
            .assert_error(400, "Throttling.User");
        sleep(Duration::from_millis(20)).await;
    }
    sleep(Duration::from_millis(1000).saturating_sub(first.elapsed()) + Duration::from_millis(100))
        .await;
    for _ in 0..3 {
        emu.call("GetTopicList", &HZ).await.assert_ok();
    }
}

#[tokio::test]
async fn limits_follow_flags_and_runtime_settings() {
    let emu = Emulator::start(&[
        "--qps",
        "5",
        "--create-topic-qps",
        "2",
        "--visibility-delay-ms",
        "0",
    ]);
    let (status, settings) = emu.control("GET", "settings", None).await;
    assert_eq!(
        (status, settings),
        (
            200,
            json!({"visibility_delay_ms": 0, "qps": 5, "create_topic_qps": 2})
        )
    );
    let mut ok = 0;
    for _ in 0..7 {
        if emu.call("GetConsumerList", &HZ).await.status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 5);
    let create = |t: &'static str| [HZ[0], HZ[1], ("Topic", t), ("Remark", "r")];
    emu.call("CreateTopic", &create("flag-a")).await.assert_ok();
    emu.call("CreateTopic", &create("flag-b")).await.assert_ok();
    emu.call("CreateTopic", &create("flag-c"))
        .await
        .assert_error(400, "Throttling.User");

    let (status, v) = emu
        .control("PUT", "settings", Some(json!({"qps": 40})))
        .await;
    assert_eq!(
        (status, v["qps"].clone(), v["create_topic_qps"].clone()),
        (200, json!(40), json!(2))
    );
    let mut ok = 0;
    for _ in 0..45 {
        if emu.call("GetTopicList", &HZ).await.status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 40);
    let (status, _) = emu
        .control("PUT", "settings", Some(json!({"qps": 0})))
        .await;
    assert_eq!(status, 400);
    let (status, _) = emu
        .control("PUT", "settings", Some(json!({"speed": 1})))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn created_and_deleted_topics_show_in_reads_only_after_the_delay() {
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "1000",
        "--qps",
        "1000",
        "--create-topic-qps",
        "1000",
    ]);
    let topic = [HZ[0], HZ[1], ("Topic", "slow"), ("Remark", "r")];
    let listed = |v: serde_json::Value| -> Vec<String> {
        v["TopicList"]["TopicVO"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Topic"].as_str().unwrap().to_string())
            .collect()
    };
    let created = Instant::now();
    emu.call("CreateTopic", &topic).await.assert_ok();
    assert!(listed(emu.call("GetTopicList", &HZ).await.assert_ok()).is_empty());
    emu.call("GetTopicStatus", &[HZ[1], ("Topic", "slow")])
        .await
        .assert_error(400, "BIZ_TOPIC_NOT_FOUND");
    let state = emu.state_topics(HANGZHOU).await;
    assert_eq!(
        (state[0]["visible"].clone(), state[0]["deleted"].clone()),
        (json!(false), json!(false))
    );
    // Writes act on the true state.
    emu.call("CreateTopic", &topic)
        .await
        .assert_error(400, "BIZ_TOPIC_EXISTED");
    emu.call_as(
        &Creds::demo(),
        "ModifyTopicRemark",
        V2019,
        &[HZ[0], HZ[1], ("Topic", "slow"), ("Remark", "changed")],
    )
    .await
    .assert_ok();
    assert!(
        created.elapsed() < Duration::from_millis(950),
        "checks above must run inside the delay"
    );

    sleep(Duration::from_millis(1100)).await;
    let v = emu.call("GetTopicList", &HZ).await.assert_ok();
    assert_eq!(listed(v.clone()), ["slow"]);
    assert_eq!(v["TopicList"]["TopicVO"][0]["Remark"], "changed");
    emu.call("GetTopicStatus", &[HZ[1], ("Topic", "slow")])
        .await
        .assert_ok();

    let deleted = Instant::now();
    emu.call("DeleteTopic", &[HZ[0], HZ[1], ("Topic", "slow")])
        .await
        .assert_ok();
    assert_eq!(
        listed(emu.call("GetTopicList", &HZ).await.assert_ok()),
        ["slow"],
        "still visible"
    );
    let state = emu.state_topics(HANGZHOU).await;
    assert_eq!(
        (state[0]["visible"].clone(), state[0]["deleted"].clone()),
        (json!(true), json!(true))
    );
    emu.call("CreateTopic", &topic)
        .await
        .assert_error(400, "BIZ_TOPIC_EXISTED");
    emu.call("DeleteTopic", &[HZ[0], HZ[1], ("Topic", "slow")])
        .await
        .assert_error(400, "BIZ_TOPIC_NOT_FOUND");
    assert!(deleted.elapsed() < Duration::from_millis(950));

    sleep(Duration::from_millis(1100)).await;
    assert!(listed(emu.call("GetTopicList", &HZ).await.assert_ok()).is_empty());
    assert!(emu.state_topics(HANGZHOU).await.is_empty());
    emu.call("CreateTopic", &topic).await.assert_ok();

    // A topic can be deleted before it ever shows; it then never shows.
    emu.call(
        "CreateTopic",
        &[HZ[0], HZ[1], ("Topic", "blink"), ("Remark", "r")],
    )
    .await
    .assert_ok();
    emu.call("DeleteTopic", &[HZ[0], HZ[1], ("Topic", "blink")])
        .await
        .assert_ok();
    sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        listed(emu.call("GetTopicList", &HZ).await.assert_ok()),
        ["slow"]
    );
}

#[tokio::test]
async fn groups_follow_the_delay_and_settings_change_it() {
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "1000",
        "--qps",
        "1000",
        "--create-topic-qps",
        "1000",
    ]);
    let group = [HZ[0], HZ[1], ("ConsumerId", "lazy")];
    emu.call("CreateConsumerGroup", &group).await.assert_ok();
    let v = emu.call("GetConsumerList", &HZ).await.assert_ok();
    assert_eq!(v["ConsumerList"]["ConsumerVO"], json!([]));
    emu.call("GetConsumerProgress", &group)
        .await
        .assert_error(400, "BIZ_SUBSCRIPTION_NOT_FOUND");
    emu.call("CreateConsumerGroup", &group)
        .await
        .assert_error(400, "BIZ_SUBSCRIPTION_EXISTED");
    sleep(Duration::from_millis(1100)).await;
    let v = emu.call("GetConsumerList", &HZ).await.assert_ok();
    assert_eq!(v["ConsumerList"]["ConsumerVO"][0]["ConsumerId"], "lazy");
    emu.call("GetConsumerProgress", &group).await.assert_ok();

    let (status, _) = emu
        .control("PUT", "settings", Some(json!({"visibility_delay_ms": 0})))
        .await;
    assert_eq!(status, 200);
    emu.call(
        "CreateConsumerGroup",
        &[HZ[0], HZ[1], ("ConsumerId", "eager")],
    )
    .await
    .assert_ok();
    let v = emu.call("GetConsumerList", &HZ).await.assert_ok();
    assert_eq!(v["ConsumerList"]["ConsumerVO"].as_array().unwrap().len(), 2);
    emu.call("DeleteConsumerGroup", &group).await.assert_ok();
    let v = emu.call("GetConsumerList", &HZ).await.assert_ok();
    assert_eq!(v["ConsumerList"]["ConsumerVO"][0]["ConsumerId"], "eager");
}
