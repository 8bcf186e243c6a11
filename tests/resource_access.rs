//! Acceptance tests of access as code: `alikafka_sasl_user`, `alikafka_sasl_acl`,
//! `alikafka_instance_allowed_ip_attachment` and their data sources, with real Terraform,
//! our provider and the emulator; Alibaba's official Python SDK acts beside Terraform.
//!
//! - The `examples/team-tenancy` module on Terraform 1.15.5 (write-only password): apply,
//!   an empty plan, import of every resource, rotation by `password_wo_version`, a password
//!   changed through the SDK shown and repaired by the plan, destroy leaving nothing; the
//!   passwords appear in no file of the working directory (state, plans, the `TF_LOG=trace`
//!   log), no command output and no emulator log.
//! - The same team on Terraform 1.0.3 with `password`: sensitive in plan output; the
//!   password the service lists (set through the SDK) reaches no file and no log.
//! - Every ACL field change is a replacement; illegal values are plan-time errors at their
//!   attribute; allowlist addresses stored together read back and delete one by one.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const TEAM_CIDR: &str = "192.168.20.0/24";

/// The team module's root configuration, the module copied beside it.
fn team_module(ws: &Workspace, password_version: u32) -> String {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/team-tenancy");
    let target = ws.path().join("team-tenancy");
    std::fs::create_dir_all(&target).expect("module dir");
    for name in ["main.tf", "variables.tf", "outputs.tf", "versions.tf"] {
        std::fs::copy(module.join(name), target.join(name)).expect("copy the module");
    }
    format!(
        r#"
variable "team_password" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

module "team" {{
  source           = "./team-tenancy"
  instance_id      = "{INSTANCE_HZ}"
  team             = "payments"
  topics           = {{ events = 3, refunds = 2 }}
  password         = var.team_password
  password_version = {password_version}
  client_cidr      = "{TEAM_CIDR}"
}}

data "alikafka_sasl_users" "all" {{
  instance_id = "{INSTANCE_HZ}"
  depends_on  = [module.team]
}}

data "alikafka_sasl_acls" "reads" {{
  instance_id       = "{INSTANCE_HZ}"
  username          = "payments"
  acl_resource_type = "Topic"
  acl_resource_name = "payments-"
  depends_on        = [module.team]
  # A prefix is no topic: without the pattern type the service wants one.
  acl_resource_pattern_type = "PREFIXED"

}}

output "users" {{
  value = data.alikafka_sasl_users.all.users
}}

output "read_acls" {{
  value = data.alikafka_sasl_acls.reads.ids
}}
"#
    )
}

/// The team's resources, as the module makes them, at the root with `password` (for
/// Terraform before 1.11, which cannot read the module).
fn team_inline() -> String {
    let acl = |name: &str, rtype: &str, rname: &str, pattern: &str, op: &str| {
        format!(
            r#"
resource "alikafka_sasl_acl" "{name}" {{
  instance_id               = "{INSTANCE_HZ}"
  username                  = alikafka_sasl_user.team.username
  acl_resource_type         = "{rtype}"
  acl_resource_name         = {rname}
  acl_resource_pattern_type = "{pattern}"
  acl_operation_type        = "{op}"
}}
"#
        )
    };
    let mut hcl = format!(
        r#"
variable "team_password" {{
  type      = string
  sensitive = true
}}

resource "alikafka_topic" "events" {{
  instance_id   = "{INSTANCE_HZ}"
  topic         = "payments-events"
  remark        = "Topic of team payments"
  partition_num = 3
}}

resource "alikafka_consumer_group" "team" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "payments-consumers"
  remark      = "Consumers of team payments"
}}

resource "alikafka_sasl_user" "team" {{
  instance_id = "{INSTANCE_HZ}"
  username    = "payments"
  type        = "scram"
  password    = var.team_password
}}

