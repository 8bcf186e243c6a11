//! Acceptance tests of topic settings (`config`, `effective_config`, replication) and of
//! tags (`tags`, `tags_all`, the provider's `default_tags` and `ignore_tags`) on topics and
//! consumer groups: real Terraform (1.0.3 and 1.15.5), our provider binary, the emulator
//! over HTTP, and our API client standing in for changes made outside Terraform.

mod common;

use alikafka::api::{
    topic_resource_id, GetTopicListRequest, ResourceType, Tag, TagResourcesRequest,
    UpdateTopicConfigRequest,
};
use common::*;
use serde_json::{json, Value};

/// A local-storage topic with `config` and `tags` (HCL bodies).
fn topic(config: &str, tags: &str) -> String {
    format!(
        r#"
resource "alikafka_topic" "t" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "settings"
  remark      = "Settings"
  local_topic = true
  config = {{
{config}
  }}
  tags = {{
{tags}
  }}
}}
"#
    )
}

/// What the service reports for the topic: (TopicConfig as a map, tags as a map).
fn reported(emu: &Emulator, name: &str) -> (Value, Value) {
    let client = api_client(emu);
    let topics = block_on(client.get_all_topics(
        &GetTopicListRequest {
            instance_id: INSTANCE_HZ.into(),
            ..Default::default()
        },
        None,
    ))
    .expect("GetTopicList");
    let t = topics
        .iter()
        .find(|t| t.topic == name)
        .unwrap_or_else(|| panic!("topic {name} not listed"));
    let config = t.config().expect("TopicConfig parses");
    let tags: serde_json::Map<String, Value> = t
        .tags
        .iter()
        .map(|t| (t.key.clone(), Value::from(t.value.as_str())))
        .collect();
    (json!(config), Value::Object(tags))
}

fn set_behind_terraforms_back(emu: &Emulator, key: &str, value: &str) {
    block_on(api_client(emu).update_topic_config(
        &UpdateTopicConfigRequest {
            instance_id: INSTANCE_HZ.into(),
            topic: "settings".into(),
            config: key.into(),
            value: value.into(),
        },
        None,
    ))
    .expect("UpdateTopicConfig");
}

#[test]
fn settings_are_managed_by_meaning_reset_when_removed_drift_is_seen_and_import_brings_them() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        // Numbers in any form; the service answers strings in its own form.
        ws.write_config(&topic(
            r#"    "retention.ms"      = 86400000
    "max.message.bytes" = "2.097152e6""#,
            r#"    team = "payments""#,
        ));
        ws.apply();
        let (config, tags) = reported(&emu, "settings");
        assert_eq!(config["retention.ms"], "86400000", "{config}");
        assert_eq!(config["max.message.bytes"], "2097152", "{config}");
        assert_eq!(tags, json!({"team": "payments"}));
        let state = ws.resource_values("alikafka_topic.t");
        assert_eq!(
            state["config"]["max.message.bytes"], "2.097152e6",
            "{state}"
        );
        // Keys the service adds by itself show in effective_config, never as a change.
        let effective = &state["effective_config"];
        assert!(
            effective["replication-factor"].is_string(),
            "service-added keys in effective_config: {effective}"
        );
        let replicas: i64 = config["replication-factor"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("replication-factor reported");
        assert_eq!(state["replication_factor"], replicas);
        assert_eq!(state["tags_all"], json!({"team": "payments"}));
        ws.assert_no_changes();

        // One key changed: an update in place, one UpdateTopicConfig.
        ws.write_config(&topic(
            r#"    "retention.ms"      = 86400000
    "max.message.bytes" = 4194304"#,
            r#"    team = "payments""#,
        ));
        let plan = ws.plan_json();
        assert_eq!(planned_actions(&plan, "alikafka_topic.t"), ["update"]);
        emu.control_delete("metrics");
        ws.apply();
        assert_eq!(emu.requests_of("UpdateTopicConfig"), 1);
        assert_eq!(reported(&emu, "settings").0["max.message.bytes"], "4194304");
        ws.assert_no_changes();

        // A key removed goes back to its documented default: retention.ms to the
        // instance's message retention (72 hours on the demo instances).
        ws.write_config(&topic(
            r#"    "max.message.bytes" = 4194304"#,
            r#"    team = "payments""#,
        ));
        assert_eq!(
            planned_actions(&ws.plan_json(), "alikafka_topic.t"),
            ["update"]
        );
        ws.apply();
        assert_eq!(
            reported(&emu, "settings").0["retention.ms"],
            (72i64 * 3_600_000).to_string()
        );
        ws.assert_no_changes();

        // A managed key changed outside Terraform is drift; apply puts it back.
        set_behind_terraforms_back(&emu, "max.message.bytes", "1048576");
        assert_eq!(ws.plan_exit_code(), 2, "drift of a managed key shows");
        ws.apply();
        assert_eq!(reported(&emu, "settings").0["max.message.bytes"], "4194304");
        // A key nobody manages changed outside Terraform is nobody's business.
        set_behind_terraforms_back(&emu, "message.timestamp.type", "LogAppendTime");
        ws.assert_no_changes();

        // Import brings the settings that differ from the defaults, and the tags.
        let other = Workspace::new(&tf, &emu);
        other.write_config(&topic(
            r#"    "max.message.bytes"      = 4194304
    "message.timestamp.type" = "LogAppendTime""#,
            r#"    team = "payments""#,
        ));
        other.ok(&[
            "import",
            "-no-color",
            "-input=false",
            "alikafka_topic.t",
            &format!("{INSTANCE_HZ}:settings"),
        ]);
        let imported = other.resource_values("alikafka_topic.t");
        assert_eq!(
            imported["config"],
            json!({"max.message.bytes": "4194304", "message.timestamp.type": "LogAppendTime"}),
            "{imported}"
        );
        assert_eq!(imported["tags"], json!({"team": "payments"}));
        other.assert_no_changes();
    });
}

