//! Acceptance tests of `alikafka_topic`: real Terraform (1.0.3 and 1.15.5), our provider
//! binary, the emulator over HTTP.

mod common;

use common::*;
use serde_json::Value;

fn topic_config(instance: &str, topic: &str, remark: &str, extra: &str) -> String {
    format!(
        r#"
resource "alikafka_topic" "t" {{
  instance_id = "{instance}"
  topic       = "{topic}"
  remark      = "{remark}"
  {extra}
}}
"#
    )
}

#[test]
fn create_check_remote_plan_empty_update_in_place_replace_and_destroy() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "orders",
            "Orders",
            "partition_num = 6",
        ));
        ws.apply();

        let remote = emu.topic(INSTANCE_HZ, "orders").expect("topic created");
        assert_eq!(remote["remark"], "Orders");
        assert_eq!(remote["partition_num"], 6);
        assert_eq!(remote["local_topic"], false);
        assert_eq!(remote["compact_topic"], false);

        let state = ws.resource_values("alikafka_topic.t");
        assert_eq!(state["id"], format!("{INSTANCE_HZ}:orders"));
        assert_eq!(state["region_id"], REGION_HZ);
        assert_eq!(state["status"], 0);
        assert_eq!(state["partition_num"], 6);
        assert!(state["create_time"].as_i64().unwrap_or(0) > 0, "{state}");
        ws.assert_no_changes();

        // Remark and partition growth are updated in place.
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "orders",
            "Orders, v2",
            "partition_num = 9",
        ));
        let plan = ws.plan_json();
        assert_eq!(planned_actions(&plan, "alikafka_topic.t"), ["update"]);
        // Computed values keep their state values: nothing is "(known after apply)".
        assert_eq!(
            plan["resource_changes"][0]["change"]["after_unknown"],
            serde_json::json!({}),
            "{plan}"
        );
        ws.apply();
        let remote = emu.topic(INSTANCE_HZ, "orders").expect("topic still there");
        assert_eq!(remote["remark"], "Orders, v2");
        assert_eq!(remote["partition_num"], 9);
        ws.assert_no_changes();

        // A new name or a different kind of topic is a replacement.
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "orders-v2",
            "Orders, v2",
            "partition_num = 9",
        ));
        let plan = ws.plan_json();
        assert_eq!(
            planned_actions(&plan, "alikafka_topic.t"),
            ["delete", "create"]
        );
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "orders",
            "Orders, v2",
            "partition_num = 9\n  local_topic = true\n  compact_topic = true",
        ));
        let plan = ws.plan_json();
        assert_eq!(
            planned_actions(&plan, "alikafka_topic.t"),
            ["delete", "create"]
        );
        let change = plan["resource_changes"][0]["change"].clone();
        assert_eq!(change["after"]["compact_topic"], true, "{change}");
        ws.apply();
        let remote = emu.topic(INSTANCE_HZ, "orders").expect("replaced topic");
        assert_eq!(remote["compact_topic"], true);
        ws.assert_no_changes();

        ws.destroy();
        assert!(emu.topic(INSTANCE_HZ, "orders").is_none(), "destroyed");
        assert!(ws.state_addresses().is_empty());
    });
}

