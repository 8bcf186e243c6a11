//! Acceptance tests of the `alikafka_instances` data source.

mod common;

use common::*;

#[test]
fn lists_filters_and_exposes_every_field() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(
            r#"
data "alikafka_instances" "all" {}

data "alikafka_instances" "by_regex" {
  name_regex = "emulator"
}

data "alikafka_instances" "by_id" {
  ids = ["alikafka_post-cn-emulator01", "alikafka_post-cn-none"]
}

data "alikafka_instances" "none" {
  name_regex = "^matches-nothing$"
}

output "all_ids" { value = data.alikafka_instances.all.ids }
output "regex_ids" { value = data.alikafka_instances.by_regex.ids }
output "by_id" { value = data.alikafka_instances.by_id.instances }
output "none" { value = data.alikafka_instances.none.ids }
output "names" { value = data.alikafka_instances.all.names }
"#,
        );
        ws.apply();
        let out = ws.ok(&["output", "-json"]);
        let outputs: serde_json::Value = serde_json::from_str(&out.stdout).expect("outputs");
        // The provider's region is cn-hangzhou: only the instance there is listed.
        assert_eq!(
            outputs["all_ids"]["value"],
            serde_json::json!([INSTANCE_HZ])
        );
        assert_eq!(
            outputs["regex_ids"]["value"],
            serde_json::json!([INSTANCE_HZ])
        );
        assert_eq!(outputs["none"]["value"], serde_json::json!([]));
        assert_eq!(outputs["names"]["value"].as_array().map(Vec::len), Some(1));
        let instance = &outputs["by_id"]["value"][0];
        assert_eq!(instance["id"], INSTANCE_HZ);
        assert_eq!(instance["region_id"], REGION_HZ);
        for field in [
            "name",
            "deploy_type",
            "service_status",
            "end_point",
            "ssl_end_point",
            "vpc_id",
            "vswitch_id",
            "create_time",
            "expired_time",
            "open_source_version",
        ] {
            assert!(
                !instance[field].is_null(),
                "instances[0].{field} is missing: {instance}"
            );
        }
        assert_eq!(
            outputs["by_id"]["value"].as_array().map(Vec::len),
            Some(1),
            "unknown ids are filtered out"
        );
    });
}

#[test]
fn an_invalid_regex_is_a_plan_time_error() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config("data \"alikafka_instances\" \"bad\" {\n  name_regex = \"([a-z\"\n}\n");
        let out = ws.fails(&["validate", "-no-color"]);
        assert!(out.contains("name_regex"), "{out}");
        assert!(out.contains("not a valid regular expression"), "{out}");
    });
}