resource "alikafka_instance_allowed_ip_attachment" "clients" {{
  instance_id  = "{INSTANCE_HZ}"
  allowed_type = "vpc"
  port_range   = "9094/9094"
  allowed_ip   = "{TEAM_CIDR}"
  description  = "Clients of team payments"
}}
"#
    );
    hcl.push_str(&acl(
        "write",
        "Topic",
        "alikafka_topic.events.topic",
        "LITERAL",
        "Write",
    ));
    hcl.push_str(&acl("read", "Topic", "\"payments-\"", "PREFIXED", "Read"));
    hcl.push_str(&acl(
        "group",
        "Group",
        "alikafka_consumer_group.team.consumer_id",
        "LITERAL",
        "Read",
    ));
    hcl
}

/// (address, import ID) of every team resource, under `prefix` (`module.team.` or "").
fn team_imports(prefix: &str, module: bool) -> Vec<(String, String)> {
    let i = INSTANCE_HZ;
    let (topic, user, group, acl_write, acl_read, acl_group, clients) = if module {
        (
            vec![
                ("alikafka_topic.team[\"events\"]", "payments-events"),
                ("alikafka_topic.team[\"refunds\"]", "payments-refunds"),
            ],
            "alikafka_sasl_user.team",
            "alikafka_consumer_group.team",
            vec![
                ("alikafka_sasl_acl.write[\"events\"]", "payments-events"),
                ("alikafka_sasl_acl.write[\"refunds\"]", "payments-refunds"),
            ],
            "alikafka_sasl_acl.read",
            "alikafka_sasl_acl.group",
            "alikafka_instance_allowed_ip_attachment.clients",
        )
    } else {
        (
            vec![("alikafka_topic.events", "payments-events")],
            "alikafka_sasl_user.team",
            "alikafka_consumer_group.team",
            vec![("alikafka_sasl_acl.write", "payments-events")],
            "alikafka_sasl_acl.read",
            "alikafka_sasl_acl.group",
            "alikafka_instance_allowed_ip_attachment.clients",
        )
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (address, name) in topic {
        out.push((format!("{prefix}{address}"), format!("{i}:{name}")));
    }
    out.push((
        format!("{prefix}{group}"),
        format!("{i}:payments-consumers"),
    ));
    out.push((format!("{prefix}{user}"), format!("{i}:payments")));
    for (address, name) in acl_write {
        out.push((
            format!("{prefix}{address}"),
            format!("{i}:payments:Topic:{name}:LITERAL:Write"),
        ));
    }
    out.push((
        format!("{prefix}{acl_read}"),
        format!("{i}:payments:Topic:payments-:PREFIXED:Read"),
    ));
    out.push((
        format!("{prefix}{acl_group}"),
        format!("{i}:payments:Group:payments-consumers:LITERAL:Read"),
    ));
    out.push((
        format!("{prefix}{clients}"),
        format!("{i}:vpc:9094/9094:{TEAM_CIDR}"),
    ));
    out
}

/// What the emulator holds of the team: (topics, groups, users, ACLs, allowlist entries).
fn team_remote(emu: &Emulator) -> (usize, usize, usize, usize, usize) {
    (
        emu.topics(INSTANCE_HZ).len(),
        emu.groups(INSTANCE_HZ).len(),
        emu.sasl_users(INSTANCE_HZ).len(),
        emu.acls(INSTANCE_HZ).len(),
        emu.allowed_ip_entries(INSTANCE_HZ).len(),
    )
}

fn password_is(emu: &Emulator, password: &str) -> bool {
    let answer = emu.sdk("password-is", &["payments", "scram"], Some(password));
    assert_eq!(answer["listed"], 1, "{answer}");
    answer["matches"] == true
}

/// Every managed resource of a plan that is not a no-op, with its actions (data sources
/// that depend on the module are read again whenever it changes).
fn changes(plan: &Value) -> Vec<(String, Vec<String>)> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["mode"] == "managed")
        .filter_map(|c| {
            let actions: Vec<String> = c["change"]["actions"]
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str().map(String::from))
                .collect();
            let address = c["address"].as_str()?.to_string();
            (actions != ["no-op"]).then_some((address, actions))
        })
        .collect()
}

