//! Fault injection for the access writes, with real Terraform: a fleet of SASL users, ACLs
//! and allowlist entries is created, refreshed, rotated and destroyed while the emulator
//! loses answers of every new write, fails with bursts of 503 and throttles; and the
//! provider is killed mid-apply. After every run, Terraform's state and the emulator's true
//! state agree exactly (nothing lost, nothing twice); a failed run names the action, and
//! the next run converges.
//!
//! Each case prints one `fault-outcome:` line per phase (run with `--nocapture`).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const USERS: usize = 3;
const ENTRIES: usize = 4;
/// The writes this test is about.
const WRITES: [&str; 5] = [
    "CreateSaslUser",
    "DeleteSaslUser",
    "CreateAcl",
    "DeleteAcl",
    "UpdateAllowedIp",
];
const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
const REFRESH: &[&str] = &[
    "apply",
    "-refresh-only",
    "-auto-approve",
    "-no-color",
    "-input=false",
];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-no-color", "-input=false"];

fn user_type(i: usize) -> &'static str {
    if i % 2 == 0 {
        "scram"
    } else {
        "plain"
    }
}

fn password(i: usize, generation: u32) -> String {
    format!("fleet-Pw-{i}-gen{generation}")
}

/// `generation` changes every password: an apply of a new generation rotates them all.
fn fleet(generation: u32) -> String {
    let mut hcl = String::from(
        "provider \"alikafka\" {\n  request_timeout = \"2s\"\n  max_retries = 4\n  requests_per_second = 200\n}\n",
    );
    for i in 0..USERS {
        hcl.push_str(&format!(
            r#"
resource "alikafka_sasl_user" "u{i}" {{
  instance_id = "{INSTANCE_HZ}"
  username    = "svc{i}"
  type        = "{t}"
  password    = "{pw}"
}}

resource "alikafka_sasl_acl" "w{i}" {{
  instance_id               = "{INSTANCE_HZ}"
  username                  = alikafka_sasl_user.u{i}.username
  acl_resource_type         = "Topic"
  acl_resource_name         = "svc{i}-"
  acl_resource_pattern_type = "PREFIXED"
  acl_operation_type        = "Write"
}}

resource "alikafka_sasl_acl" "r{i}" {{
  instance_id               = "{INSTANCE_HZ}"
  username                  = alikafka_sasl_user.u{i}.username
  acl_resource_type         = "Group"
  acl_resource_name         = "svc{i}-"
  acl_resource_pattern_type = "PREFIXED"
  acl_operation_type        = "Read"
}}
"#,
            t = user_type(i),
            pw = password(i, generation),
        ));
    }
    for j in 0..ENTRIES {
        hcl.push_str(&format!(
            r#"
resource "alikafka_instance_allowed_ip_attachment" "e{j}" {{
  instance_id  = "{INSTANCE_HZ}"
  allowed_type = "vpc"
  port_range   = "9092/9092"
  allowed_ip   = "10.9.0.{}"
  description  = "fleet"
}}
"#,
            j + 1
        ));
    }
    hcl
}

/// What the state holds and what the emulator holds, each as (users, ACLs, addresses).
type Objects = (Vec<String>, Vec<String>, Vec<String>);

fn in_state(ws: &Workspace) -> Objects {
    let state = ws.state_json();
    let (mut users, mut acls, mut ips) = (Vec::new(), Vec::new(), Vec::new());
    for r in state["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let v = &r["values"];
        let text = |name: &str| v[name].as_str().unwrap_or_default().to_string();
        match r["type"].as_str() {
            Some("alikafka_sasl_user") => {
                users.push(format!("{}:{}", text("username"), text("type")))
            }
            Some("alikafka_sasl_acl") => acls.push(format!(
                "{}:{}:{}:{}:{}",
                text("username"),
                text("acl_resource_type"),
                text("acl_resource_name"),
                text("acl_resource_pattern_type"),
                text("acl_operation_type")
            )),
            Some("alikafka_instance_allowed_ip_attachment") => ips.push(text("allowed_ip")),
            _ => {}
        }
    }
    (users, acls, ips)
}