#[test]
fn import_by_command_and_by_block_produces_the_created_state() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        let config = topic_config(INSTANCE_HZ, "imported", "Imported", "partition_num = 4");
        ws.write_config(&config);
        ws.apply();
        let created = ws.resource_values("alikafka_topic.t");

        // Forget it, then import it back with the command.
        ws.ok(&["state", "rm", "alikafka_topic.t"]);
        ws.ok(&[
            "import",
            "-no-color",
            "alikafka_topic.t",
            &format!("{INSTANCE_HZ}:imported"),
        ]);
        assert_eq!(
            ws.resource_values("alikafka_topic.t"),
            without_timeouts(&created)
        );
        ws.assert_no_changes();

        if tf.at_least(1, 5) {
            ws.ok(&["state", "rm", "alikafka_topic.t"]);
            ws.write_config(&format!(
                "{config}\nimport {{\n  to = alikafka_topic.t\n  id = \"{INSTANCE_HZ}:imported\"\n}}\n"
            ));
            let plan = ws.plan_json();
            let change = &plan["resource_changes"][0];
            assert_eq!(change["change"]["actions"], serde_json::json!(["no-op"]));
            assert!(change["change"]["importing"].is_object(), "{change}");
            ws.apply();
            assert_eq!(
                ws.resource_values("alikafka_topic.t"),
                without_timeouts(&created)
            );
        }

        // Malformed import IDs explain the right form.
        ws.ok(&["state", "rm", "alikafka_topic.t"]);
        ws.write_config(&config);
        let out = ws.fails(&["import", "-no-color", "alikafka_topic.t", "imported"]);
        assert!(
            out.contains(r#"is not of the form "<instance_id>:<topic>", for example "alikafka_post-cn-xxxxxxxx:my-topic""#),
            "{out}"
        );
        let out = ws.fails(&[
            "import",
            "-no-color",
            "alikafka_topic.t",
            &format!("{INSTANCE_HZ}:no-such-topic"),
        ]);
        assert!(
            out.contains("Cannot import non-existent remote object"),
            "{out}"
        );
    });
}

/// Timeouts are configuration, not remote state: an import cannot know them.
fn without_timeouts(values: &Value) -> Value {
    let mut v = values.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("timeouts".into(), Value::Null);
    }
    v
}

#[test]
fn drift_deleted_behind_terraforms_back_is_planned_for_creation() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&topic_config(INSTANCE_HZ, "drifting", "Drift", ""));
        ws.apply();
        delete_topic_behind_terraforms_back(&emu, "drifting");
        let plan = ws.plan_json();
        assert_eq!(planned_actions(&plan, "alikafka_topic.t"), ["create"]);
        ws.apply();
        assert!(emu.topic(INSTANCE_HZ, "drifting").is_some());

        // Remark changed outside Terraform: planned back in place.
        modify_remark_behind_terraforms_back(&emu, "drifting", "changed by hand");
        let plan = ws.plan_json();
        assert_eq!(planned_actions(&plan, "alikafka_topic.t"), ["update"]);
    });
}

fn delete_topic_behind_terraforms_back(emu: &Emulator, topic: &str) {
    let client = api_client(emu);
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(client.delete_topic(
            &alikafka::api::DeleteTopicRequest {
                instance_id: INSTANCE_HZ.into(),
                topic: topic.into(),
            },
            None,
        ))
        .expect("delete topic");
}

fn modify_remark_behind_terraforms_back(emu: &Emulator, topic: &str, remark: &str) {
    let client = api_client(emu);
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(client.modify_topic_remark(
            &alikafka::api::ModifyTopicRemarkRequest {
                instance_id: INSTANCE_HZ.into(),
                topic: topic.into(),
                remark: remark.into(),
            },
            None,
        ))
        .expect("modify remark");
}

#[test]
fn bad_input_is_refused_at_plan_time_with_the_attribute_named() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        let long = "t".repeat(65);
        let cases: Vec<(String, &str)> = vec![
            (
                topic_config(INSTANCE_HZ, &long, "r", ""),
                "must be at most 64 characters long, got 65: the service would silently truncate it to its first 64 characters",
            ),
            (
                topic_config(INSTANCE_HZ, "bad.name", "r", ""),
                "may contain only letters, digits, '_' and '-', found '.'",
            ),
            (
                topic_config(INSTANCE_HZ, "ok", "r", ""),
                "must be at least 3 characters long, got 2",
            ),
            (
                topic_config(INSTANCE_HZ, "orders", &"r".repeat(65), ""),
                "must be at most 64 characters long, got 65",
            ),
            (
                topic_config(INSTANCE_HZ, "orders", "", ""),
                "must not be empty: the service requires a remark",
            ),
            (
                topic_config(INSTANCE_HZ, "orders", "r", "partition_num = 361"),
                "partition_num",
            ),
            (
                topic_config(INSTANCE_HZ, "orders", "r", "timeouts = { create = \"soon\" }"),
                "timeouts.create",
            ),
        ];
        for (config, expected) in cases {
            ws.write_config(&config);
            let out = ws.fails(&["validate", "-no-color"]);
            assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
            assert!(out.contains(r#"resource "alikafka_topic" "t""#), "{out}");
        }
        assert!(emu.topics(INSTANCE_HZ).is_empty(), "nothing was created");

        // Partitions only grow: a decrease is refused at plan time, before any change.
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "growing",
            "r",
            "partition_num = 8",
        ));
        ws.apply();
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "growing",
            "r",
            "partition_num = 4",
        ));
        let out = ws.fails(&["plan", "-no-color"]);
        assert!(
            out.contains("partition_num cannot decrease from 8 to 4: Kafka cannot remove partitions from a topic"),
            "{out}"
        );
        assert_eq!(
            emu.topic(INSTANCE_HZ, "growing").unwrap()["partition_num"],
            8
        );

        // An unknown instance fails with the service's answer, naming the instance.
        ws.write_config(&topic_config("alikafka_post-cn-nope", "orders", "r", ""));
        let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
        assert!(out.contains("alikafka_post-cn-nope"), "{out}");
        assert!(out.contains("RequestId"), "{out}");
    });
}

