//! Acceptance tests of the `alikafka_topic_status` data source: messages appended through
//! the emulator's control API, read back through real Terraform (1.0.3 and 1.15.5).

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::Value;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

const SEED: &str = r#"
resource "alikafka_topic" "orders" {
  instance_id   = "alikafka_post-cn-emulator01"
  topic         = "orders"
  remark        = "Orders"
  partition_num = 3
}
"#;

fn status_config() -> String {
    format!(
        r#"
data "alikafka_topic_status" "orders" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "orders"
}}

output "total_count" {{ value = data.alikafka_topic_status.orders.total_count }}
output "last_time_stamp" {{ value = data.alikafka_topic_status.orders.last_time_stamp }}
output "offsets" {{ value = data.alikafka_topic_status.orders.offsets }}
"#
    )
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[test]
fn reports_offsets_per_partition_and_the_total_as_messages_arrive() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        seed(&tf, &emu, SEED);
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&status_config());

        // A topic without messages.
        ws.apply();
        let out = ws.outputs();
        assert_eq!(out["total_count"], 0);
        assert_eq!(out["last_time_stamp"], 0);
        let offsets = out["offsets"].as_array().expect("offsets");
        assert_eq!(offsets.len(), 3, "one entry per partition: {offsets:?}");
        for (i, o) in offsets.iter().enumerate() {
            assert_eq!(int(&o["partition"]), i as i64);
            assert_eq!(o["min_offset"], 0);
            assert_eq!(o["max_offset"], 0);
            assert_eq!(o["last_update_timestamp"], 0);
        }

        let before = now_ms();
        let end_p0 = emu.append_messages(INSTANCE_HZ, "orders", 0, 50);
        let end_p1 = emu.append_messages(INSTANCE_HZ, "orders", 1, 20);
        let after = now_ms();
        assert_eq!((end_p0, end_p1), (50, 20));

        // Each apply reads the data source afresh.
        ws.apply();
        let out = ws.outputs();
        assert_eq!(int(&out["total_count"]), end_p0 + end_p1);
        let offsets = out["offsets"].as_array().expect("offsets");
        assert_eq!(int(&offsets[0]["max_offset"]), end_p0);
        assert_eq!(int(&offsets[1]["max_offset"]), end_p1);
        assert_eq!(int(&offsets[2]["max_offset"]), 0);
        let stamps: Vec<i64> = offsets
            .iter()
            .map(|o| int(&o["last_update_timestamp"]))
            .collect();
        for stamp in &stamps[..2] {
            assert!(
                (before..=after).contains(stamp),
                "{stamp} not in [{before}, {after}]"
            );
        }
        assert_eq!(stamps[2], 0, "partition 2 never received a message");
        assert_eq!(
            int(&out["last_time_stamp"]),
            *stamps.iter().max().unwrap_or(&0)
        );

        let end_p2 = emu.append_messages(INSTANCE_HZ, "orders", 2, 7);
        ws.apply();
        let out = ws.outputs();
        assert_eq!(int(&out["total_count"]), end_p0 + end_p1 + end_p2);
        assert_eq!(int(&out["offsets"][2]["max_offset"]), 7);
    });
}

#[test]
fn an_unknown_topic_is_an_error_naming_it_with_the_service_code() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            "data \"alikafka_topic_status\" \"s\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  topic = \"no-such-topic\"\n}}\n"
        ));
        let out = ws.fails(&["plan", "-no-color", "-input=false"]);
        for needle in [
            &format!("Cannot read the status of topic no-such-topic on instance {INSTANCE_HZ}"),
            "GetTopicStatus failed: BIZ_TOPIC_NOT_FOUND",
            "RequestId:",
            "topic = \"no-such-topic\"",
        ] {
            assert!(out.contains(needle), "{needle:?} not in:\n{out}");
        }
    });
}

#[test]
fn an_unknown_instance_is_an_error_naming_it() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(
            "data \"alikafka_topic_status\" \"s\" {\n  instance_id = \"alikafka_post-cn-missing\"\n  topic       = \"orders\"\n}\n",
        );
        let out = ws.fails(&["plan", "-no-color", "-input=false"]);
        for needle in [
            "Cannot read the status of topic orders on instance alikafka_post-cn-missing",
            "BIZ_INSTANCE_NOT_FOUND",
            "RequestId:",
            "instance_id = \"alikafka_post-cn-missing\"",
        ] {
            assert!(out.contains(needle), "{needle:?} not in:\n{out}");
        }
    });
}

#[test]
fn an_invalid_topic_name_is_a_plan_time_error() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            "data \"alikafka_topic_status\" \"s\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  topic       = \"a.b.c\"\n}}\n"
        ));
        let out = ws.fails(&["validate", "-no-color"]);
        assert!(
            out.contains("Attribute topic may contain only letters, digits"),
            "{out}"
        );
    });
}