/// Records every command's output, for the secret scan at the end.
struct Transcript(String);

impl Transcript {
    fn add(&mut self, run: &Run) {
        self.0.push_str(&run.combined());
    }
}

/// A password changed through the SDK shows in the next plan, with a warning, as an
/// update of the user; the apply sets the configured password again.
fn drift_is_planned_and_repaired(
    ws: &Workspace,
    emu: &Emulator,
    user: &str,
    configured: &str,
    log: &mut Transcript,
) {
    emu.sdk("set-password", &["payments", "scram"], Some(BY_HAND));
    assert!(!password_is(emu, configured));
    let run = ws.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    log.add(&run);
    assert_eq!(run.code, 2, "the drift is a change:\n{}", run.combined());
    assert!(
        run.flat()
            .contains("The password of SASL user payments is not the configured one"),
        "{}",
        run.combined()
    );
    let plan = ws.plan_json();
    assert_eq!(
        changes(&plan),
        [(user.to_string(), vec!["update".to_string()])]
    );
    log.add(&ws.apply());
    assert!(password_is(emu, configured));
    ws.assert_no_changes();
}

const PASSWORD_1: &str = "payments-First-pw-7f3a9c";
const PASSWORD_2: &str = "payments-Second-pw-41d0e2";
const BY_HAND: &str = "by-hand-Console-pw-93b1";

