//! `moved { from = alicloud_alikafka_*.x  to = alikafka_*.x }` with real Terraform 1.15.5:
//! for every schema the alicloud provider's topic and consumer group have had, a state as
//! that release wrote it (`tests/fixtures/alicloud/`, held by the alicloud stand-in of
//! `alicloud_standin`, since the real alicloud provider cannot run here) moves into ours
//! with a plan that shows only the move (for a SASL user, also the update that sets its
//! password: the password is not moved), then nothing at all, and no other write.
//! Sources we do not take are refused with a message naming them.

mod alicloud_standin;
mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use alicloud_standin::{
    fixture_release, fixtures, ResourceType, StandIn, ALLOWED_IP_ATTACHMENT, CONSUMER_GROUP,
    SASL_ACL, SASL_USER, TOPIC,
};
use alikafka::api::{
    AclOperation, AclPatternType, AclResourceType, AclSpec, AllowedListType, CreateAclRequest,
    CreateConsumerGroupRequest, CreateSaslUserRequest, CreateTopicRequest, SaslUserType,
    SecretString, Tag, UpdateAllowedIpRequest,
};
use common::*;
use serde_json::{json, Value};

/// Settings the service documents (the rest of an alicloud `configs` are its own keys).
const DOCUMENTED: [&str; 4] = [
    "retention.ms",
    "max.message.bytes",
    "message.timestamp.type",
    "message.timestamp.difference.max.ms",
];

/// Each workspace holds states of one alicloud release's schemas: the stand-in serves
/// one release at a time, and each fixture here is held at a release whose schema of its
/// type is the one it was written with (checked below).
const CASES: [(&str, &[&str]); 8] = [
    (
        "1.56.0",
        &["alikafka_topic-v1.56.0", "alikafka_consumer_group-v1.56.0"],
    ),
    (
        "1.63.0",
        &["alikafka_topic-v1.63.0", "alikafka_consumer_group-v1.63.0"],
    ),
    (
        "1.66.0",
        &["alikafka_sasl_user-v1.66.0", "alikafka_sasl_acl-v1.66.0"],
    ),
    (
        "1.70.0",
        &["alikafka_topic-v1.70.0", "alikafka_sasl_user-v1.68.0"],
    ),
    (
        "1.163.0",
        &[
            "alikafka_topic-v1.119.0",
            "alikafka_consumer_group-v1.157.0",
            "alikafka_sasl_user-v1.159.0",
            "alikafka_instance_allowed_ip_attachment-v1.163.0",
        ],
    ),
    ("1.190.0", &["alikafka_sasl_user-v1.190.0"]),
    ("1.216.0", &["alikafka_sasl_user-v1.216.0"]),
    (
        "1.270.0",
        &[
            "alikafka_topic-v1.262.1",
            "alikafka_consumer_group-v1.268.0",
            "alikafka_sasl_user-v1.266.0",
            "alikafka_sasl_acl-v1.270.0",
        ],
    ),
];

/// The password the alicloud fixtures hold (in clear) and the service lists.
const FIXTURE_PASSWORD: &str = "alicloud-fixture-Passw0rd";