#[test]
fn credentials_missing_or_wrong_give_clear_errors() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let mut ws = Workspace::bare(&tf);
        ws.write_config(&format!(
            "provider \"alikafka\" {{\n  region   = \"{REGION_HZ}\"\n  endpoint = \"{}\"\n}}\n{}",
            emu.url,
            topic_config(INSTANCE_HZ, "orders", "r", "")
        ));
        let out = ws.fails(&["plan", "-no-color"]);
        for way in [
            "access_key",
            "ALICLOUD_ACCESS_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "~/.aliyun/config.json",
        ] {
            assert!(
                out.contains(way),
                "missing credentials error should mention {way}:\n{out}"
            );
        }

        ws.set_env("ALICLOUD_ACCESS_KEY", DEMO_AK);
        ws.set_env("ALICLOUD_SECRET_KEY", "not-the-secret");
        let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
        assert!(out.contains("SignatureDoesNotMatch"), "{out}");
        assert!(
            out.contains("secret"),
            "the hint should point at the secret key:\n{out}"
        );
        assert!(!out.contains("not-the-secret"), "the secret leaked:\n{out}");
        assert!(emu.topics(INSTANCE_HZ).is_empty());
    });
}

#[test]
fn for_each_30_topics_and_10_groups_under_the_real_limits() {
    for_each_terraform(|tf| {
        // The service's real limits (3/s per action, 1/s CreateTopic) and a 1 s delay
        // before created objects become visible.
        let emu = Emulator::start_with(&["--visibility-delay-ms", "1000"]);
        let mut ws = Workspace::new(&tf, &emu);
        let log = ws.path().join("terraform.log");
        ws.set_env("TF_LOG_PROVIDER", "debug");
        ws.set_env("TF_LOG_PATH", &log.display().to_string());
        ws.write_config(&format!(
            r#"
resource "alikafka_topic" "many" {{
  for_each    = toset([for i in range(30) : format("topic-%02d", i)])
  instance_id = "{INSTANCE_HZ}"
  topic       = each.key
  remark      = "bulk"
}}

resource "alikafka_consumer_group" "many" {{
  for_each    = toset([for i in range(10) : format("group-%02d", i)])
  instance_id = "{INSTANCE_HZ}"
  consumer_id = each.key
}}
"#
        ));
        let started = std::time::Instant::now();
        let run = ws.apply();
        assert!(!run.combined().contains("Throttling"), "{}", run.combined());
        assert_eq!(emu.topics(INSTANCE_HZ).len(), 30);
        assert_eq!(emu.groups(INSTANCE_HZ).len(), 10);
        assert_eq!(ws.state_addresses().len(), 40);

        let metrics = emu.metrics();
        let throttled = metrics["totals"]["throttled"]
            .as_u64()
            .expect("throttled count in metrics");
        let log = std::fs::read_to_string(&log).expect("provider log");
        let retries = log
            .lines()
            .filter(|l| l.contains(RETRY_LOG_MESSAGE))
            .count() as u64;
        let list_calls = |metrics: &Value, action: &str| {
            metrics["actions"][action]["requests"].as_u64().unwrap_or(0)
        };
        eprintln!(
            "terraform {}: 30 topics + 10 groups applied in {:.1} s; emulator throttled {throttled}, provider retried {retries}; GetTopicList calls {}, GetConsumerList calls {}",
            tf.version,
            started.elapsed().as_secs_f64(),
            list_calls(&metrics, "GetTopicList"),
            list_calls(&metrics, "GetConsumerList"),
        );
        assert!(
            throttled <= retries,
            "emulator throttled {throttled} requests but the provider retried only {retries} times: {metrics}"
        );
        // Refreshing 40 resources reads each list once: reads share one list per instance.
        emu.control_delete("metrics");
        ws.assert_no_changes();
        let refresh = emu.metrics();
        assert_eq!(list_calls(&refresh, "GetTopicList"), 1, "{refresh}");
        assert_eq!(list_calls(&refresh, "GetConsumerList"), 1, "{refresh}");
    });
}