#[test]
fn team_module_with_a_write_only_password_on_1_15_5() {
    let tf = terraform("1.15.5");
    let logs = tempfile::tempdir().expect("log dir");
    let emulator_log = logs.path().join("emulator.log");
    let emu = Emulator::start_logging(&["--visibility-delay-ms", "0"], Some(&emulator_log));
    let mut ws = Workspace::new(&tf, &emu);
    ws.set_env("TF_LOG", "trace");
    let trace = ws.path().join("terraform-trace.log");
    ws.set_env("TF_LOG_PATH", &trace.display().to_string());
    ws.set_env("TF_VAR_team_password", PASSWORD_1);
    let mut log = Transcript(String::new());
    let user = "module.team.alikafka_sasl_user.team";

    ws.write_config(&team_module(&ws, 1));
    log.add(&ws.ok(&["init", "-no-color", "-input=false"]));
    log.add(&ws.apply());
    assert_eq!(team_remote(&emu), (2, 1, 1, 4, 1));
    assert_eq!(emu.sasl_users(INSTANCE_HZ)[0]["type"], "scram");
    assert!(password_is(&emu, PASSWORD_1));
    let state = ws.resource_values(user);
    assert!(state["password_wo"].is_null() && state["password"].is_null());
    assert_eq!(state["id"], format!("{INSTANCE_HZ}:payments"));
    let outputs = ws.outputs();
    assert_eq!(
        outputs["users"],
        serde_json::json!([{"id": format!("{INSTANCE_HZ}:payments"), "username": "payments",
                            "type": "scram", "mechanism": null}])
    );
    assert_eq!(
        outputs["read_acls"],
        serde_json::json!([format!(
            "{INSTANCE_HZ}:payments:Topic:payments-:PREFIXED:Read"
        )])
    );
    ws.assert_no_changes();

    // Import every resource (import blocks, one plan): nothing to create; the user is
    // updated once, since an import cannot know its password.
    ws.ok(&["state", "rm", "module.team"]);
    let blocks: String = team_imports("module.team.", true)
        .iter()
        .map(|(to, id)| format!("import {{\n  to = {to}\n  id = \"{id}\"\n}}\n"))
        .collect();
    ws.write_config(&format!("{}\n{blocks}", team_module(&ws, 1)));
    let plan = ws.plan_json();
    let imported = plan["resource_changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["change"]["importing"].is_object())
        .count();
    assert_eq!(imported, 9, "every resource is imported");
    assert_eq!(
        changes(&plan),
        [(user.to_string(), vec!["update".to_string()])]
    );
    log.add(&ws.apply());
    assert_eq!(team_remote(&emu), (2, 1, 1, 4, 1), "nothing created twice");
    ws.write_config(&team_module(&ws, 1));
    ws.assert_no_changes();

    // Every resource has an identity (Terraform 1.12+), and an import by identity alone
    // (no ID anywhere) brings each back as the import by ID did.
    let run = ws.ok(&["state", "identities", "-json"]);
    let identities: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let identities = identities
        .as_object()
        .expect("identities by address")
        .clone();
    assert_eq!(identities.len(), 9, "{identities:?}");
    assert_eq!(
        identities[user],
        serde_json::json!({"instance_id": INSTANCE_HZ, "username": "payments", "type": "scram"})
    );
    for (address, identity) in &identities {
        assert!(
            identity["instance_id"] == INSTANCE_HZ,
            "{address}: {identity}"
        );
    }
    ws.ok(&["state", "rm", "module.team"]);
    let blocks: String = identities
        .iter()
        .map(|(to, identity)| {
            let fields: String = identity
                .as_object()
                .expect("an identity object")
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("    {k} = {v}\n"))
                .collect();
            format!("import {{\n  to = {to}\n  identity = {{\n{fields}  }}\n}}\n")
        })
        .collect();
    ws.write_config(&format!("{}\n{blocks}", team_module(&ws, 1)));
    let plan = ws.plan_json();
    let imported = plan["resource_changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["change"]["importing"].is_object())
        .count();
    assert_eq!(imported, 9, "every resource is imported by identity");
    log.add(&ws.apply());
    assert_eq!(team_remote(&emu), (2, 1, 1, 4, 1), "nothing created twice");
    ws.write_config(&team_module(&ws, 1));
    ws.assert_no_changes();

    // Rotation: a new password and a new version.
    ws.set_env("TF_VAR_team_password", PASSWORD_2);
    ws.write_config(&team_module(&ws, 2));
    let plan = ws.plan_json();
    assert_eq!(
        changes(&plan),
        [(user.to_string(), vec!["update".to_string()])]
    );
    log.add(&ws.apply());
    assert!(password_is(&emu, PASSWORD_2));
    ws.assert_no_changes();

    drift_is_planned_and_repaired(&ws, &emu, user, PASSWORD_2, &mut log);

    log.add(&ws.destroy());
    assert_eq!(team_remote(&emu), (0, 0, 0, 0, 0), "destroy leaves nothing");
    drop(emu); // flushes its log

    let trace_text = std::fs::read(&trace).expect("trace log");
    assert!(
        contains(&trace_text, "CreateSaslUser"),
        "the trace log records the provider's calls"
    );
    let emulator_text = std::fs::read(&emulator_log).expect("emulator log");
    assert!(
        contains(&emulator_text, "CreateSaslUser"),
        "the emulator logged"
    );
    let mut files = Vec::new();
    all_files(ws.path(), &mut files);
    assert!(files.iter().any(|(p, _)| p.ends_with("terraform.tfstate")));
    assert!(files.iter().any(|(p, _)| p.ends_with("tfplan")));
    for secret in [PASSWORD_1, PASSWORD_2, BY_HAND] {
        for (path, bytes) in &files {
            assert!(!holds_secret(bytes, secret), "a password is in {path}");
        }
        assert!(
            !holds_secret(log.0.as_bytes(), secret),
            "a password in output"
        );
        assert!(
            !holds_secret(&emulator_text, secret),
            "a password in the emulator log"
        );
    }
}

#[test]
fn team_with_a_sensitive_password_on_1_0_3() {
    let tf = terraform("1.0.3");
    let logs = tempfile::tempdir().expect("log dir");
    let emulator_log = logs.path().join("emulator.log");
    let emu = Emulator::start_logging(&["--visibility-delay-ms", "0"], Some(&emulator_log));
    let mut ws = Workspace::new(&tf, &emu);
    ws.set_env("TF_LOG", "trace");
    let trace = ws.path().join("terraform-trace.log");
    ws.set_env("TF_LOG_PATH", &trace.display().to_string());
    ws.set_env("TF_VAR_team_password", PASSWORD_1);
    let mut log = Transcript(String::new());
    let user = "alikafka_sasl_user.team";

    ws.write_config(&team_inline());
    log.add(&ws.apply());
    assert_eq!(team_remote(&emu), (1, 1, 1, 3, 1));
    assert!(password_is(&emu, PASSWORD_1));
    ws.assert_no_changes();

    // A new password: an update, its value shown as sensitive.
    ws.set_env("TF_VAR_team_password", PASSWORD_2);
    let run = ws.run(&["plan", "-no-color", "-input=false"]);
    log.add(&run);
    assert!(
        run.stdout.contains("~ password ") && run.stdout.contains("(sensitive value)"),
        "{}",
        run.stdout
    );
    assert!(!holds_secret(run.combined().as_bytes(), PASSWORD_2));
    log.add(&ws.apply());
    assert!(password_is(&emu, PASSWORD_2));
    ws.assert_no_changes();

    // Import every resource; the user's password is set once more.
    for (address, _) in team_imports("", false) {
        ws.ok(&["state", "rm", &address]);
    }
    for (address, id) in team_imports("", false) {
        log.add(&ws.ok(&["import", "-no-color", "-input=false", &address, &id]));
    }
    let plan = ws.plan_json();
    assert_eq!(
        changes(&plan),
        [(user.to_string(), vec!["update".to_string()])]
    );
    log.add(&ws.apply());
    assert_eq!(team_remote(&emu), (1, 1, 1, 3, 1));
    ws.assert_no_changes();

    drift_is_planned_and_repaired(&ws, &emu, user, PASSWORD_2, &mut log);

    log.add(&ws.destroy());
    assert_eq!(team_remote(&emu), (0, 0, 0, 0, 0));
    drop(emu);

    // Terraform keeps `password` in its state (sensitive); the password the service
    // listed, set outside Terraform, reaches no file, no output and no log.
    let mut files = Vec::new();
    all_files(ws.path(), &mut files);
    assert!(contains(
        &std::fs::read(&trace).expect("trace"),
        "DescribeSaslUsers"
    ));
    for (path, bytes) in &files {
        assert!(
            !holds_secret(bytes, BY_HAND),
            "the listed password is in {path}"
        );
    }
    assert!(!holds_secret(log.0.as_bytes(), BY_HAND));
    let emulator_text = std::fs::read(&emulator_log).expect("emulator log");
    for secret in [PASSWORD_1, PASSWORD_2, BY_HAND] {
        assert!(
            !holds_secret(&emulator_text, secret),
            "a password in the emulator log"
        );
    }
}

fn acl_config(fields: &[(&str, &str)]) -> String {
    let mut all = vec![
        ("instance_id", INSTANCE_HZ),
        ("username", "svc"),
        ("acl_resource_type", "Topic"),
        ("acl_resource_name", "orders-"),
        ("acl_resource_pattern_type", "PREFIXED"),
        ("acl_operation_type", "Write"),
    ];
    for (name, value) in fields {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    let body: String = all
        .iter()
        .map(|(n, v)| format!("  {n} = \"{v}\"\n"))
        .collect();
    format!("resource \"alikafka_sasl_acl\" \"a\" {{\n{body}}}\n")
}

#[test]
fn every_acl_field_change_is_a_replacement_in_the_plan() {
    let tf = terraform("1.15.5");
    let emu = Emulator::start();
    let ws = Workspace::new(&tf, &emu);
    ws.write_config(&acl_config(&[]));
    ws.apply();
    assert_eq!(emu.acls(INSTANCE_HZ).len(), 1);
    ws.assert_no_changes();
    let cases: [(&str, &[(&str, &str)]); 8] = [
        ("username", &[("username", "other")]),
        (
            "acl_resource_type",
            &[("acl_resource_type", "TransactionalId")],
        ),
        ("acl_resource_name", &[("acl_resource_name", "billing-")]),
        (
            "acl_resource_pattern_type",
            &[("acl_resource_pattern_type", "LITERAL")],
        ),
        ("acl_operation_type", &[("acl_operation_type", "Read")]),
        ("acl_operation_types", &[("acl_operation_types", "Write")]),
        ("acl_permission_type", &[("acl_permission_type", "DENY")]),
        ("host", &[("host", "10.0.0.7")]),
    ];
    for (field, change) in cases {
        ws.write_config(&acl_config(change));
        let plan = ws.plan_json();
        let rc = &plan["resource_changes"][0];
        assert_eq!(
            planned_actions(&plan, "alikafka_sasl_acl.a"),
            ["delete", "create"],
            "{field}"
        );
        let paths = rc["change"]["replace_paths"].to_string();
        assert!(paths.contains(&format!("\"{field}\"")), "{field}: {paths}");
    }
    ws.write_config(&acl_config(&[]));
    ws.destroy();
    assert!(emu.acls(INSTANCE_HZ).is_empty());
}

#[test]
fn illegal_values_are_plan_time_errors_at_their_attribute() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        let user = |extra: &str| {
            format!(
                "resource \"alikafka_sasl_user\" \"u\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  username    = \"svc\"\n{extra}}}\n"
            )
        };
        let entry = |t: &str, port: &str, ip: &str| {
            format!(
                "resource \"alikafka_instance_allowed_ip_attachment\" \"e\" {{\n  instance_id  = \"{INSTANCE_HZ}\"\n  allowed_type = \"{t}\"\n  port_range   = \"{port}\"\n  allowed_ip   = \"{ip}\"\n}}\n"
            )
        };
        let cases: Vec<(String, &str, &str)> = vec![
            (
                acl_config(&[("acl_resource_type", "Queue")]),
                "acl_resource_type",
                "must be one of \"Topic\", \"Group\", \"Cluster\", \"TransactionalId\"",
            ),
            (
                acl_config(&[("acl_resource_pattern_type", "prefixed")]),
                "acl_resource_pattern_type",
                "must be one of \"LITERAL\", \"PREFIXED\"",
            ),
            (
                acl_config(&[("acl_operation_type", "Erase")]),
                "acl_operation_type",
                "must be one of \"Write\", \"Read\"",
            ),
            (
                acl_config(&[("acl_resource_type", "Group")]),
                "acl_operation_type",
                "Write does not apply to acl_resource_type Group",
            ),
            (
                acl_config(&[("acl_permission_type", "MAYBE")]),
                "acl_permission_type",
                "must be one of \"ALLOW\", \"DENY\"",
            ),
            (
                acl_config(&[("host", "10.0.0.0/8")]),
                "host",
                "no CIDR block",
            ),
            (
                acl_config(&[("acl_resource_name", "two words")]),
                "acl_resource_name",
                "must not contain spaces",
            ),
            (
                entry("vpc", "9093/9093", "10.0.0.1"),
                "port_range",
                "port range \"9093/9093\" is not one of the vpc allowlist's",
            ),
            (
                entry("vpc", "9092/9092", "10.0.0.1/8"),
                "allowed_ip",
                "write \"10.0.0.0/8\"",
            ),
            (
                entry("intranet", "9092/9092", "10.0.0.1"),
                "allowed_type",
                "must be one of \"vpc\", \"internet\"",
            ),
            (
                user("  password = \"p\"\n  type = \"ldap\"\n"),
                "type",
                "must be one of \"plain\", \"scram\"",
            ),
            (
                user(""),
                "",
                "password_wo_version on Terraform 1.11 or later",
            ),
        ];
        for (config, attribute, expected) in cases {
            ws.write_config(&config);
            let out = ws.fails(&["validate", "-no-color"]);
            assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
            if !attribute.is_empty() {
                // Terraform quotes the configuration line of the attribute.
                let line = regex::Regex::new(&format!(r"\b{attribute}\s*=")).expect("regex");
                assert!(line.is_match(&out), "{attribute}: {out}");
            }
        }
        assert!(emu.acls(INSTANCE_HZ).is_empty());
    });
}