/// What the user writes for each object after the move: the alicloud arguments in our
/// resource's terms (`description` is `remark`; `configs` are the settings that differ
/// from the defaults, under `config`).
fn our_block(fixture: &str) -> &'static str {
    match fixture {
        "alikafka_topic-v1.56.0" => {
            r#"  topic  = "alicloud-orders-1560"
  remark = "Orders, alicloud 1.56.0""#
        }
        "alikafka_topic-v1.63.0" => {
            r#"  topic  = "alicloud-orders-1630"
  remark = "Orders, alicloud 1.63.0""#
        }
        "alikafka_topic-v1.70.0" => {
            r#"  topic         = "alicloud-orders-1700"
  remark        = "Orders, alicloud 1.70.0"
  partition_num = 24
  tags          = { team = "payments" }"#
        }
        "alikafka_topic-v1.119.0" => {
            r#"  topic         = "alicloud-orders-1119"
  remark        = "Compacted, alicloud 1.119.0"
  partition_num = 6
  local_topic   = true
  compact_topic = true"#
        }
        "alikafka_topic-v1.262.1" => {
            r#"  topic       = "alicloud-orders-1262"
  remark      = "Local, alicloud 1.262.1"
  local_topic = true
  config      = { "retention.ms" = "86400000" }
  tags        = { team = "payments", env = "prod" }
  timeouts    = { delete = "16m" }"#
        }
        "alikafka_consumer_group-v1.56.0" => r#"  consumer_id = "alicloud-billing-1560""#,
        "alikafka_consumer_group-v1.63.0" => r#"  consumer_id = "alicloud-billing-1630""#,
        "alikafka_consumer_group-v1.157.0" => {
            r#"  consumer_id = "alicloud-billing-1157"
  remark      = "Billing readers"
  tags        = { team = "billing" }"#
        }
        "alikafka_consumer_group-v1.268.0" => {
            r#"  consumer_id = "alicloud-billing-1268"
  remark      = "Billing readers""#
        }
        // `password` (kept in our state, sensitive), as on Terraform before 1.11.
        "alikafka_sasl_user-v1.66.0" => {
            r#"  username = "alicloud-app-1660"
  password = "alicloud-fixture-Passw0rd""#
        }
        // `password_wo` (kept nowhere) with its version.
        "alikafka_sasl_user-v1.68.0" => {
            r#"  username            = "alicloud-app-1680"
  password_wo         = "alicloud-fixture-Passw0rd"
  password_wo_version = 1"#
        }
        "alikafka_sasl_user-v1.159.0" => {
            r#"  username            = "alicloud-app-1159"
  type                = "scram"
  password_wo         = "alicloud-fixture-Passw0rd"
  password_wo_version = 1"#
        }
        "alikafka_sasl_user-v1.190.0" => {
            r#"  username            = "alicloud-app-1190"
  password_wo         = "alicloud-fixture-Passw0rd"
  password_wo_version = 1"#
        }
        "alikafka_sasl_user-v1.216.0" => {
            r#"  username            = "alicloud-app-1216"
  password_wo         = "alicloud-fixture-Passw0rd"
  password_wo_version = 1"#
        }
        "alikafka_sasl_user-v1.266.0" => {
            r#"  username            = "alicloud-app-1266"
  type                = "scram"
  password_wo         = "alicloud-fixture-Passw0rd"
  password_wo_version = 1"#
        }
        "alikafka_sasl_acl-v1.66.0" => {
            r#"  username                  = "alicloud-app-1660"
  acl_resource_type         = "Topic"
  acl_resource_name         = "alicloud-orders-1560"
  acl_resource_pattern_type = "LITERAL"
  acl_operation_type        = "Write""#
        }
        "alikafka_sasl_acl-v1.270.0" => {
            r#"  username                  = "alicloud-app-1266"
  acl_resource_type         = "Group"
  acl_resource_name         = "alicloud-"
  acl_resource_pattern_type = "PREFIXED"
  acl_operation_type        = "Read""#
        }
        "alikafka_instance_allowed_ip_attachment-v1.163.0" => {
            r#"  allowed_type = "vpc"
  port_range   = "9092/9092"
  allowed_ip   = "192.168.10.0/24""#
        }
        other => panic!("no block for {other}"),
    }
}