/// The message the API client logs (at debug level) before each retry.
const RETRY_LOG_MESSAGE: &str = "retrying alikafka request";

#[test]
fn a_create_whose_answer_was_lost_adopts_the_topic_it_made() {
    for_each_terraform(|tf| {
        // The first CreateTopic runs but its answer never arrives; the client's retry then
        // meets "already exists". The topic shows only after a visibility delay.
        let emu = Emulator::start_with(&["--visibility-delay-ms", "700"]);
        emu.control_post(
            "faults",
            serde_json::json!({"action": "CreateTopic", "mode": "lose_response", "count": 1}),
        );
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "lost-answer",
            "Lost",
            "partition_num = 3",
        ));
        ws.apply();
        let remote = emu
            .topic(INSTANCE_HZ, "lost-answer")
            .expect("topic created");
        assert_eq!(remote["partition_num"], 3);
        assert_eq!(emu.topics(INSTANCE_HZ).len(), 1);
        let state = ws.resource_values("alikafka_topic.t");
        assert_eq!(state["id"], format!("{INSTANCE_HZ}:lost-answer"));
        assert_eq!(state["status"], 0);
        ws.assert_no_changes();
    });
}

#[test]
fn a_topic_created_elsewhere_is_not_taken_over_and_the_error_shows_the_import_command() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let client = api_client(&emu);
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(client.create_topic(
                &alikafka::api::CreateTopicRequest {
                    instance_id: INSTANCE_HZ.into(),
                    topic: "taken".into(),
                    remark: "made by hand".into(),
                    ..Default::default()
                },
                None,
            ))
            .expect("create topic by hand");
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&topic_config(INSTANCE_HZ, "taken", "Mine", ""));
        let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
        assert!(
            out.contains(&format!(
                "Topic taken already exists on instance {INSTANCE_HZ}"
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "terraform import alikafka_topic.<name> {INSTANCE_HZ}:taken"
            )),
            "{out}"
        );
        assert!(out.contains("BIZ_TOPIC_EXISTED"), "{out}");
        assert!(ws.state_addresses().is_empty(), "nothing adopted");
        assert_eq!(
            emu.topic(INSTANCE_HZ, "taken").unwrap()["remark"],
            "made by hand"
        );
    });
}

#[test]
fn provider_values_known_only_after_apply_do_not_break_plan() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        // The second provider's region comes from a resource not created yet.
        ws.write_config(&format!(
            r#"
resource "alikafka_topic" "first" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "first"
  remark      = "made first"
}}

provider "alikafka" {{
  alias  = "late"
  region = alikafka_topic.first.region_id
}}

resource "alikafka_topic" "second" {{
  provider    = alikafka.late
  instance_id = "{INSTANCE_HZ}"
  topic       = "second"
  remark      = "made by the late provider"
}}
"#
        ));
        let plan = ws.plan_json();
        assert_eq!(planned_actions(&plan, "alikafka_topic.first"), ["create"]);
        assert_eq!(planned_actions(&plan, "alikafka_topic.second"), ["create"]);
        ws.apply();
        assert!(emu.topic(INSTANCE_HZ, "first").is_some());
        assert!(emu.topic(INSTANCE_HZ, "second").is_some());
        ws.assert_no_changes();
    });
}

