//! Adopting what exists, with real Terraform against the emulator: resource identity
//! (Terraform 1.12+: returned on create, listed by `terraform state identities`, imports by
//! identity, states written without identities taken as they are) and `terraform query`
//! (1.14+) over an instance seeded with hundreds of objects through the alikafka API,
//! whose generated configuration imports every one of them with an empty plan after, in
//! one list call per kind (GetTopicList, GetConsumerList, DescribeSaslUsers,
//! GetAllowedIpList) per Terraform command. SASL users are generated without a password:
//! the test adds it, as an adopter would, and the apply sets it once per user.

mod common;

use std::time::Instant;

use alikafka::api::{
    AllowedListType, CreateConsumerGroupRequest, CreateSaslUserRequest, CreateTopicRequest,
    SaslUserType, SecretString, Tag, UpdateAllowedIpRequest,
};
use common::*;
use serde_json::{json, Value};

const NEW: &str = "1.15.5";

/// A local topic with a setting and tags, a cloud topic, and a group with a remark.
fn objects(extra: &str) -> String {
    format!(
        r#"
resource "alikafka_topic" "local" {{
  instance_id        = "{INSTANCE_HZ}"
  topic              = "identity-local"
  remark             = "Local with a setting"
  local_topic        = true
  replication_factor = 2
  config = {{
    "retention.ms" = "86400000"
  }}
  tags = {{
    team = "payments"
  }}
}}

resource "alikafka_topic" "cloud" {{
  instance_id   = "{INSTANCE_HZ}"
  topic         = "identity-cloud"
  remark        = "Cloud storage"
  partition_num = 6
}}

resource "alikafka_consumer_group" "g" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "identity-group"
  remark      = "Reads both"
}}
{extra}"#
    )
}

