//! Acceptance tests of `alikafka_consumer_group`: real Terraform, our provider, the emulator.

mod common;

use common::*;

fn group_config(instance: &str, consumer_id: &str, remark: Option<&str>) -> String {
    let remark = remark
        .map(|r| format!("  remark      = \"{r}\"\n"))
        .unwrap_or_default();
    format!(
        "resource \"alikafka_consumer_group\" \"g\" {{\n  instance_id = \"{instance}\"\n  consumer_id = \"{consumer_id}\"\n{remark}}}\n"
    )
}

#[test]
fn create_check_remote_replace_on_remark_change_import_drift_and_destroy() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&group_config(INSTANCE_HZ, "billing", Some("Billing")));
        ws.apply();
        let remote = emu.group(INSTANCE_HZ, "billing").expect("group created");
        assert_eq!(remote["remark"], "Billing");
        let created = ws.resource_values("alikafka_consumer_group.g");
        assert_eq!(created["id"], format!("{INSTANCE_HZ}:billing"));
        assert_eq!(created["region_id"], REGION_HZ);
        ws.assert_no_changes();

        // The service cannot change a group's remark: a new remark is a replacement.
        ws.write_config(&group_config(INSTANCE_HZ, "billing", Some("Billing v2")));
        let plan = ws.plan_json();
        assert_eq!(
            planned_actions(&plan, "alikafka_consumer_group.g"),
            ["delete", "create"]
        );
        ws.apply();
        assert_eq!(
            emu.group(INSTANCE_HZ, "billing").expect("replaced")["remark"],
            "Billing v2"
        );
        let created = ws.resource_values("alikafka_consumer_group.g");

        // Import round-trips.
        ws.ok(&["state", "rm", "alikafka_consumer_group.g"]);
        ws.ok(&[
            "import",
            "-no-color",
            "alikafka_consumer_group.g",
            &format!("{INSTANCE_HZ}:billing"),
        ]);
        let mut imported = ws.resource_values("alikafka_consumer_group.g");
        imported["timeouts"] = created["timeouts"].clone();
        assert_eq!(imported, created);
        ws.assert_no_changes();
        if tf.at_least(1, 5) {
            ws.ok(&["state", "rm", "alikafka_consumer_group.g"]);
            ws.write_config(&format!(
                "{}\nimport {{\n  to = alikafka_consumer_group.g\n  id = \"{INSTANCE_HZ}:billing\"\n}}\n",
                group_config(INSTANCE_HZ, "billing", Some("Billing v2"))
            ));
            ws.apply();
            let mut imported = ws.resource_values("alikafka_consumer_group.g");
            imported["timeouts"] = created["timeouts"].clone();
            assert_eq!(imported, created);
            ws.write_config(&group_config(INSTANCE_HZ, "billing", Some("Billing v2")));
        }
        let out = ws.fails(&[
            "import",
            "-no-color",
            "alikafka_consumer_group.other",
            "no-colon-here",
        ]);
        assert!(
            out.contains("alikafka_consumer_group.other")
                || out.contains("\"<instance_id>:<consumer_id>\""),
            "{out}"
        );

        // Drift: deleted behind Terraform's back → planned for creation.
        emu_delete_group(&emu, "billing");
        let plan = ws.plan_json();
        assert_eq!(
            planned_actions(&plan, "alikafka_consumer_group.g"),
            ["create"]
        );
        ws.apply();

        ws.destroy();
        assert!(emu.group(INSTANCE_HZ, "billing").is_none());
    });
}

fn emu_delete_group(emu: &Emulator, consumer_id: &str) {
    let client = api_client(emu);
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(client.delete_consumer_group(
            &alikafka::api::DeleteConsumerGroupRequest {
                instance_id: INSTANCE_HZ.into(),
                consumer_id: consumer_id.into(),
            },
            None,
        ))
        .expect("delete group");
}

#[test]
fn bad_input_is_refused_at_plan_time() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        let cases = [
            (
                group_config(INSTANCE_HZ, &"g".repeat(65), None),
                "must be at most 64 characters long, got 65: the service would silently truncate it to its first 64 characters",
            ),
            (
                group_config(INSTANCE_HZ, "with space", None),
                "may contain only letters, digits, '_' and '-', found ' '",
            ),
            (
                group_config(INSTANCE_HZ, "billing", Some(&"r".repeat(65))),
                "must be at most 64 characters long, got 65",
            ),
        ];
        for (config, expected) in cases {
            ws.write_config(&config);
            let out = ws.fails(&["validate", "-no-color"]);
            assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
            assert!(
                out.contains(r#"resource "alikafka_consumer_group" "g""#),
                "{out}"
            );
        }
        assert!(emu.groups(INSTANCE_HZ).is_empty());
    });
}

#[test]
fn a_lost_answer_is_adopted_and_a_group_made_elsewhere_is_refused() {
    for_each_terraform(|tf| {
        let emu = Emulator::start_with(&["--visibility-delay-ms", "700"]);
        emu.control_post(
            "faults",
            serde_json::json!({"action": "CreateConsumerGroup", "mode": "lose_response", "count": 1}),
        );
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&group_config(INSTANCE_HZ, "lost-answer", Some("Lost")));
        ws.apply();
        assert_eq!(emu.groups(INSTANCE_HZ).len(), 1);
        let state = ws.resource_values("alikafka_consumer_group.g");
        assert_eq!(state["id"], format!("{INSTANCE_HZ}:lost-answer"));
        assert_eq!(state["remark"], "Lost");
        ws.assert_no_changes();

        // A group that exists although no attempt of ours may have made it.
        let other = Workspace::new(&tf, &emu);
        other.write_config(&group_config(INSTANCE_HZ, "lost-answer", Some("Mine")));
        let out = other.fails(&["apply", "-auto-approve", "-no-color"]);
        assert!(
            out.contains(&format!(
                "Consumer group lost-answer already exists on instance {INSTANCE_HZ}"
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "terraform import alikafka_consumer_group.<name> {INSTANCE_HZ}:lost-answer"
            )),
            "{out}"
        );
        assert!(other.state_addresses().is_empty());
    });
}
