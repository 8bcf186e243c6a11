//! Acceptance tests of the `alikafka_consumer_progress` data source: messages appended and
//! offsets committed through the emulator's control API, lag read back through real
//! Terraform (1.0.3 and 1.15.5).

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{json, Value};

const SEED: &str = r#"
resource "alikafka_topic" "orders" {
  instance_id   = "alikafka_post-cn-emulator01"
  topic         = "orders"
  remark        = "Orders"
  partition_num = 2
}

resource "alikafka_topic" "payments" {
  instance_id   = "alikafka_post-cn-emulator01"
  topic         = "payments"
  remark        = "Payments"
  partition_num = 1
}

resource "alikafka_consumer_group" "billing" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "billing"
}

resource "alikafka_consumer_group" "idle" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "idle-group"
}
"#;

fn progress_config() -> String {
    let mut config = String::new();
    for group in ["billing", "idle-group"] {
        let name = group.replace('-', "_");
        config.push_str(&format!(
            r#"
data "alikafka_consumer_progress" "{name}" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "{group}"
}}

output "{name}" {{
  value = {{
    total_diff     = data.alikafka_consumer_progress.{name}.total_diff
    last_timestamp = data.alikafka_consumer_progress.{name}.last_timestamp
    topics         = data.alikafka_consumer_progress.{name}.topics
  }}
}}
"#
        ));
    }
    config
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// What the progress must show, computed from the messages and offsets the test set.
struct Partition {
    topic: &'static str,
    partition: i64,
    end: i64,
    committed: i64,
}

#[test]
fn reports_lag_per_partition_per_topic_and_in_total() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        seed(&tf, &emu, SEED);
        let mut expected = vec![
            Partition {
                topic: "orders",
                partition: 0,
                end: 100,
                committed: 60,
            },
            Partition {
                topic: "orders",
                partition: 1,
                end: 40,
                committed: 40,
            },
            Partition {
                topic: "payments",
                partition: 0,
                end: 10,
                committed: 0,
            },
        ];
        for p in &expected {
            let end = emu.append_messages(INSTANCE_HZ, p.topic, p.partition, p.end);
            assert_eq!(end, p.end);
            emu.commit_offset(INSTANCE_HZ, "billing", p.topic, p.partition, p.committed);
        }

        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&progress_config());
        ws.apply();
        let out = ws.outputs();
        check_progress(&out["billing"], &expected);

        // A group that never committed lags on nothing.
        assert_eq!(
            out["idle_group"],
            json!({"total_diff": 0, "last_timestamp": 0, "topics": []})
        );

        // Producers move on, the group catches up on payments: the next read shows both.
        expected[1].end = emu.append_messages(INSTANCE_HZ, "orders", 1, 25);
        assert_eq!(expected[1].end, 65);
        emu.commit_offset(INSTANCE_HZ, "billing", "payments", 0, 10);
        expected[2].committed = 10;
        ws.apply();
        check_progress(&ws.outputs()["billing"], &expected);
    });
}

fn check_progress(progress: &Value, expected: &[Partition]) {
    let lag = |p: &Partition| (p.end - p.committed).max(0);
    let mut by_topic: BTreeMap<&str, Vec<&Partition>> = BTreeMap::new();
    for p in expected {
        by_topic.entry(p.topic).or_default().push(p);
    }
    assert_eq!(
        int(&progress["total_diff"]),
        expected.iter().map(lag).sum::<i64>(),
        "{progress}"
    );
    let topics = progress["topics"].as_array().expect("topics");
    assert_eq!(
        topics.len(),
        by_topic.len(),
        "every topic with a commit: {progress}"
    );
    let mut latest = 0;
    for (topic, (name, partitions)) in topics.iter().zip(&by_topic) {
        assert_eq!(topic["topic"], *name, "topics are sorted by name");
        assert_eq!(
            int(&topic["total_diff"]),
            partitions.iter().map(|p| lag(p)).sum::<i64>(),
            "{topic}"
        );
        let listed = topic["partitions"].as_array().expect("partitions");
        assert_eq!(listed.len(), partitions.len(), "{topic}");
        let mut topic_latest = 0;
        for (l, p) in listed.iter().zip(partitions) {
            assert_eq!(int(&l["partition"]), p.partition, "{l}");
            assert_eq!(int(&l["broker_offset"]), p.end, "{l}");
            assert_eq!(int(&l["consumer_offset"]), p.committed, "{l}");
            let stamp = int(&l["last_timestamp"]);
            // The time of the last consumed message: none when nothing was consumed.
            assert_eq!(stamp > 0, p.committed > 0, "{l}");
            topic_latest = topic_latest.max(stamp);
        }
        assert_eq!(int(&topic["last_timestamp"]), topic_latest, "{topic}");
        latest = latest.max(topic_latest);
    }
    assert_eq!(int(&progress["last_timestamp"]), latest, "{progress}");
}

#[test]
fn an_unknown_group_is_an_error_naming_it_with_the_service_code() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            "data \"alikafka_consumer_progress\" \"p\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  consumer_id = \"no-such-group\"\n}}\n"
        ));
        let out = ws.fails(&["plan", "-no-color", "-input=false"]);
        for needle in [
            &format!(
                "Cannot read the progress of consumer group no-such-group on instance {INSTANCE_HZ}"
            ),
            "GetConsumerProgress failed: BIZ_SUBSCRIPTION_NOT_FOUND",
            "RequestId:",
            "consumer_id = \"no-such-group\"",
        ] {
            assert!(out.contains(needle), "{needle:?} not in:\n{out}");
        }
    });
}

#[test]
fn an_invalid_group_name_is_a_plan_time_error() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            "data \"alikafka_consumer_progress\" \"p\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  consumer_id = \"ab\"\n}}\n"
        ));
        let out = ws.fails(&["validate", "-no-color"]);
        assert!(
            out.contains("Attribute consumer_id must be at least 3 characters long"),
            "{out}"
        );
    });
}
