//! Acceptance tests of the `alikafka_topics` data source: real Terraform (1.0.3 and
//! 1.15.5), our provider binary, the emulator over HTTP.

mod common;

use common::*;
use serde_json::{json, Value};

/// Topics another configuration manages: what the data source is meant to audit.
const SEED: &str = r#"
resource "alikafka_topic" "orders" {
  instance_id   = "alikafka_post-cn-emulator01"
  topic         = "prod-orders"
  remark        = "Orders"
  partition_num = 6
}

resource "alikafka_topic" "changelog" {
  instance_id   = "alikafka_post-cn-emulator01"
  topic         = "prod-changelog"
  remark        = "Compacted changelog"
  partition_num = 3
  local_topic   = true
  compact_topic = true
}

resource "alikafka_topic" "scratch" {
  instance_id = "alikafka_post-cn-emulator01"
  topic       = "test-scratch"
  remark      = "Scratch"
}
"#;

fn names(v: &Value) -> Vec<String> {
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
fn lists_and_filters_topics_with_every_field_the_emulator_holds() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        seed(&tf, &emu, SEED);
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            r#"
data "alikafka_topics" "all" {{
  instance_id = "{INSTANCE_HZ}"
}}

data "alikafka_topics" "prod" {{
  instance_id = "{INSTANCE_HZ}"
  name_regex  = "^prod-"
}}

data "alikafka_topics" "by_ids" {{
  instance_id = "{INSTANCE_HZ}"
  ids         = ["test-scratch", "{INSTANCE_HZ}:prod-orders", "no-such-topic"]
}}

data "alikafka_topics" "both" {{
  instance_id = "{INSTANCE_HZ}"
  ids         = ["test-scratch", "prod-orders"]
  name_regex  = "orders"
}}

data "alikafka_topics" "none" {{
  instance_id = "{INSTANCE_HZ}"
  name_regex  = "^nothing-matches$"
}}

output "all_ids" {{ value = data.alikafka_topics.all.ids }}
output "all_names" {{ value = data.alikafka_topics.all.names }}
output "all_topics" {{ value = data.alikafka_topics.all.topics }}
output "prod_names" {{ value = data.alikafka_topics.prod.names }}
output "by_ids_ids" {{ value = data.alikafka_topics.by_ids.ids }}
output "by_ids_names" {{ value = data.alikafka_topics.by_ids.names }}
output "both_names" {{ value = data.alikafka_topics.both.names }}
output "none_names" {{ value = data.alikafka_topics.none.names }}
"#
        ));
        ws.apply();
        let out = ws.outputs();

        // Every topic of the instance, in the service's (creation) order, as the emulator has it.
        let remote = emu.topics(INSTANCE_HZ);
        let remote_names: Vec<String> = remote
            .iter()
            .map(|t| t["topic"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(remote_names.len(), 3, "{remote:?}");
        assert_eq!(names(&out["all_names"]), remote_names);
        let expected_ids: Vec<String> = remote_names
            .iter()
            .map(|n| format!("{INSTANCE_HZ}:{n}"))
            .collect();
        assert_eq!(names(&out["all_ids"]), expected_ids);
        let listed = out["all_topics"].as_array().expect("topics list");
        assert_eq!(listed.len(), 3);
        for (topic, remote) in listed.iter().zip(&remote) {
            let name = remote["topic"].as_str().unwrap_or_default();
            assert_eq!(topic["topic"], name);
            assert_eq!(topic["id"], format!("{INSTANCE_HZ}:{name}"));
            assert_eq!(topic["instance_id"], INSTANCE_HZ);
            assert_eq!(topic["region_id"], REGION_HZ);
            for field in [
                "remark",
                "partition_num",
                "local_topic",
                "compact_topic",
                "status",
            ] {
                assert_eq!(topic[field], remote[field], "{name}.{field}: {topic}");
            }
            assert!(topic["create_time"].as_i64().unwrap_or(0) > 0, "{topic}");
            assert!(topic["status_name"].is_string(), "{topic}");
        }
        let changelog = listed
            .iter()
            .find(|t| t["topic"] == "prod-changelog")
            .expect("changelog listed");
        assert_eq!(changelog["compact_topic"], true);
        assert_eq!(changelog["partition_num"], 3);

        // Filters keep the service's order (the seed created its topics in parallel).
        let in_service_order = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
            remote_names.iter().filter(|n| keep(n)).cloned().collect()
        };
        assert_eq!(
            names(&out["prod_names"]),
            in_service_order(&|n| n.starts_with("prod-"))
        );
        // Configured ids stay as written; the lists hold what was found, names or IDs alike.
        assert_eq!(
            out["by_ids_ids"],
            json!([
                "test-scratch",
                format!("{INSTANCE_HZ}:prod-orders"),
                "no-such-topic"
            ])
        );
        assert_eq!(
            names(&out["by_ids_names"]),
            in_service_order(&|n| n == "prod-orders" || n == "test-scratch")
        );
        assert_eq!(names(&out["both_names"]), ["prod-orders"]);
        assert_eq!(out["none_names"], json!([]));
    });
}

