//! Acceptance tests of the `alikafka_consumer_groups` data source: real Terraform (1.0.3 and
//! 1.15.5), our provider binary, the emulator over HTTP.

mod common;

use common::*;
use serde_json::{json, Value};

const SEED: &str = r#"
resource "alikafka_consumer_group" "billing_a" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "billing-a"
  remark      = "Billing, region A"
}

resource "alikafka_consumer_group" "billing_b" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "billing-b"
}

resource "alikafka_consumer_group" "search" {
  instance_id = "alikafka_post-cn-emulator01"
  consumer_id = "search-indexer"
  remark      = "Search"
}
"#;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn lists_and_filters_groups_as_the_emulator_holds_them() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        seed(&tf, &emu, SEED);
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            r#"
data "alikafka_consumer_groups" "all" {{
  instance_id = "{INSTANCE_HZ}"
}}

data "alikafka_consumer_groups" "billing" {{
  instance_id = "{INSTANCE_HZ}"
  name_regex  = "^billing-"
}}

data "alikafka_consumer_groups" "by_ids" {{
  instance_id = "{INSTANCE_HZ}"
  ids         = ["{INSTANCE_HZ}:search-indexer", "billing-b", "no-such-group"]
}}

output "all_ids" {{ value = data.alikafka_consumer_groups.all.ids }}
output "all_names" {{ value = data.alikafka_consumer_groups.all.names }}
output "all_groups" {{ value = data.alikafka_consumer_groups.all.groups }}
output "billing_names" {{ value = data.alikafka_consumer_groups.billing.names }}
output "by_ids_ids" {{ value = data.alikafka_consumer_groups.by_ids.ids }}
output "by_ids_names" {{ value = data.alikafka_consumer_groups.by_ids.names }}
"#
        ));
        ws.apply();
        let out = ws.outputs();

        let remote = emu.groups(INSTANCE_HZ);
        let mut remote_names: Vec<String> = remote
            .iter()
            .map(|g| g["consumer_id"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(remote_names.len(), 3, "{remote:?}");
        let mut listed_names = strings(&out["all_names"]);
        listed_names.sort();
        remote_names.sort();
        assert_eq!(listed_names, remote_names);
        let ids = strings(&out["all_ids"]);
        let names = strings(&out["all_names"]);
        for (id, name) in ids.iter().zip(&names) {
            assert_eq!(id, &format!("{INSTANCE_HZ}:{name}"));
        }

        let groups = out["all_groups"].as_array().expect("groups list");
        assert_eq!(groups.len(), 3);
        for group in groups {
            let name = group["consumer_id"].as_str().unwrap_or_default();
            let remote = emu.group(INSTANCE_HZ, name).expect("listed group exists");
            assert_eq!(group["id"], format!("{INSTANCE_HZ}:{name}"));
            assert_eq!(group["instance_id"], INSTANCE_HZ);
            assert_eq!(group["region_id"], REGION_HZ);
            // A group without a remark reads as an empty one.
            let remote_remark = remote["remark"].as_str().unwrap_or_default();
            assert_eq!(group["remark"], remote_remark, "{group} vs {remote}");
        }
        let billing_a = groups
            .iter()
            .find(|g| g["consumer_id"] == "billing-a")
            .expect("billing-a");
        assert_eq!(billing_a["remark"], "Billing, region A");
        let billing_b = groups
            .iter()
            .find(|g| g["consumer_id"] == "billing-b")
            .expect("billing-b");
        assert_eq!(billing_b["remark"], "");

        let mut billing = strings(&out["billing_names"]);
        billing.sort();
        assert_eq!(billing, ["billing-a", "billing-b"]);
        assert_eq!(
            out["by_ids_ids"],
            json!([
                format!("{INSTANCE_HZ}:search-indexer"),
                "billing-b",
                "no-such-group"
            ])
        );
        let mut by_ids = strings(&out["by_ids_names"]);
        by_ids.sort();
        assert_eq!(by_ids, ["billing-b", "search-indexer"]);
    });
}

#[test]
fn an_instance_of_another_region_is_an_error_naming_it() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        // The demo's Shanghai instance, read by a provider configured for Hangzhou.
        ws.write_config(&format!(
            "data \"alikafka_consumer_groups\" \"g\" {{\n  instance_id = \"{INSTANCE_SH}\"\n}}\n"
        ));
        let out = ws.fails(&["plan", "-no-color", "-input=false"]);
        for needle in [
            &format!("Cannot list the consumer groups of instance {INSTANCE_SH}"),
            "BIZ_INSTANCE_NOT_FOUND",
            "RequestId:",
            "configured for region cn-hangzhou",
        ] {
            assert!(out.contains(needle), "{needle:?} not in:\n{out}");
        }
    });
}

#[test]
fn invalid_arguments_are_plan_time_errors_at_their_attribute() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(
            "data \"alikafka_consumer_groups\" \"bad\" {\n  instance_id = \"\"\n  name_regex  = \"a{2,1}\"\n}\n",
        );
        let out = ws.fails(&["validate", "-no-color"]);
        assert!(out.contains("name_regex"), "{out}");
        assert!(out.contains("not a valid regular expression"), "{out}");
        assert!(out.contains("instance_id"), "{out}");
        assert!(out.contains("must not be empty"), "{out}");
    });
}