fn entry_config(ips: &[&str]) -> String {
    ips.iter()
        .enumerate()
        .map(|(i, ip)| {
            format!(
                "resource \"alikafka_instance_allowed_ip_attachment\" \"e{i}\" {{\n  instance_id  = \"{INSTANCE_HZ}\"\n  allowed_type = \"vpc\"\n  port_range   = \"9092/9092\"\n  allowed_ip   = \"{ip}\"\n  description  = \"apps\"\n}}\n"
            )
        })
        .collect()
}

#[test]
fn addresses_stored_together_read_back_and_delete_one_by_one() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        // One entry holding two addresses, as the console or another tool adds them.
        emu.sdk(
            "add-allowed-ips",
            &["vpc", "9092/9092", "10.1.0.1,10.1.0.2", "apps"],
            None,
        );
        assert_eq!(emu.allowed_ip_entries(INSTANCE_HZ).len(), 1);
        let ws = Workspace::new(&tf, &emu);
        ws.write_config(&entry_config(&["10.1.0.1", "10.1.0.2"]));
        // Creating them would take over what exists: refused, with the import to run.
        let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
        assert!(
            out.contains("is listed already") && out.contains("terraform import"),
            "{out}"
        );
        assert_eq!(emu.allowed_ip_entries(INSTANCE_HZ).len(), 1, "untouched");
        for (i, ip) in ["10.1.0.1", "10.1.0.2"].iter().enumerate() {
            ws.ok(&[
                "import",
                "-no-color",
                &format!("alikafka_instance_allowed_ip_attachment.e{i}"),
                &format!("{INSTANCE_HZ}:vpc:9092/9092:{ip}"),
            ]);
        }
        ws.assert_no_changes();
        let imported = ws.resource_values("alikafka_instance_allowed_ip_attachment.e1");
        assert_eq!(imported["description"], "apps");

        // Deleting one keeps the other, which still reads back cleanly.
        ws.write_config(&entry_config(&["10.1.0.2"]).replace("\"e0\"", "\"e1\""));
        let plan = ws.plan_json();
        assert_eq!(
            planned_actions(&plan, "alikafka_instance_allowed_ip_attachment.e0"),
            ["delete"]
        );
        assert_eq!(
            planned_actions(&plan, "alikafka_instance_allowed_ip_attachment.e1"),
            ["no-op"]
        );
        ws.apply();
        let left = emu.allowed_ip_entries(INSTANCE_HZ);
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0]["entry"], "10.1.0.2");
        assert_eq!(left[0]["description"], "apps");
        ws.assert_no_changes();

        // The data source sees the same, per type and port range.
        ws.write_config(&format!(
            "{}\ndata \"alikafka_allowed_ips\" \"v\" {{\n  instance_id  = \"{INSTANCE_HZ}\"\n  allowed_type = \"vpc\"\n  port_range   = \"9092/9092\"\n}}\noutput \"ips\" {{\n  value = data.alikafka_allowed_ips.v.allowed_ips\n}}\n",
            entry_config(&["10.1.0.2"]).replace("\"e0\"", "\"e1\"")
        ));
        ws.apply();
        assert_eq!(ws.outputs()["ips"], serde_json::json!(["10.1.0.2"]));
        ws.destroy();
        assert!(emu.allowed_ip_entries(INSTANCE_HZ).is_empty());
    });
}