#[test]
fn data_sources_on_one_instance_share_one_list_call_per_plan() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let managed = format!(
            r#"{SEED}
resource "alikafka_consumer_group" "billing" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "billing"
}}
"#
        );
        let seeded = seed(&tf, &emu, &managed);
        // The seeding workspace refreshes its four resources and reads four data sources:
        // all of them together cost one GetTopicList and one GetConsumerList.
        seeded.write_config(&format!(
            r#"{managed}
data "alikafka_topics" "a" {{
  instance_id = "{INSTANCE_HZ}"
}}

data "alikafka_topics" "b" {{
  instance_id = "{INSTANCE_HZ}"
  name_regex  = "^prod-"
}}

data "alikafka_consumer_groups" "c" {{
  instance_id = "{INSTANCE_HZ}"
}}

data "alikafka_consumer_groups" "d" {{
  instance_id = "{INSTANCE_HZ}"
  ids         = ["billing"]
}}

output "counts" {{
  value = [
    length(data.alikafka_topics.a.names),
    length(data.alikafka_topics.b.names),
    length(data.alikafka_consumer_groups.c.names),
    length(data.alikafka_consumer_groups.d.names),
  ]
}}
"#
        ));
        seeded.apply();
        assert_eq!(seeded.outputs()["counts"], json!([3, 2, 1, 1]));
        emu.control_delete("metrics");
        let plan = seeded.ok(&["plan", "-no-color", "-input=false"]);
        assert!(
            plan.stdout.contains("No changes"),
            "expected an empty plan:\n{}",
            plan.combined()
        );
        assert_eq!(emu.requests_of("GetTopicList"), 1, "{}", emu.metrics());
        assert_eq!(emu.requests_of("GetConsumerList"), 1, "{}", emu.metrics());
    });
}

#[test]
fn a_data_source_that_depends_on_new_topics_lists_them() {
    for_each_terraform(|tf| {
        let emu = Emulator::start_with(&["--visibility-delay-ms", "1500"]);
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            r#"
resource "alikafka_topic" "t" {{
  for_each    = toset(["fresh-a", "fresh-b"])
  instance_id = "{INSTANCE_HZ}"
  topic       = each.key
  remark      = "Fresh"
}}

data "alikafka_topics" "fresh" {{
  instance_id = "{INSTANCE_HZ}"
  name_regex  = "^fresh-"
  depends_on  = [alikafka_topic.t]
}}

output "names" {{ value = data.alikafka_topics.fresh.names }}
"#
        ));
        ws.apply();
        // Read after the creates, with the service slow to show new topics: the resources
        // waited until they were listed, and the data source sees the list they left.
        let mut listed = names(&ws.outputs()["names"]);
        listed.sort();
        assert_eq!(listed, ["fresh-a", "fresh-b"]);
    });
}

#[test]
fn an_unknown_instance_is_an_error_naming_it_with_the_service_code() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(
            r#"
data "alikafka_topics" "t" {
  instance_id = "alikafka_post-cn-missing"
}
"#,
        );
        let out = ws.fails(&["plan", "-no-color", "-input=false"]);
        for needle in [
            "Cannot list the topics of instance alikafka_post-cn-missing",
            "BIZ_INSTANCE_NOT_FOUND",
            "RequestId:",
            "region cn-hangzhou",
            // The error points at the argument in the configuration.
            "instance_id = \"alikafka_post-cn-missing\"",
        ] {
            assert!(out.contains(needle), "{needle:?} not in:\n{out}");
        }
    });
}

#[test]
fn an_invalid_regex_is_a_plan_time_error_at_its_attribute() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            "data \"alikafka_topics\" \"bad\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  name_regex  = \"([a-z\"\n}}\n"
        ));
        let out = ws.fails(&["validate", "-no-color"]);
        assert!(out.contains("name_regex"), "{out}");
        assert!(out.contains("not a valid regular expression"), "{out}");
        assert_eq!(
            emu.requests_of("GetTopicList"),
            0,
            "validation alone calls nothing"
        );
    });
}

#[test]
fn tags_filter_topics_and_groups_and_settings_and_tags_are_listed_at_no_extra_cost() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let seeded = seed(
            &tf,
            &emu,
            &format!(
                r#"
resource "alikafka_topic" "t" {{
  for_each    = {{ pay-a = "payments", pay-b = "payments", web-a = "web" }}
  instance_id = "{INSTANCE_HZ}"
  topic       = each.key
  remark      = "Tagged"
  local_topic = true
  config      = {{ "max.message.bytes" = 2097152 }}
  tags        = {{ team = each.value, env = "prod" }}
}}

resource "alikafka_consumer_group" "g" {{
  for_each    = {{ pay-group = "payments", web-group = "web" }}
  instance_id = "{INSTANCE_HZ}"
  consumer_id = each.key
  tags        = {{ team = each.value }}
}}
"#
            ),
        );
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            r#"
data "alikafka_topics" "payments" {{
  instance_id = "{INSTANCE_HZ}"
  tags        = {{ team = "payments", env = "prod" }}
}}

data "alikafka_consumer_groups" "payments" {{
  instance_id = "{INSTANCE_HZ}"
  tags        = {{ team = "payments" }}
}}

output "topics" {{ value = data.alikafka_topics.payments.names }}
output "groups" {{ value = data.alikafka_consumer_groups.payments.names }}
output "first" {{ value = data.alikafka_topics.payments.topics[0] }}
"#
        ));
        emu.control_delete("metrics");
        ws.apply();
        let outputs = ws.outputs();
        let mut topics = names(&outputs["topics"]);
        topics.sort();
        assert_eq!(topics, ["pay-a", "pay-b"]);
        assert_eq!(names(&outputs["groups"]), ["pay-group"]);
        let first = &outputs["first"];
        assert_eq!(first["tags"], json!({"team": "payments", "env": "prod"}));
        assert_eq!(first["config"]["max.message.bytes"], "2097152", "{first}");
        assert!(
            first["config"]["replication-factor"].is_string(),
            "every setting the service reports: {first}"
        );
        // One list per instance, whatever the filters: tags come with the lists.
        assert_eq!(emu.requests_of("GetTopicList"), 1, "{}", emu.metrics());
        assert_eq!(emu.requests_of("GetConsumerList"), 1, "{}", emu.metrics());
        assert_eq!(emu.requests_of("ListTagResources"), 0, "{}", emu.metrics());
        drop(seeded);
    });
}