fn remote(emu: &Emulator) -> Objects {
    let text = |v: &Value, name: &str| v[name].as_str().unwrap_or_default().to_string();
    let users = emu
        .sasl_users(INSTANCE_HZ)
        .iter()
        .map(|u| format!("{}:{}", text(u, "username"), text(u, "type")))
        .collect();
    let acls = emu
        .acls(INSTANCE_HZ)
        .iter()
        .map(|a| {
            format!(
                "{}:{}:{}:{}:{}",
                text(a, "username"),
                text(a, "resource_type"),
                text(a, "resource_name"),
                text(a, "pattern_type"),
                text(a, "operation_type")
            )
        })
        .collect();
    let ips = emu
        .allowed_ip_entries(INSTANCE_HZ)
        .iter()
        .flat_map(|e| {
            text(e, "entry")
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    (users, acls, ips)
}

/// Both hold the same objects, each once; returns how many of each.
fn assert_agree(ws: &Workspace, emu: &Emulator, context: &str) -> (usize, usize, usize) {
    let (state, service) = (in_state(ws), remote(emu));
    let sets = |o: &Objects| -> [BTreeSet<String>; 3] {
        [
            o.0.iter().cloned().collect(),
            o.1.iter().cloned().collect(),
            o.2.iter().cloned().collect(),
        ]
    };
    let (s, r) = (sets(&state), sets(&service));
    assert_eq!(s, r, "{context}: the state and the service differ");
    for (what, list, set) in [
        ("users", &service.0, &r[0]),
        ("ACLs", &service.1, &r[1]),
        ("addresses", &service.2, &r[2]),
    ] {
        assert_eq!(list.len(), set.len(), "{context}: {what} twice: {list:?}");
    }
    (r[0].len(), r[1].len(), r[2].len())
}

fn assert_passwords(emu: &Emulator, generation: u32, context: &str) {
    for i in 0..USERS {
        let answer = emu.sdk(
            "password-is",
            &[&format!("svc{i}"), user_type(i)],
            Some(&password(i, generation)),
        );
        assert_eq!(answer["matches"], true, "{context}: svc{i}: {answer}");
    }
}

/// A failed run must say which of the provider's actions failed.
fn assert_explained(run: &Run, context: &str) {
    let text = run.flat();
    let named = WRITES
        .iter()
        .chain(&["DescribeSaslUsers", "DescribeAcls", "GetAllowedIpList"])
        .any(|a| text.contains(a));
    assert!(named, "{context}: the failure names no action:\n{text}");
}

/// Create, refresh, rotate and destroy the fleet, each under `faults`.
fn lifecycle(tf: &Terraform, mode: &str, faults: fn() -> Vec<Value>) {
    let emu = Emulator::start_with(&["--visibility-delay-ms", "0", "--qps", "1000"]);
    let ws = Workspace::new(tf, &emu);
    let phases: [(&str, &[&str], u32); 4] = [
        ("create", APPLY, 0),
        ("refresh", REFRESH, 0),
        ("rotate", APPLY, 1),
        ("destroy", DESTROY, 1),
    ];
    for (phase, args, generation) in phases {
        let context = format!("{mode}/{phase} (Terraform {})", tf.version);
        ws.write_config(&fleet(generation));
        for fault in faults() {
            emu.control_post("faults", fault);
        }
        let started = Instant::now();
        let run = ws.run(args);
        let took = started.elapsed();
        emu.control_delete("faults");
        assert_agree(&ws, &emu, &context);
        let failed = run.code != 0;
        if failed {
            assert_explained(&run, &context);
            ws.ok(args);
        }
        let counts = assert_agree(&ws, &emu, &format!("{context}, at the end"));
        if phase == "destroy" {
            assert_eq!(counts, (0, 0, 0), "{context}");
        } else {
            assert_eq!(counts, (USERS, 2 * USERS, ENTRIES), "{context}");
            ws.assert_no_changes();
        }
        if phase == "rotate" {
            assert_passwords(&emu, generation, &context);
        }
        println!(
            "fault-outcome: terraform={} mode={mode} phase={phase} {} in {:.1}s",
            tf.version,
            if failed {
                "failed; the follow-up run converged"
            } else {
                "succeeded"
            },
            took.as_secs_f64()
        );
    }
}

fn lost_answers() -> Vec<Value> {
    WRITES
        .iter()
        .map(|action| json!({"action": action, "mode": "lose_response", "count": 2}))
        .collect()
}

fn burst_503() -> Vec<Value> {
    vec![
        json!({"action": "*", "mode": "error", "code": "ServiceUnavailable",
                "http_status": 503, "count": 6,
                "message": "The request has failed due to a temporary failure of the server."}),
    ]
}

fn throttling() -> Vec<Value> {
    vec![
        json!({"action": "*", "mode": "error", "code": "Throttling.User",
                "http_status": 400, "probability": 0.5,
                "message": "Request was denied due to user flow control."}),
    ]
}

#[test]
fn lost_answers_of_access_writes_converge_without_duplicates_1_15_5() {
    lifecycle(&terraform("1.15.5"), "lose_response", lost_answers);
}

#[test]
fn lost_answers_of_access_writes_converge_without_duplicates_1_0_3() {
    lifecycle(&terraform("1.0.3"), "lose_response", lost_answers);
}

#[test]
fn bursts_of_503_on_access_writes_are_survived() {
    lifecycle(&terraform("1.15.5"), "503", burst_503);
}

#[test]
fn throttling_of_access_writes_is_survived() {
    lifecycle(&terraform("1.15.5"), "throttling", throttling);
}

/// The provider killed while ACLs it created wait to be confirmed: Terraform reports it,
/// and the next apply adopts what the dead provider made (its creation journal) instead of
/// refusing it as made elsewhere.
#[test]
fn a_killed_provider_leaves_nothing_behind_that_the_next_apply_cannot_adopt() {
    let tf = terraform("1.15.5");
    let emu = Emulator::start_with(&["--visibility-delay-ms", "0", "--qps", "1000"]);
    let ws = Workspace::new(&tf, &emu);
    ws.write_config(&fleet(0));
    // Slow confirmations: when the provider dies, objects it made are still unconfirmed.
    for action in ["DescribeAcls", "GetAllowedIpList"] {
        emu.control_post(
            "faults",
            json!({"action": action, "mode": "latency", "latency_ms": 1500}),
        );
    }
    let mut child = spawn_apply(&ws, APPLY);
    wait_until(Duration::from_secs(60), "ACLs and addresses made", || {
        let (_, acls, ips) = remote(&emu);
        acls.len() >= 2 && !ips.is_empty()
    });
    let provider = provider_pid(child.id()).expect("the provider process");
    signal(i64::from(provider), 9);
    let code = wait_exit(&mut child, Duration::from_secs(60));
    let output = flatten(&run_output(&ws));
    assert!(code.is_some_and(|c| c != 0), "exit {code:?}:\n{output}");
    assert!(
        output.contains("Plugin did not respond") || output.contains("plugin crashed"),
        "Terraform reports the provider's death:\n{output}"
    );
    emu.control_delete("faults");
    let (state, service) = (in_state(&ws), remote(&emu));
    let unreported = service.1.len() + service.2.len() - state.1.len() - state.2.len();
    assert!(
        unreported > 0,
        "the provider died with nothing unreported: the case is not exercised"
    );
    ws.apply();
    let counts = assert_agree(&ws, &emu, "after the next apply");
    assert_eq!(counts, (USERS, 2 * USERS, ENTRIES));
    assert_passwords(&emu, 0, "after the next apply");
    ws.assert_no_changes();
    println!(
        "fault-outcome: terraform={} mode=sigkill-provider phase=create exit {code:?}; \
         {unreported} objects were made but not reported; the next apply adopted them",
        tf.version
    );
    ws.destroy();
    assert_eq!(assert_agree(&ws, &emu, "destroyed"), (0, 0, 0));
}