#[test]
fn default_tags_merge_under_resource_tags_ignored_tags_are_left_alone() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        let config = |team: &str| {
            format!(
                r#"
provider "alikafka" {{
  default_tags {{
    tags = {{
      team = "{team}"
      env  = "prod"
    }}
  }}
  ignore_tags {{
    keys         = ["owner"]
    key_prefixes = ["ack."]
  }}
}}

resource "alikafka_topic" "t" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "tagged"
  remark      = "Tagged"
  tags = {{
    env = "staging"
    app = "orders"
  }}
}}

resource "alikafka_consumer_group" "g" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "tagged-group"
}}
"#
            )
        };
        ws.write_config(&config("payments"));
        ws.apply();
        let topic = ws.resource_values("alikafka_topic.t");
        assert_eq!(
            topic["tags_all"],
            json!({"team": "payments", "env": "staging", "app": "orders"})
        );
        assert_eq!(topic["tags"], json!({"env": "staging", "app": "orders"}));
        let group = ws.resource_values("alikafka_consumer_group.g");
        assert_eq!(
            group["tags_all"],
            json!({"team": "payments", "env": "prod"})
        );
        assert_eq!(
            emu.topic(INSTANCE_HZ, "tagged").expect("topic")["tags"],
            topic["tags_all"]
        );
        assert_eq!(
            emu.group(INSTANCE_HZ, "tagged-group").expect("group")["tags"],
            group["tags_all"]
        );
        ws.assert_no_changes();

        // Tags other systems set are never read, never a change, never removed.
        block_on(api_client(&emu).tag_resources(
            &TagResourcesRequest {
                resource_type: ResourceType::Topic,
                resource_ids: vec![topic_resource_id(INSTANCE_HZ, "tagged")],
                tags: vec![Tag::new("owner", "someone"), Tag::new("ack.cluster", "c1")],
                instance_id: Some(INSTANCE_HZ.into()),
            },
            None,
        ))
        .expect("TagResources");
        ws.assert_no_changes();

        // A changed default tag updates every resource in place.
        ws.write_config(&config("platform"));
        let plan = ws.plan_json();
        assert_eq!(planned_actions(&plan, "alikafka_topic.t"), ["update"]);
        assert_eq!(
            planned_actions(&plan, "alikafka_consumer_group.g"),
            ["update"]
        );
        ws.apply();
        let remote = emu.topic(INSTANCE_HZ, "tagged").expect("topic")["tags"].clone();
        assert_eq!(
            remote,
            json!({"team": "platform", "env": "staging", "app": "orders", "owner": "someone", "ack.cluster": "c1"})
        );
        assert_eq!(
            emu.group(INSTANCE_HZ, "tagged-group").expect("group")["tags"],
            json!({"team": "platform", "env": "prod"})
        );
        ws.assert_no_changes();

        // Without default_tags, the defaults leave; the resource's own tags stay, and so
        // do the ignored ones.
        ws.write_config(&format!(
            r#"
provider "alikafka" {{
  ignore_tags {{
    keys         = ["owner"]
    key_prefixes = ["ack."]
  }}
}}

resource "alikafka_topic" "t" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "tagged"
  remark      = "Tagged"
  tags = {{
    env = "staging"
  }}
}}
"#
        ));
        ws.apply();
        let remote = emu.topic(INSTANCE_HZ, "tagged").expect("topic")["tags"].clone();
        assert_eq!(
            remote,
            json!({"env": "staging", "owner": "someone", "ack.cluster": "c1"})
        );
        ws.assert_no_changes();
        ws.destroy();
        assert!(emu.topics(INSTANCE_HZ).is_empty());
    });
}