/// A SASL user and its ACLs made by Terraform (1.15.5, write-only password) log in to the
/// emulator's Kafka listener at the SASL endpoint `alikafka_instances` reports, and are held
/// to those ACLs there: the granted topic and group work (librdkafka writes, kafka-python
/// reads), a topic without a grant and a wrong password are refused.
#[test]
fn a_user_made_by_terraform_logs_in_to_kafka_held_to_its_acls() {
    const PASSWORD: &str = "kafka-login-Secret-5501";
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("emulator.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[accounts]]
access_key_id = "{DEMO_AK}"
access_key_secret = "{DEMO_SK}"

[[instances]]
instance_id = "{INSTANCE_HZ}"
account = "{DEMO_AK}"
region_id = "{REGION_HZ}"
kafka_sasl_listen = "127.0.0.1:0"
"#
        ),
    )
    .expect("emulator config");
    let config = config.display().to_string();
    let emu = Emulator::start_with(&["--visibility-delay-ms", "0", "--config", &config]);
    let mut ws = Workspace::new(&terraform("1.15.5"), &emu);
    ws.set_env("TF_VAR_password", PASSWORD);
    let acl = |name: &str, rtype: &str, rname: &str, op: &str| {
        format!(
            r#"
resource "alikafka_sasl_acl" "{name}" {{
  instance_id               = "{INSTANCE_HZ}"
  username                  = alikafka_sasl_user.app.username
  acl_resource_type         = "{rtype}"
  acl_resource_name         = "{rname}"
  acl_resource_pattern_type = "LITERAL"
  acl_operation_type        = "{op}"
}}
"#
        )
    };
    let mut hcl = format!(
        r#"
variable "password" {{
  type      = string
  sensitive = true
}}

resource "alikafka_topic" "events" {{
  instance_id   = "{INSTANCE_HZ}"
  topic         = "app-events"
  remark        = "The app's events"
  partition_num = 2
}}

resource "alikafka_topic" "ledger" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "ledger"
  remark      = "Not the app's"
}}