fn fixture(name: &str) -> Value {
    let path = fixtures()
        .into_iter()
        .find(|(file, _)| file == &format!("{name}.tfstate"))
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1;
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn attributes(state: &Value) -> &Value {
    &state["resources"][0]["instances"][0]["attributes"]
}

fn kind_of(fixture: &str) -> (&'static ResourceType, &'static str) {
    let kinds: [(&'static ResourceType, &'static str); 5] = [
        (&TOPIC, "alikafka_topic"),
        (&CONSUMER_GROUP, "alikafka_consumer_group"),
        (&SASL_USER, "alikafka_sasl_user"),
        (&SASL_ACL, "alikafka_sasl_acl"),
        (
            &ALLOWED_IP_ATTACHMENT,
            "alikafka_instance_allowed_ip_attachment",
        ),
    ];
    kinds
        .into_iter()
        .find(|(_, ours)| fixture.starts_with(&format!("{ours}-")))
        .unwrap_or_else(|| panic!("no kind for {fixture}"))
}

fn tags_of(attributes: &Value) -> Vec<Tag> {
    attributes["tags"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| Tag::new(k, v.as_str().unwrap_or_default()))
        .collect()
}

/// Creates on the emulator the objects the fixtures track, as the alicloud provider
/// created them.
fn create_remote_objects(emu: &Emulator) {
    let mut topics = Vec::new();
    let mut groups = Vec::new();
    let mut users = Vec::new();
    let mut acls = Vec::new();
    let mut entries = Vec::new();
    for (_, names) in CASES {
        for name in names {
            let state = fixture(name);
            let a = attributes(&state);
            let text = |k: &str| a[k].as_str().map(str::to_owned);
            if name.starts_with("alikafka_topic") {
                let configs: BTreeMap<String, String> = text("configs")
                    .and_then(|c| serde_json::from_str(&c).ok())
                    .unwrap_or_default();
                let replicas = |k: &str| configs.get(k).and_then(|v| v.parse().ok());
                topics.push(CreateTopicRequest {
                    instance_id: INSTANCE_HZ.into(),
                    topic: text("topic").unwrap(),
                    remark: text("remark").unwrap(),
                    partition_num: a["partition_num"].as_u64().map(|n| n as u32),
                    local_topic: a["local_topic"].as_bool(),
                    compact_topic: a["compact_topic"].as_bool(),
                    config: configs
                        .iter()
                        .filter(|(k, _)| DOCUMENTED.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    replication_factor: replicas("replication-factor"),
                    min_insync_replicas: replicas("min.insync.replicas"),
                    tags: tags_of(a),
                });
            } else if name.starts_with("alikafka_sasl_user") {
                let scram = text("type").as_deref() == Some("scram");
                users.push(CreateSaslUserRequest {
                    instance_id: INSTANCE_HZ.into(),
                    username: text("username").unwrap(),
                    password: SecretString::new(text("password").unwrap()),
                    user_type: Some(if scram {
                        SaslUserType::Scram
                    } else {
                        SaslUserType::Plain
                    }),
                    mechanism: None,
                });
            } else if name.starts_with("alikafka_sasl_acl") {
                let field = |k: &str| text(k).unwrap();
                acls.push(CreateAclRequest(AclSpec {
                    instance_id: INSTANCE_HZ.into(),
                    username: field("username"),
                    resource_type: AclResourceType::parse(&field("acl_resource_type")).unwrap(),
                    resource_name: field("acl_resource_name"),
                    pattern_type: AclPatternType::parse(&field("acl_resource_pattern_type"))
                        .unwrap(),
                    operation_type: AclOperation::parse(&field("acl_operation_type")).unwrap(),
                    operation_types: Vec::new(),
                    permission_type: None,
                    host: None,
                }));
            } else if name.starts_with("alikafka_instance_allowed_ip_attachment") {
                entries.push(UpdateAllowedIpRequest {
                    instance_id: INSTANCE_HZ.into(),
                    list_type: AllowedListType::Vpc,
                    port_range: text("port_range").unwrap(),
                    add: true,
                    allowed_ips: text("allowed_ip").unwrap(),
                    description: None,
                });
            } else {
                groups.push(CreateConsumerGroupRequest {
                    instance_id: INSTANCE_HZ.into(),
                    consumer_id: text("consumer_id").unwrap(),
                    remark: text("remark").or_else(|| text("description")),
                    tags: tags_of(a),
                });
            }
        }
    }
    emu.seed_through_api(topics);
    emu.seed_through_api(groups);
    emu.seed_through_api(users);
    emu.seed_through_api(acls);
    emu.seed_through_api(entries);
}

/// A working directory holding `states` (merged into one state file) with our provider
/// and the stand-in serving alicloud `release`.
fn workspace(emu: &Emulator, stand_in: &StandIn, states: &[Value], config: &str) -> Workspace {
    let mut ws = Workspace::new(&terraform("1.15.5"), emu);
    ws.set_env("TF_REATTACH_PROVIDERS", &stand_in.reattach());
    let mut merged = states[0].clone();
    merged["resources"] = Value::Array(
        states
            .iter()
            .flat_map(|s| s["resources"].as_array().cloned().unwrap_or_default())
            .collect(),
    );
    ws.write_file(
        "terraform.tfstate",
        &serde_json::to_string_pretty(&merged).unwrap(),
    );
    ws.write_file(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    alicloud = {{ source = \"aliyun/alicloud\" }}\n    alikafka = {{ source = \"alikafka/alikafka\" }}\n  }}\n}}\n\n{config}"
        ),
    );
    ws
}

#[test]
fn every_alicloud_schema_moves_with_only_the_move_planned() {
    let started = Instant::now();
    // Every topic and group fixture is moved, each at a release with its own schema.
    let covered: Vec<&str> = CASES
        .iter()
        .flat_map(|(_, names)| names.iter().copied())
        .collect();
    let all: Vec<String> = fixtures()
        .into_iter()
        .map(|(file, _)| file.trim_end_matches(".tfstate").to_owned())
        .collect();
    assert_eq!(
        {
            let mut c = covered.clone();
            c.sort();
            c
        },
        {
            let mut a: Vec<&str> = all.iter().map(String::as_str).collect();
            a.sort();
            a
        }
    );
    for (release, names) in CASES {
        for name in names {
            let (kind, _) = kind_of(name);
            let written = fixture_release(name);
            assert_eq!(
                kind.era_at(release).map(|e| e.since),
                kind.era_at(written).map(|e| e.since),
                "{name} at {release}"
            );
        }
    }

    let emu = Emulator::start();
    create_remote_objects(&emu);
    emu.control_delete("metrics");
    for (release, names) in CASES {
        let stand_in = StandIn::start(release);
        let states: Vec<Value> = names.iter().map(|n| fixture(n)).collect();
        let config: String = names
            .iter()
            .map(|name| {
                let (kind, ours) = kind_of(name);
                format!(
                    "moved {{\n  from = {}.this\n  to   = {ours}.this\n}}\n\nresource \"{ours}\" \"this\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n{}\n}}\n\n",
                    kind.name,
                    our_block(name)
                )
            })
            .collect();
        let ws = workspace(&emu, &stand_in, &states, &config);
        ws.ok(&["init", "-input=false", "-no-color"]);
        let plan = ws.plan_json();
        let changes = plan["resource_changes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(changes.len(), names.len(), "{release}: {plan}");
        for change in &changes {
            let address = change["address"].as_str().unwrap_or_default();
            if address.starts_with("alikafka_sasl_user.") {
                // The password is not moved (it may be write-only): the configured one is
                // set once, as after an import. Nothing else changes.
                assert_eq!(
                    change["change"]["actions"],
                    json!(["update"]),
                    "{release} {address}: {change}"
                );
                let (before, after) = (&change["change"]["before"], &change["change"]["after"]);
                let changed: Vec<&String> = after
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, v)| before[k.as_str()] != **v)
                    .map(|(k, _)| k)
                    .collect();
                assert!(
                    changed
                        .iter()
                        .all(|k| ["password", "password_wo_version", "password_set_at"]
                            .contains(&k.as_str())),
                    "{release} {address}: {changed:?}"
                );
                assert_eq!(before["password"], Value::Null, "{release} {address}");
                assert_eq!(
                    change["change"]["after_unknown"]["password_set_at"], true,
                    "{release} {address}"
                );
            } else {
                assert_eq!(
                    change["change"]["actions"],
                    json!(["no-op"]),
                    "{release} {address}: {change}"
                );
            }
            let from = change["previous_address"].as_str().unwrap_or_default();
            assert!(
                from.starts_with("alicloud_alikafka_") && from.ends_with(".this"),
                "{release} {address} moved from {from:?}"
            );
        }
        let text = ws.ok(&["show", "-no-color", "tfplan"]).flat();
        // A move alone reads "has moved to"; a move with an update, "(moved from ...)".
        assert!(
            text.contains("has moved to alikafka_")
                || text.contains("(moved from alicloud_alikafka_"),
            "{release}: {text}"
        );
        ws.apply();
        ws.assert_no_changes();
        let identities: Value =
            serde_json::from_str(&ws.ok(&["state", "identities", "-json"]).stdout).unwrap();
        for name in names {
            let (_, ours) = kind_of(name);
            let identity = &identities[format!("{ours}.this")];
            assert_eq!(identity["instance_id"], INSTANCE_HZ, "{name}: {identities}");
        }
        for name in names.iter().filter(|n| n.starts_with("alikafka_sasl_user")) {
            let user = ws.resource_values("alikafka_sasl_user.this");
            let expected = if *name == "alikafka_sasl_user-v1.66.0" {
                json!(FIXTURE_PASSWORD)
            } else {
                Value::Null
            };
            assert_eq!(
                user["password"], expected,
                "{name}: only `password` is kept"
            );
            assert!(user["password_set_at"].is_string(), "{name}: {user}");
        }
        if names.contains(&"alikafka_topic-v1.262.1") {
            let moved = ws.resource_values("alikafka_topic.this");
            assert_eq!(moved["config"], json!({"retention.ms": "86400000"}));
            assert_eq!(moved["replication_factor"], 2);
            assert_eq!(
                moved["timeouts"],
                json!({"create": null, "update": null, "delete": "16m"})
            );
        }
    }
    // Moves and the plans after them only read, but for the one CreateSaslUser of each
    // moved user that sets its configured password.
    let metrics = emu.metrics();
    let users = CASES
        .iter()
        .flat_map(|(_, names)| names.iter())
        .filter(|n| n.starts_with("alikafka_sasl_user"))
        .count();
    for (action, m) in metrics["actions"].as_object().into_iter().flatten() {
        if action == "CreateSaslUser" {
            assert_eq!(m["requests"], users as u64, "{metrics}");
        } else {
            assert!(
                action.starts_with("Get") || action.starts_with("Describe"),
                "{action} was called: {metrics}"
            );
        }
        assert_eq!(m["failed"], 0, "{action}: {metrics}");
    }
    eprintln!("moved test: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn sources_we_do_not_take_are_refused_by_name() {
    let emu = Emulator::start();
    let stand_in = StandIn::start("1.268.0");
    let states = [
        fixture("alikafka_consumer_group-v1.268.0"),
        fixture("alikafka_sasl_user-v1.266.0"),
    ];
    let topic = format!(
        "resource \"alikafka_topic\" \"wrong\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  topic = \"alicloud-billing-1268\"\n  remark = \"x\"\n}}\n"
    );
    let ws = workspace(
        &emu,
        &stand_in,
        &states,
        &format!("{topic}moved {{\n  from = alicloud_alikafka_consumer_group.this\n  to   = alikafka_topic.wrong\n}}\n"),
    );
    ws.ok(&["init", "-input=false", "-no-color"]);
    let refused = ws.fails(&["plan", "-input=false", "-no-color"]);
    assert!(
        refused.contains(
            "alikafka_topic cannot take the state of alicloud_alikafka_consumer_group from \
             provider registry.terraform.io/aliyun/alicloud (schema version 0)"
        ),
        "{refused}"
    );

    let group = format!(
        "resource \"alikafka_consumer_group\" \"user\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  consumer_id = \"alicloud-app-1266\"\n}}\n"
    );
    ws.write_file(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    alicloud = {{ source = \"aliyun/alicloud\" }}\n    alikafka = {{ source = \"alikafka/alikafka\" }}\n  }}\n}}\n\n{group}moved {{\n  from = alicloud_alikafka_sasl_user.this\n  to   = alikafka_consumer_group.user\n}}\n"
        ),
    );
    let refused = ws.fails(&["plan", "-input=false", "-no-color"]);
    assert!(
        refused.contains(
            "alikafka_consumer_group cannot take the state of alicloud_alikafka_sasl_user"
        ),
        "{refused}"
    );
    // Nothing reached the service: a refused move is decided without it.
    let metrics = emu.metrics();
    assert_eq!(metrics["totals"]["requests"], 0, "{metrics}");
}