fn identities(ws: &Workspace) -> Value {
    let run = ws.ok(&["state", "identities", "-json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn topic_identity(topic: &str) -> Value {
    json!({"instance_id": INSTANCE_HZ, "topic": topic})
}

fn group_identity(group: &str) -> Value {
    json!({"instance_id": INSTANCE_HZ, "consumer_id": group})
}

#[test]
fn identities_from_a_state_without_them_on_create_and_for_import() {
    let started = Instant::now();
    let emu = Emulator::start();
    // A state written without identities, as every state of today's users is: by
    // Terraform 1.0.3, which knows none.
    let mut ws = Workspace::new(&terraform("1.0.3"), &emu);
    ws.write_config(&objects(""));
    ws.apply();
    let written = std::fs::read_to_string(ws.path().join("terraform.tfstate")).unwrap();
    assert!(!written.contains("\"identity\""), "{written}");

    // Terraform 1.15.5 takes it as it is: no change, and a refresh records the identities.
    ws.tf = terraform(NEW);
    ws.assert_no_changes();
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(
        identities(&ws),
        json!({
            "alikafka_topic.local": topic_identity("identity-local"),
            "alikafka_topic.cloud": topic_identity("identity-cloud"),
            "alikafka_consumer_group.g": group_identity("identity-group"),
        })
    );
    ws.assert_no_changes();

    // Returned on create.
    let added = r#"
resource "alikafka_topic" "added" {
  instance_id = "alikafka_post-cn-emulator01"
  topic       = "identity-added"
  remark      = "Created by 1.15"
}
"#;
    ws.write_config(&objects(added));
    ws.apply();
    assert_eq!(
        identities(&ws)["alikafka_topic.added"],
        topic_identity("identity-added")
    );
    // Kept through an update in place.
    ws.write_config(&objects(
        &added.replace("Created by 1.15", "Changed by 1.15"),
    ));
    let updated = ws.apply().flat();
    assert!(
        updated.contains("0 added, 1 changed, 0 destroyed"),
        "{updated}"
    );
    assert_eq!(
        identities(&ws)["alikafka_topic.added"],
        topic_identity("identity-added")
    );
    ws.write_config(&objects(added));
    ws.apply();

    // Imported by identity (no ID anywhere), then nothing to change: the topic manages the
    // setting it was given, as after an import by ID.
    for address in [
        "alikafka_topic.local",
        "alikafka_topic.cloud",
        "alikafka_consumer_group.g",
    ] {
        ws.ok(&["state", "rm", "-no-color", address]);
    }
    let imports = format!(
        r#"
import {{
  to       = alikafka_topic.local
  identity = {{ instance_id = "{INSTANCE_HZ}", topic = "identity-local" }}
}}
import {{
  to       = alikafka_topic.cloud
  identity = {{ instance_id = "{INSTANCE_HZ}", topic = "identity-cloud" }}
}}
import {{
  to       = alikafka_consumer_group.g
  identity = {{ instance_id = "{INSTANCE_HZ}", consumer_id = "identity-group" }}
}}
"#
    );
    ws.write_config(&objects(&format!("{added}{imports}")));
    let plan = ws.ok(&["plan", "-no-color", "-input=false"]).flat();
    assert!(
        plan.contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    let applied = ws.apply().flat();
    assert!(
        applied.contains("3 imported, 0 added, 0 changed, 0 destroyed"),
        "{applied}"
    );
    ws.assert_no_changes();
    let local = ws.resource_values("alikafka_topic.local");
    assert_eq!(local["config"], json!({"retention.ms": "86400000"}));
    assert_eq!(local["id"], format!("{INSTANCE_HZ}:identity-local"));
    assert_eq!(
        identities(&ws)["alikafka_consumer_group.g"],
        group_identity("identity-group")
    );

    // An identity naming nothing: Terraform's own error, nothing imported.
    ws.write_config(&objects(&format!(
        "{added}\nresource \"alikafka_topic\" \"missing\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  topic = \"identity-missing\"\n  remark = \"x\"\n}}\nimport {{\n  to = alikafka_topic.missing\n  identity = {{ instance_id = \"{INSTANCE_HZ}\", topic = \"identity-missing\" }}\n}}\n"
    )));
    let refused = ws.fails(&["plan", "-no-color", "-input=false"]);
    assert!(
        refused.contains("Cannot import non-existent remote object"),
        "{refused}"
    );
    // An identity without its instance: refused before any call.
    ws.write_config(&objects(&format!(
        "{added}\nimport {{\n  to = alikafka_topic.cloud\n  identity = {{ topic = \"identity-cloud\" }}\n}}\n"
    )));
    let incomplete = ws.fails(&["plan", "-no-color", "-input=false"]);
    assert!(incomplete.contains("instance_id"), "{incomplete}");
    eprintln!("identity test: {:.1} s", started.elapsed().as_secs_f64());
}

/// What the seeded instance holds: 300 topics (every tenth on local storage with a setting
/// of its own, every twentieth of those compacted, every seventh with 24 partitions, every
/// fifth tagged) and 20 groups (every other with a remark, every fourth tagged).
fn seed_instance(emu: &Emulator) {
    let topics: Vec<CreateTopicRequest> = (0..300)
        .map(|i| {
            let local = i % 10 == 0;
            CreateTopicRequest {
                instance_id: INSTANCE_HZ.into(),
                topic: format!("adopt-{i:03}"),
                remark: format!("Seeded topic {i}"),
                partition_num: (i % 7 == 0).then_some(24),
                local_topic: local.then_some(true),
                compact_topic: (i % 20 == 0).then_some(true),
                config: if local {
                    [("retention.ms".to_owned(), "86400000".to_owned())].into()
                } else {
                    Default::default()
                },
                replication_factor: local.then_some(2),
                tags: if i % 5 == 0 {
                    vec![Tag::new("team", "payments")]
                } else {
                    Vec::new()
                },
                ..Default::default()
            }
        })
        .collect();
    emu.seed_through_api(topics);
    let groups: Vec<CreateConsumerGroupRequest> = (0..20)
        .map(|i| CreateConsumerGroupRequest {
            instance_id: INSTANCE_HZ.into(),
            consumer_id: format!("adopt-group-{i:02}"),
            remark: (i % 2 == 0).then(|| format!("Seeded group {i}")),
            tags: if i % 4 == 0 {
                vec![Tag::new("team", "billing")]
            } else {
                Vec::new()
            },
        })
        .collect();
    emu.seed_through_api(groups);
    let users: Vec<CreateSaslUserRequest> = (0..USERS)
        .map(|i| CreateSaslUserRequest {
            instance_id: INSTANCE_HZ.into(),
            username: format!("adopt-user-{i:02}"),
            password: SecretString::new(SEEDED_PASSWORD),
            user_type: Some(if i % 3 == 0 {
                SaslUserType::Scram
            } else {
                SaslUserType::Plain
            }),
            mechanism: None,
        })
        .collect();
    emu.seed_through_api(users);
    let entries: Vec<UpdateAllowedIpRequest> = (0..ENTRIES)
        .map(|i| UpdateAllowedIpRequest {
            instance_id: INSTANCE_HZ.into(),
            list_type: AllowedListType::Vpc,
            port_range: if i % 2 == 0 { "9092/9092" } else { "9094/9094" }.into(),
            add: true,
            allowed_ips: format!("192.168.{i}.0/24"),
            description: (i % 2 == 0).then(|| format!("Seeded entry {i}")),
        })
        .collect();
    emu.seed_through_api(entries);
    assert_eq!(emu.topics(INSTANCE_HZ).len(), 300);
    assert_eq!(emu.groups(INSTANCE_HZ).len(), 20);
    assert_eq!(emu.sasl_users(INSTANCE_HZ).len(), USERS);
    assert_eq!(emu.allowed_ip_entries(INSTANCE_HZ).len(), ENTRIES);
}

/// SASL users and allowlist entries seeded beside the topics and groups.
const USERS: usize = 12;
const ENTRIES: usize = 6;
/// The seeded users' password, which the adopting configuration gives them.
const SEEDED_PASSWORD: &str = "Seeded-Passw0rd";

/// The API calls the emulator counted since the metrics were last cleared, by action.
fn calls(emu: &Emulator) -> Value {
    let metrics = emu.metrics();
    let mut counted = serde_json::Map::new();
    for (action, m) in metrics["actions"].as_object().into_iter().flatten() {
        counted.insert(action.clone(), m["requests"].clone());
    }
    emu.control_delete("metrics");
    Value::Object(counted)
}

/// The top-level keys set in each `resource` block of a generated file, skipping the
/// `x = null` lines Terraform itself writes for unset optional attributes.
fn generated_keys(generated: &str, type_name: &str) -> Vec<Vec<String>> {
    generated
        .split(&format!("resource \"{type_name}\""))
        .skip(1)
        .map(|block| {
            let mut depth = 0;
            let mut keys = Vec::new();
            for line in block.lines() {
                let line = line.trim();
                if depth == 1 {
                    if let Some((key, value)) = line.split_once(" = ") {
                        if value != "null" {
                            keys.push(key.trim().to_owned());
                        }
                    }
                }
                depth += line.matches('{').count();
                depth = depth.saturating_sub(line.matches('}').count());
                if depth == 0 && line.contains('}') {
                    break;
                }
            }
            keys
        })
        .collect()
}

#[test]
fn query_generates_a_configuration_that_imports_a_whole_instance() {
    let started = Instant::now();
    let emu = Emulator::start();
    seed_instance(&emu);
    let seeded = started.elapsed();
    let ws = Workspace::new(&terraform(NEW), &emu);
    ws.write_config("provider \"alikafka\" {}\n");
    ws.write_file(
        "filtered.tfquery.hcl",
        &format!(
            r#"
list "alikafka_topic" "payments" {{
  provider = alikafka
  limit    = 1000
  config {{
    instance_id = "{INSTANCE_HZ}"
    name_regex  = "^adopt-0[0-4]"
    tags        = {{ team = "payments" }}
  }}
}}
"#
        ),
    );
    emu.control_delete("metrics");
    let filtered = ws.ok(&["query", "-no-color"]).stdout;
    // adopt-000 to adopt-049, every fifth: 10 topics.
    let shown: Vec<&str> = filtered
        .lines()
        .filter(|l| l.contains("list.alikafka_topic.payments"))
        .collect();
    assert_eq!(shown.len(), 10, "{filtered}");
    assert!(filtered.contains("adopt-045"), "{filtered}");
    assert_eq!(calls(&emu)["GetTopicList"], 1);

    std::fs::remove_file(ws.path().join("filtered.tfquery.hcl")).unwrap();
    ws.write_file(
        "instance.tfquery.hcl",
        &format!(
            r#"
list "alikafka_topic" "all" {{
  provider = alikafka
  limit    = 1000
  config {{
    instance_id = "{INSTANCE_HZ}"
  }}
}}

list "alikafka_consumer_group" "all" {{
  provider = alikafka
  config {{
    instance_id = "{INSTANCE_HZ}"
  }}
}}

list "alikafka_sasl_user" "all" {{
  provider = alikafka
  config {{
    instance_id = "{INSTANCE_HZ}"
  }}
}}

list "alikafka_instance_allowed_ip_attachment" "all" {{
  provider = alikafka
  config {{
    instance_id = "{INSTANCE_HZ}"
  }}
}}
"#
        ),
    );
    let query_started = Instant::now();
    ws.ok(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    let query_time = query_started.elapsed();
    // One list of each kind, all pages in one; the instance list for the default
    // retention that tells a topic's own settings from the defaults.
    assert_eq!(
        calls(&emu),
        json!({"GetTopicList": 1, "GetConsumerList": 1, "GetInstanceList": 1,
            "DescribeSaslUsers": 1, "GetAllowedIpList": 1})
    );

    let raw = std::fs::read_to_string(ws.path().join("generated.tf")).unwrap();
    assert!(
        !raw.contains(SEEDED_PASSWORD),
        "a listing never carries a password"
    );
    // A generated user holds no password: the adopter adds the one to keep.
    let with_passwords: String = raw
        .lines()
        .filter(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            // `password = null # sensitive`, as Terraform writes them.
            !matches!(
                words.as_slice(),
                [
                    "password" | "password_wo" | "password_wo_version",
                    "=",
                    "null",
                    ..
                ]
            )
        })
        .map(|l| {
            if l.starts_with("resource \"alikafka_sasl_user\"") {
                format!("{l}\n  password = \"{SEEDED_PASSWORD}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    ws.write_file("generated.tf", &with_passwords);

    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).unwrap();
    let generated: String = generated
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(generated.matches("import {").count(), 320 + USERS + ENTRIES);
    let topics = generated_keys(&generated, "alikafka_topic");
    let groups = generated_keys(&generated, "alikafka_consumer_group");
    assert_eq!((topics.len(), groups.len()), (300, 20));
    let users = generated_keys(&generated, "alikafka_sasl_user");
    let entries = generated_keys(&generated, "alikafka_instance_allowed_ip_attachment");
    assert_eq!((users.len(), entries.len()), (USERS, ENTRIES));
    for keys in &users {
        let mut chosen: Vec<&str> = keys
            .iter()
            .map(String::as_str)
            .filter(|k| !["provider", "instance_id"].contains(k))
            .collect();
        chosen.sort_unstable();
        // Generated: username, and type when not the default; the password is the
        // adopter's.
        chosen.retain(|k| *k != "type");
        assert_eq!(chosen, ["password", "username"], "{generated}");
    }
    let typed = users
        .iter()
        .filter(|k| k.iter().any(|x| x == "type"))
        .count();
    assert_eq!(typed, USERS.div_ceil(3), "scram users only");
    for keys in &entries {
        for key in keys {
            assert!(
                [
                    "provider",
                    "instance_id",
                    "allowed_type",
                    "port_range",
                    "allowed_ip",
                    "description"
                ]
                .contains(&key.as_str()),
                "{key} in\n{generated}"
            );
        }
    }
    assert_eq!(
        generated.matches("description = \"Seeded entry").count(),
        ENTRIES / 2
    );
    // Minimal blocks: what the user chose, nothing the service fills in.
    let allowed = [
        "provider",
        "instance_id",
        "topic",
        "consumer_id",
        "remark",
        "partition_num",
        "local_topic",
        "compact_topic",
        "replication_factor",
        "min_insync_replicas",
        "config",
        "tags",
    ];
    for keys in topics.iter().chain(&groups) {
        for key in keys {
            assert!(allowed.contains(&key.as_str()), "{key} in\n{generated}");
        }
    }
    let with = |key: &str| topics.iter().filter(|k| k.iter().any(|x| x == key)).count();
    assert_eq!(with("local_topic"), 30, "true only");
    assert_eq!(with("compact_topic"), 15, "true only");
    assert_eq!(with("config"), 30);
    assert_eq!(with("replication_factor"), 30, "local topics only");
    assert_eq!(with("partition_num"), 43, "24 only, never the default 12");
    assert_eq!(with("tags"), 60);
    assert!(!generated.contains("partition_num = 12"));
    assert!(
        generated.contains("\"retention.ms\" = \"86400000\""),
        "{generated}"
    );
    assert!(generated.contains("identity = {"), "{generated}");

    let apply_started = Instant::now();
    let applied = ws.apply().flat();
    let apply_time = apply_started.elapsed();
    // Every user is updated once: an import cannot know its password, the apply sets it.
    assert!(
        applied.contains(&format!(
            "{} imported, 0 added, {USERS} changed, 0 destroyed",
            320 + USERS + ENTRIES
        )),
        "{applied}"
    );
    // The imports and their reads shared one list of each kind; the only writes are the
    // users' passwords.
    let applied_calls = calls(&emu);
    eprintln!("apply calls: {applied_calls}");
    assert_eq!(applied_calls["CreateSaslUser"], USERS);
    // One list for the imports' reads, then the waits until each new password is listed
    // (shared: several waits take one list).
    let user_lists = applied_calls["DescribeSaslUsers"].as_u64().unwrap_or(0);
    assert!(
        (1..=1 + USERS as u64).contains(&user_lists),
        "{applied_calls}"
    );
    for (action, expected) in [
        ("GetTopicList", 1),
        ("GetConsumerList", 1),
        ("GetInstanceList", 1),
        ("GetAllowedIpList", 1),
    ] {
        assert_eq!(applied_calls[action], expected, "{action}: {applied_calls}");
    }
    ws.assert_no_changes();
    assert_eq!(
        calls(&emu),
        json!({"GetTopicList": 1, "GetConsumerList": 1, "DescribeSaslUsers": 1,
            "GetAllowedIpList": 1})
    );
    let identities = ws.ok(&["state", "identities", "-json"]).stdout;
    let identities: Value = serde_json::from_str(&identities).unwrap();
    assert_eq!(
        identities.as_object().map(|m| m.len()),
        Some(320 + USERS + ENTRIES)
    );
    eprintln!(
        "query test: {:.1} s (seeding {:.1} s, query -generate-config-out {:.1} s, apply {:.1} s)",
        started.elapsed().as_secs_f64(),
        seeded.as_secs_f64(),
        query_time.as_secs_f64(),
        apply_time.as_secs_f64()
    );
}
