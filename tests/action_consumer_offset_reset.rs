//! The `alikafka_consumer_offset_reset` action (Terraform 1.14+) with real Terraform 1.15.5
//! against the emulator: its configuration is checked before anything runs, at the
//! attribute it concerns — the targets by the action's validation, partitions a topic
//! lacks at plan time against the instance's topic list (one GetTopicList).
//!
//! And the reset itself: the group's committed offsets move, as GetConsumerProgress then
//! reports them.

mod common;

use alikafka::api::{CreateConsumerGroupRequest, CreateTopicRequest, GetConsumerProgressRequest};
use common::*;

/// A topic of 6 partitions and a group, made outside Terraform, and an action on them
/// whose target is `target`.
fn config(target: &str) -> String {
    format!(
        r#"
action "alikafka_consumer_offset_reset" "replay" {{
  config {{
    instance_id = "{INSTANCE_HZ}"
    consumer_id = "reset-group"
    topic       = "reset-orders"
{target}
  }}
}}
"#
    )
}

#[test]
fn bad_configurations_are_refused_before_any_reset() {
    let emu = Emulator::start();
    emu.seed_through_api(vec![CreateTopicRequest {
        instance_id: INSTANCE_HZ.into(),
        topic: "reset-orders".into(),
        remark: "Orders to replay".into(),
        partition_num: Some(6),
        ..Default::default()
    }]);
    emu.seed_through_api(vec![CreateConsumerGroupRequest {
        instance_id: INSTANCE_HZ.into(),
        consumer_id: "reset-group".into(),
        remark: None,
        tags: Vec::new(),
    }]);
    let ws = Workspace::new(&terraform("1.15.5"), &emu);
    let invoke = [
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-invoke=action.alikafka_consumer_offset_reset.replay",
    ];

    ws.write_config(&config(
        "    to = \"earliest\"\n    timestamp = \"2025-03-01T08:00:00Z\"",
    ));
    let both = ws.fails(&invoke);
    assert!(both.contains("Conflicting reset targets"), "{both}");
    assert!(both.contains("to and timestamp are both set"), "{both}");

    ws.write_config(&config("    timestamp = \"yesterday\""));
    let time = ws.fails(&invoke);
    assert!(time.contains("Invalid timestamp"), "{time}");
    assert!(time.contains("is not an RFC 3339 time"), "{time}");

    ws.write_config(&config("    to = \"middle\""));
    let to = ws.fails(&invoke);
    assert!(to.contains("earliest") && to.contains("latest"), "{to}");

    // Partition 7 of a 6-partition topic: found at plan time from the topic list.
    emu.control_delete("metrics");
    ws.write_config(&config("    offsets = { \"0\" = 10, \"7\" = 0 }"));
    let beyond = ws.fails(&invoke);
    assert!(beyond.contains("No such partition"), "{beyond}");
    assert!(
        beyond.contains(
            "Topic reset-orders has 6 partitions, numbered 0 to 5: it has no partition 7"
        ),
        "{beyond}"
    );
    let metrics = emu.metrics();
    let actions = &metrics["actions"];
    assert!(
        actions["GetTopicList"]["requests"].as_u64() >= Some(1),
        "{metrics}"
    );
}

/// The committed offsets of `reset-group` on `reset-orders`, by partition, as the
/// management API reports them.
fn committed(emu: &Emulator) -> Vec<(i64, i64)> {
    let client = api_client(emu);
    let progress = block_on(client.get_consumer_progress(
        &GetConsumerProgressRequest {
            instance_id: INSTANCE_HZ.into(),
            consumer_id: "reset-group".into(),
        },
        None,
    ))
    .expect("GetConsumerProgress");
    let mut offsets: Vec<(i64, i64)> = progress
        .consumer_progress
        .topics
        .iter()
        .filter(|t| t.topic == "reset-orders")
        .flat_map(|t| t.offsets.iter())
        .filter_map(|p| Some((p.partition?, p.consumer_offset?)))
        .collect();
    offsets.sort();
    offsets
}

#[test]
fn a_reset_moves_the_groups_committed_offsets() {
    let emu = Emulator::start();
    emu.seed_through_api(vec![CreateTopicRequest {
        instance_id: INSTANCE_HZ.into(),
        topic: "reset-orders".into(),
        remark: "Orders to replay".into(),
        partition_num: Some(2),
        ..Default::default()
    }]);
    emu.seed_through_api(vec![CreateConsumerGroupRequest {
        instance_id: INSTANCE_HZ.into(),
        consumer_id: "reset-group".into(),
        remark: None,
        tags: Vec::new(),
    }]);
    for partition in 0..2 {
        assert_eq!(
            emu.append_messages(INSTANCE_HZ, "reset-orders", partition, 10),
            10
        );
        emu.commit_offset(INSTANCE_HZ, "reset-group", "reset-orders", partition, 10);
    }
    assert_eq!(committed(&emu), vec![(0, 10), (1, 10)]);
    let ws = Workspace::new(&terraform("1.15.5"), &emu);
    let invoke = [
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-invoke=action.alikafka_consumer_offset_reset.replay",
    ];

    ws.write_config(&config("    to = \"earliest\""));
    emu.control_delete("metrics");
    ws.ok(&invoke);
    assert_eq!(committed(&emu), vec![(0, 0), (1, 0)]);
    assert_eq!(emu.requests_of("UpdateConsumerOffset"), 1);

    ws.write_config(&config("    offsets = { \"1\" = 7 }"));
    ws.ok(&invoke);
    assert_eq!(committed(&emu), vec![(0, 0), (1, 7)]);
}