#[test]
fn a_topic_whose_instance_is_gone_leaves_the_state_without_error() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        let gone = "alikafka_post-cn-gone";
        ws.write_config(&topic_config(gone, "orders", "r", ""));
        // A state written when the instance still existed.
        ws.write_file(
            "terraform.tfstate",
            &serde_json::json!({
                "version": 4,
                "terraform_version": "1.0.3",
                "serial": 1,
                "lineage": "6f1c0f57-5c3e-4f0e-9d55-1c1f3a0b7e01",
                "outputs": {},
                "resources": [{
                    "mode": "managed",
                    "type": "alikafka_topic",
                    "name": "t",
                    "provider": format!("provider[\"{PROVIDER_SOURCE}\"]"),
                    "instances": [{
                        "schema_version": 0,
                        "attributes": {
                            "id": format!("{gone}:orders"), "instance_id": gone,
                            "topic": "orders", "remark": "r", "partition_num": 12,
                            "local_topic": false, "compact_topic": false,
                            "region_id": REGION_HZ, "status": 0, "status_name": "x",
                            "create_time": 1, "timeouts": null
                        },
                        "sensitive_attributes": []
                    }]
                }]
            })
            .to_string(),
        );
        let plan = ws.plan_json();
        assert_eq!(planned_actions(&plan, "alikafka_topic.t"), ["create"]);
    });
}

#[test]
fn a_create_that_outlasts_its_timeout_fails_and_keeps_the_topic_tainted() {
    for_each_terraform(|tf| {
        let emu = Emulator::start_with(&["--visibility-delay-ms", "60000"]);
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&topic_config(
            INSTANCE_HZ,
            "slow",
            "r",
            "timeouts = { create = \"2s\" }",
        ));
        let started = std::time::Instant::now();
        let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the timeout was not respected"
        );
        assert!(
            out.contains(&format!(
                "Timed out waiting for topic slow on instance {INSTANCE_HZ} to be in service"
            )),
            "{out}"
        );
        assert!(out.contains("timeouts.create"), "{out}");
        // The topic exists: Terraform keeps track of it (tainted) and plans to replace it.
        assert_eq!(ws.state_addresses(), ["alikafka_topic.t"]);
        let plan = ws.plan_json();
        assert_eq!(
            planned_actions(&plan, "alikafka_topic.t"),
            ["delete", "create"]
        );
    });
}

#[test]
fn ctrl_c_during_the_wait_stops_the_apply_promptly() {
    use std::os::unix::process::CommandExt;
    for_each_terraform(|tf| {
        let emu = Emulator::start_with(&["--visibility-delay-ms", "60000"]);
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&topic_config(INSTANCE_HZ, "interrupted", "r", ""));
        let child = ws
            .command(&["apply", "-auto-approve", "-no-color", "-input=false"])
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start terraform apply");
        // Once CreateTopic has run, the provider is waiting for the topic to show.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while emu.topic(INSTANCE_HZ, "interrupted").is_none() {
            assert!(std::time::Instant::now() < until, "CreateTopic never came");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        // Ctrl-C in a terminal: SIGINT to the whole process group.
        let interrupted_at = std::time::Instant::now();
        let status = std::process::Command::new("kill")
            .args(["-INT", "--", &format!("-{}", child.id())])
            .status()
            .expect("kill");
        assert!(status.success());
        let out = child.wait_with_output().expect("terraform output");
        let elapsed = interrupted_at.elapsed();
        let text = flatten(&format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
        assert!(
            elapsed < std::time::Duration::from_secs(20),
            "apply took {elapsed:?} to stop after Ctrl-C: {text}"
        );
        assert_ne!(out.status.code(), Some(0), "{text}");
        assert!(text.contains("Operation cancelled"), "{text}");
        // The created topic is tracked (tainted), not forgotten.
        assert_eq!(ws.state_addresses(), ["alikafka_topic.t"], "{text}");
    });
}