resource "alikafka_consumer_group" "app" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "app-readers"
}}

resource "alikafka_sasl_user" "app" {{
  instance_id         = "{INSTANCE_HZ}"
  username            = "app"
  type                = "plain"
  password_wo         = var.password
  password_wo_version = 1
}}

data "alikafka_instances" "this" {{
  ids = ["{INSTANCE_HZ}"]
}}

output "sasl" {{
  value = data.alikafka_instances.this.instances[0].sasl_end_point
}}
"#
    );
    hcl.push_str(&acl("write", "Topic", "app-events", "Write"));
    hcl.push_str(&acl("read", "Topic", "app-events", "Read"));
    hcl.push_str(&acl("group", "Group", "app-readers", "Read"));
    ws.write_config(&hcl);
    ws.apply();
    let sasl = ws.outputs()["sasl"]
        .as_str()
        .expect("a SASL endpoint")
        .to_string();
    assert!(sasl.starts_with("127.0.0.1:"), "{sasl}");
    let login = format!("PLAIN:app:{PASSWORD}");

    let sent = python_kafka(&[
        "produce",
        "confluent",
        &sasl,
        "app-events",
        "5",
        "--sasl",
        &login,
    ]);
    assert_eq!(sent["sent"], 5, "{sent}");
    let read = python_kafka(&[
        "consume",
        "kafka-python",
        &sasl,
        "app-events",
        "app-readers",
        "5",
        "--commit",
        "--sasl",
        &login,
    ]);
    assert_eq!(read["received"], 5, "{read}");

    let denied = python_kafka(&[
        "produce",
        "confluent",
        &sasl,
        "ledger",
        "1",
        "--sasl",
        &login,
        "--message-timeout-ms",
        "10000",
        "--no-idempotence",
    ]);
    assert_eq!(denied["sent"], 0, "{denied}");
    assert!(
        denied["errors"][0]
            .as_str()
            .unwrap_or("")
            .contains("Topic authorization failed"),
        "{denied}"
    );
    let refused = python_kafka(&[
        "produce",
        "confluent",
        &sasl,
        "app-events",
        "1",
        "--sasl",
        "PLAIN:app:not-the-password",
        "--message-timeout-ms",
        "4000",
    ]);
    assert_eq!(refused["sent"], 0, "{refused}");
    ws.destroy();
}
