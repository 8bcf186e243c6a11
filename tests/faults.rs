//! Fault injection with real Terraform: a fleet of 20 topics and 5 consumer groups is
//! created, refreshed, updated and destroyed while the emulator fails in every way it can
//! (`POST /_emulator/faults`, real flow control, a restart), and while Terraform or the
//! provider is interrupted. After every run, Terraform's state and the emulator's true
//! state must agree exactly; a run that failed must have said which action failed, with
//! which code and RequestId, and the next run must converge.
//!
//! Each case prints one `fault-outcome:` line per phase (run with `--nocapture` to see them).

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use regex::Regex;
use serde_json::{json, Value};

const TOPICS: usize = 20;
const GROUPS: usize = 5;

/// Emulator flags when its own limits are not the point.
const FAST_EMULATOR: &[&str] = &[
    "--visibility-delay-ms",
    "0",
    "--qps",
    "1000",
    "--create-topic-qps",
    "1000",
];

/// Actions the provider calls; a diagnostic must name one of them.
const ACTIONS: &str = "GetInstanceList|CreateTopic|GetTopicList|DeleteTopic|ModifyTopicRemark|\
                       ModifyPartitionNum|UpdateTopicConfig|TagResources|UntagResources|\
                       CreateConsumerGroup|GetConsumerList|DeleteConsumerGroup";
/// Client-side codes for failures that had no answer, hence no RequestId.
const NO_ANSWER_CODES: &[&str] = &["NetworkError", "RequestTimeout", "DeadlineExceeded"];

/// The provider block: low request timeout, few retries, client-side limits out of the
/// way. `overrides` replaces attributes by name.
fn provider_block(overrides: &[(&str, &str)]) -> String {
    let mut attrs = vec![
        ("request_timeout", "\"2s\""),
        ("max_retries", "4"),
        ("requests_per_second", "200"),
        ("create_topic_requests_per_second", "200"),
    ];
    for (name, value) in overrides {
        attrs.retain(|(n, _)| n != name);
        attrs.push((name, value));
    }
    let body: Vec<String> = attrs.iter().map(|(n, v)| format!("  {n} = {v}")).collect();
    format!("\nprovider \"alikafka\" {{\n{}\n}}\n", body.join("\n"))
}

/// `generation` changes every remark, a topic setting and a tag (one added, one removed),
/// and raises partitions, so an apply is an update through every write of an update.
fn fleet_resources(topics: usize, groups: usize, generation: u32) -> String {
    let partitions = 3 + generation;
    let max_message_bytes = 1_048_576 * (1 + generation);
    format!(
        r#"
resource "alikafka_topic" "t" {{
  count         = {topics}
  instance_id   = "{INSTANCE_HZ}"
  topic         = "fleet-${{count.index}}"
  remark        = "fleet topic ${{count.index}} gen {generation}"
  partition_num = {partitions}
  local_topic   = true
  config = {{
    "max.message.bytes" = {max_message_bytes}
  }}
  tags = {{
    "gen-{generation}" = "fleet"
  }}
}}

resource "alikafka_consumer_group" "g" {{
  count       = {groups}
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "fleet-group-${{count.index}}"
  remark      = "fleet group ${{count.index}}"
  tags = {{
    "gen-{generation}" = "fleet"
  }}
}}
"#
    )
}

/// What one Terraform run did, as seen from outside.
#[derive(Debug)]
enum Outcome {
    Succeeded,
    /// Failed; the (action, code) pairs its diagnostics named.
    Failed(Vec<(String, String)>),
}

/// One object of Terraform's state file.
#[derive(Debug, Clone)]
struct StateObject {
    name: String,
    remark: Option<String>,
    partition_num: Option<i64>,
    config: Value,
    tags_all: Value,
    tainted: bool,
}

/// The fleet's topics and groups in `terraform.tfstate`, read from the file itself.
fn state_objects(ws: &Workspace, resource_type: &str, name_attr: &str) -> Vec<StateObject> {
    let path = ws.path().join("terraform.tfstate");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let state: Value = serde_json::from_str(&text).expect("state file is JSON");
    let mut out = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        if resource["mode"] != "managed" || resource["type"] != resource_type {
            continue;
        }
        for instance in resource["instances"].as_array().into_iter().flatten() {
            let attrs = &instance["attributes"];
            assert_eq!(
                attrs["instance_id"], INSTANCE_HZ,
                "unexpected instance in state: {instance}"
            );
            out.push(StateObject {
                name: attrs[name_attr]
                    .as_str()
                    .unwrap_or_else(|| panic!("no {name_attr} in {instance}"))
                    .to_string(),
                remark: attrs["remark"].as_str().map(String::from),
                partition_num: attrs["partition_num"].as_i64(),
                config: attrs["config"].clone(),
                tags_all: attrs["tags_all"].clone(),
                tainted: instance["status"] == "tainted",
            });
        }
    }
    out
}

/// Live objects of one instance in the emulator's `GET /_emulator/state`, by name.
fn live_by_name(
    state: &Value,
    instance_id: &str,
    list: &str,
    name: &str,
) -> BTreeMap<String, Value> {
    state["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["instance_id"] == instance_id)
        .flat_map(|i| i[list].as_array().cloned().unwrap_or_default())
        .filter(|o| o["deleted"] != true)
        .map(|o| (o[name].as_str().unwrap_or_default().to_string(), o))
        .collect()
}

/// Asserts that Terraform's state and the emulator's true state hold exactly the same
/// topics and groups (none missing, none extra, none twice), with the same remark and
/// partition count wherever the state is not tainted. Returns the number of topics and
/// groups.
fn assert_states_agree(ws: &Workspace, emu: &Emulator, context: &str) -> (usize, usize) {
    assert_agrees_with(ws, &emu.control_get("state"), context)
}

fn assert_agrees_with(ws: &Workspace, emulator_state: &Value, context: &str) -> (usize, usize) {
    let topics = state_objects(ws, "alikafka_topic", "topic");
    let groups = state_objects(ws, "alikafka_consumer_group", "consumer_id");
    let emu_topics = live_by_name(emulator_state, INSTANCE_HZ, "topics", "topic");
    let emu_groups = live_by_name(emulator_state, INSTANCE_HZ, "groups", "consumer_id");
    assert!(
        live_by_name(emulator_state, INSTANCE_SH, "topics", "topic").is_empty()
            && live_by_name(emulator_state, INSTANCE_SH, "groups", "consumer_id").is_empty(),
        "{context}: objects on the other instance"
    );
    for (kind, in_state, remote) in [
        ("topic", &topics, &emu_topics),
        ("group", &groups, &emu_groups),
    ] {
        let mut names: Vec<&str> = in_state.iter().map(|o| o.name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(
            before,
            names.len(),
            "{context}: a {kind} is in the state twice: {in_state:?}"
        );
        let remote_names: Vec<&str> = remote.keys().map(String::as_str).collect();
        assert_eq!(
            names, remote_names,
            "{context}: Terraform's {kind}s (left) and the emulator's (right) differ"
        );
        for object in in_state.iter().filter(|o| !o.tainted) {
            let remote = &remote[&object.name];
            assert_eq!(
                object.remark.as_deref(),
                remote["remark"].as_str(),
                "{context}: remark of {kind} {}",
                object.name
            );
            assert_eq!(
                object.tags_all, remote["tags"],
                "{context}: tags of {kind} {}",
                object.name
            );
            if kind == "topic" {
                assert_eq!(
                    object.partition_num,
                    remote["partition_num"].as_i64(),
                    "{context}: partitions of topic {}",
                    object.name
                );
                assert_eq!(
                    object.config, remote["config"],
                    "{context}: settings of topic {}",
                    object.name
                );
            }
        }
    }
    (topics.len(), groups.len())
}

/// Checks a failed run's diagnostics: every error names an action and a code, and a
/// RequestId whenever the service answered. Returns the (action, code) pairs.
fn explained_failures(run: &Run, context: &str) -> Vec<(String, String)> {
    let flat = run.flat();
    let errors = diagnostics(&run.combined(), "Error: ");
    let named =
        Regex::new(&format!(r"\b({ACTIONS}) failed: ([A-Za-z0-9_.]+)")).expect("action regex");
    let request_id = Regex::new(r"RequestId: [0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}")
        .expect("request id regex");
    let mut pairs = Vec::new();
    assert!(
        !errors.is_empty(),
        "{context}: failed without an error:\n{flat}"
    );
    for error in &errors {
        let Some(caps) = named.captures(error) else {
            panic!("{context}: an error names no action and code: {error}\n---\n{flat}");
        };
        let (action, code) = (caps[1].to_string(), caps[2].to_string());
        if !NO_ANSWER_CODES.contains(&code.as_str()) {
            assert!(
                request_id.is_match(error),
                "{context}: {action} {code} without a RequestId: {error}"
            );
        }
        pairs.push((action, code));
    }
    pairs
}

/// Terraform's diagnostics of one severity (`"Error: "` or `"Warning: "`), each flattened
/// to one line: a diagnostic starts on a line of its own and ends where the next starts.
fn diagnostics(output: &str, severity: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in output.lines() {
        let text = line.trim_start_matches(['│', '╷', '╵', ' ']).trim();
        let starts = ["Error: ", "Warning: "]
            .into_iter()
            .find(|s| text.starts_with(s));
        if let Some(start) = starts {
            if let Some(done) = current.take() {
                found.push(done.join(" "));
            }
            if start == severity {
                current = Some(vec![text.to_string()]);
            }
        } else if let Some(lines) = current.as_mut() {
            if !text.is_empty() {
                lines.push(text.to_string());
            }
        }
    }
    if let Some(done) = current {
        found.push(done.join(" "));
    }
    found
}

/// A workspace on a fresh emulator with the fleet's provider block.
struct Fleet {
    emu: Emulator,
    ws: Workspace,
    provider_overrides: Vec<(&'static str, &'static str)>,
}

impl Fleet {
    fn new(tf: &Terraform, emulator_flags: &[&str]) -> Fleet {
        let emu = Emulator::start_with(emulator_flags);
        let ws = Workspace::new(tf, &emu);
        Fleet {
            emu,
            ws,
            provider_overrides: Vec::new(),
        }
    }

    fn configure(&self, topics: usize, groups: usize, generation: u32) {
        self.ws.write_config(&format!(
            "{}{}",
            provider_block(&self.provider_overrides),
            fleet_resources(topics, groups, generation)
        ));
    }

    fn inject(&self, faults: &[Value]) {
        for fault in faults {
            self.emu.control_post("faults", fault.clone());
        }
    }

    fn clear_faults(&self) {
        self.emu.control_delete("faults");
    }

    /// Runs one phase under `faults`; returns what happened.
    fn phase(&self, args: &[&str], faults: &[Value], context: &str) -> Outcome {
        self.inject(faults);
        let run = self.ws.run(args);
        self.clear_faults();
        if run.code == 0 {
            Outcome::Succeeded
        } else {
            Outcome::Failed(explained_failures(&run, context))
        }
    }
}

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
const REFRESH: &[&str] = &[
    "apply",
    "-refresh-only",
    "-auto-approve",
    "-no-color",
    "-input=false",
];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-no-color", "-input=false"];

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Succeeded => "succeeded".to_string(),
        Outcome::Failed(pairs) => {
            let mut named: Vec<String> = pairs.iter().map(|(a, c)| format!("{a}/{c}")).collect();
            named.sort();
            named.dedup();
            format!("failed naming {}", named.join(", "))
        }
    }
}

/// Faults of one phase, made fresh each time (counts are consumed).
type Faults = fn() -> Vec<Value>;

/// Create, refresh, update and destroy the fleet, each under `faults`; after each, the two
/// states agree; a failed phase is followed by a clean run that must converge. Returns the
/// outcomes, which the caller may check further (e.g. that a storm did fail).
fn fleet_lifecycle(tf: &Terraform, mode: &str, faults: Faults) -> Vec<(String, Outcome)> {
    fleet_lifecycle_with(tf, mode, FAST_EMULATOR, &[], faults, |_| {})
}

fn fleet_lifecycle_with(
    tf: &Terraform,
    mode: &str,
    emulator_flags: &[&str],
    provider_overrides: &[(&'static str, &'static str)],
    faults: Faults,
    before_each_phase: impl Fn(&Fleet),
) -> Vec<(String, Outcome)> {
    let mut fleet = Fleet::new(tf, emulator_flags);
    fleet.provider_overrides = provider_overrides.to_vec();
    let mut outcomes = Vec::new();
    let phases: [(&str, &[&str], u32); 4] = [
        ("create", APPLY, 0),
        ("refresh", REFRESH, 0),
        ("update", APPLY, 1),
        ("destroy", DESTROY, 1),
    ];
    for (phase, args, generation) in phases {
        let context = format!("{mode}/{phase} (Terraform {})", tf.version);
        fleet.configure(TOPICS, GROUPS, generation);
        before_each_phase(&fleet);
        let started = Instant::now();
        let outcome = fleet.phase(args, &faults(), &context);
        let took = started.elapsed();
        // Whatever happened, nothing is lost, extra or doubled.
        fleet
            .emu
            .control_put("settings", json!({"qps": 1000, "create_topic_qps": 1000}));
        assert_states_agree(&fleet.ws, &fleet.emu, &context);
        if matches!(outcome, Outcome::Failed(_)) {
            fleet.ws.ok(args);
            assert_states_agree(&fleet.ws, &fleet.emu, &format!("{context}, follow-up"));
        }
        let (topics, groups) = assert_states_agree(&fleet.ws, &fleet.emu, &context);
        if phase == "destroy" {
            assert_eq!((topics, groups), (0, 0), "{context}: destroyed");
        } else {
            assert_eq!((topics, groups), (TOPICS, GROUPS), "{context}: all there");
            fleet.ws.assert_no_changes();
        }
        println!(
            "fault-outcome: terraform={} mode={mode} phase={phase} {} in {:.1}s{}",
            tf.version,
            describe(&outcome),
            took.as_secs_f64(),
            if matches!(outcome, Outcome::Failed(_)) {
                "; the follow-up run converged"
            } else {
                ""
            }
        );
        outcomes.push((phase.to_string(), outcome));
    }
    outcomes
}

fn error_fault(code: &str, status: u16, message: &str) -> Value {
    json!({"action": "*", "mode": "error", "code": code, "http_status": status, "message": message})
}

fn with(mut fault: Value, extra: Value) -> Value {
    if let (Some(f), Some(e)) = (fault.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            f.insert(k.clone(), v.clone());
        }
    }
    fault
}

fn burst_503() -> Vec<Value> {
    vec![with(
        error_fault(
            "ServiceUnavailable",
            503,
            "The request has failed due to a temporary failure of the server.",
        ),
        json!({"count": 6}),
    )]
}

fn burst_500() -> Vec<Value> {
    vec![with(
        error_fault(
            "InternalError",
            500,
            "An internal error occurred; please try again later.",
        ),
        json!({"count": 6}),
    )]
}

fn throttling_storm() -> Vec<Value> {
    vec![with(
        error_fault(
            "Throttling.User",
            400,
            "Request was denied due to user flow control.",
        ),
        json!({"probability": 0.5}),
    )]
}

fn ons_flow_control_storm() -> Vec<Value> {
    // Business-level flow control arrives as HTTP 200 with an error code.
    vec![with(
        error_fault(
            "ONS_SYSTEM_FLOW_CONTROL",
            200,
            "The system is busy, please try again later.",
        ),
        json!({"probability": 0.5}),
    )]
}

fn latency_beyond_timeout() -> Vec<Value> {
    // The provider's request_timeout is 2 s; the action still runs after the wait.
    vec![json!({"action": "*", "mode": "latency", "latency_ms": 2600, "count": 6})]
}

fn dropped_connections() -> Vec<Value> {
    vec![json!({"action": "*", "mode": "drop", "count": 12})]
}

fn truncated_bodies() -> Vec<Value> {
    vec![json!({"action": "*", "mode": "truncated", "count": 12})]
}

fn malformed_bodies() -> Vec<Value> {
    vec![json!({"action": "*", "mode": "malformed", "count": 12})]
}

fn html_pages() -> Vec<Value> {
    vec![json!({"action": "*", "mode": "html", "count": 12})]
}

fn no_faults() -> Vec<Value> {
    Vec::new()
}

#[test]
fn bursts_of_503_are_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "burst-503", burst_503);
}

#[test]
fn bursts_of_500_are_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "burst-500", burst_500);
}

#[test]
fn throttling_storms_are_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "throttling-user", throttling_storm);
}

#[test]
fn ons_system_flow_control_is_survived() {
    fleet_lifecycle(
        &terraform("1.15.5"),
        "ons-flow-control",
        ons_flow_control_storm,
    );
}

#[test]
fn latency_beyond_the_request_timeout_is_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "latency", latency_beyond_timeout);
}

#[test]
fn dropped_connections_are_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "drop", dropped_connections);
}

#[test]
fn truncated_bodies_are_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "truncated", truncated_bodies);
}

#[test]
fn malformed_bodies_are_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "malformed", malformed_bodies);
}

#[test]
fn html_error_pages_are_survived() {
    fleet_lifecycle(&terraform("1.15.5"), "html", html_pages);
}

/// The service's real flow control (1 call per second per action) against a provider
/// whose own limits were raised: a storm of genuine Throttling.User answers.
#[test]
fn real_flow_control_storms_are_survived() {
    fleet_lifecycle_with(
        &terraform("1.15.5"),
        "real-flow-control",
        FAST_EMULATOR,
        &[],
        no_faults,
        |fleet| {
            fleet
                .emu
                .control_put("settings", json!({"qps": 2, "create_topic_qps": 1}));
        },
    );
}

/// Failures that last: every run fails, naming the action, the code and the RequestId;
/// once the fault is gone, the next run converges.
#[test]
fn lasting_failures_are_reported_with_action_code_and_request_id() {
    let tf = terraform("1.15.5");
    let fleet = Fleet::new(&tf, FAST_EMULATOR);
    /// A phase, its lasting fault, and the action and code the error must name.
    struct Lasting {
        phase: &'static str,
        args: &'static [&'static str],
        generation: u32,
        fault: Value,
        action: &'static str,
        code: &'static str,
    }
    let cases = [
        Lasting {
            phase: "create",
            args: APPLY,
            generation: 0,
            fault: json!({"action": "CreateTopic", "mode": "error", "code": "ServiceUnavailable", "http_status": 503}),
            action: "CreateTopic",
            code: "ServiceUnavailable",
        },
        Lasting {
            phase: "refresh",
            args: REFRESH,
            generation: 0,
            fault: json!({"action": "GetTopicList", "mode": "html"}),
            action: "GetTopicList",
            code: "MalformedResponse",
        },
        Lasting {
            phase: "update",
            args: APPLY,
            generation: 1,
            fault: json!({"action": "ModifyTopicRemark", "mode": "error", "code": "Throttling.User", "http_status": 400, "message": "Request was denied due to user flow control."}),
            action: "ModifyTopicRemark",
            code: "Throttling.User",
        },
        Lasting {
            phase: "destroy",
            args: DESTROY,
            generation: 1,
            fault: json!({"action": "DeleteConsumerGroup", "mode": "drop"}),
            action: "DeleteConsumerGroup",
            code: "NetworkError",
        },
    ];
    for Lasting {
        phase,
        args,
        generation,
        fault,
        action,
        code,
    } in cases
    {
        let context = format!("lasting/{phase}");
        fleet.configure(TOPICS, GROUPS, generation);
        let outcome = fleet.phase(args, &[fault], &context);
        let Outcome::Failed(pairs) = &outcome else {
            panic!("{context}: succeeded despite a lasting fault");
        };
        assert!(
            pairs.iter().any(|(a, c)| a == action && c == code),
            "{context}: expected {action}/{code} among {pairs:?}"
        );
        assert_states_agree(&fleet.ws, &fleet.emu, &context);
        fleet.ws.ok(args);
        let (topics, groups) = assert_states_agree(&fleet.ws, &fleet.emu, &context);
        let expected = if phase == "destroy" {
            (0, 0)
        } else {
            (TOPICS, GROUPS)
        };
        assert_eq!((topics, groups), expected, "{context}");
        println!(
            "fault-outcome: terraform={} mode=lasting-{action}-{code} phase={phase} {}; the \
             follow-up run converged",
            tf.version,
            describe(&outcome)
        );
    }
}

/// "Succeeded, but the answer was lost" on CreateTopic, CreateConsumerGroup, DeleteTopic,
/// ModifyPartitionNum, UpdateTopicConfig and the tag actions: the next attempt (or the next
/// apply) converges, without a duplicate and without an import.
#[test]
fn lost_answers_of_writes_converge_without_duplicates_or_import() {
    for tf in terraforms() {
        fleet_lifecycle(&tf, "lose-response", || {
            [
                "CreateTopic",
                "CreateConsumerGroup",
                "DeleteTopic",
                "ModifyPartitionNum",
                "UpdateTopicConfig",
                "TagResources",
                "UntagResources",
            ]
            .into_iter()
            .map(|action| json!({"action": action, "mode": "lose_response", "count": 3}))
            .collect()
        });
    }
}

/// Lost answers with no retries left: the provider itself must look before it fails.
#[test]
fn lost_answers_without_retries_are_adopted_by_looking() {
    let tf = terraform("1.15.5");
    let outcomes = fleet_lifecycle_with(
        &tf,
        "lose-response-no-retries",
        FAST_EMULATOR,
        &[("max_retries", "0")],
        || {
            ["CreateTopic", "CreateConsumerGroup", "DeleteTopic"]
                .into_iter()
                .map(|action| json!({"action": action, "mode": "lose_response", "count": 2}))
                .collect()
        },
        |_| {},
    );
    for (phase, outcome) in &outcomes {
        if phase == "create" || phase == "destroy" {
            assert!(
                matches!(outcome, Outcome::Succeeded),
                "{phase}: a lost answer must be resolved by looking: {outcome:?}"
            );
        }
    }
}

/// The representative subset on Terraform 1.0.3.
#[test]
fn representative_faults_on_terraform_1_0_3() {
    let tf = terraform("1.0.3");
    fleet_lifecycle(&tf, "burst-503", burst_503);
    fleet_lifecycle(&tf, "drop", dropped_connections);
    fleet_lifecycle(&tf, "truncated", truncated_bodies);
}

// ---------------------------------------------------------------------------------------
// Interruptions: SIGINT to Terraform, SIGKILL to the provider, the emulator restarted.

/// A configuration of `topics` topics (no groups), at the service's real CreateTopic pace.
fn slow_fleet(tf: &Terraform, topics: usize, flags: &[&str]) -> Fleet {
    let mut all = vec!["--visibility-delay-ms", "0", "--qps", "1000"];
    all.extend_from_slice(flags);
    let fleet = Fleet::new(tf, &all);
    fleet.ws.write_config(&format!(
        r#"
provider "alikafka" {{
  request_timeout = "2s"
}}
{}"#,
        fleet_resources(topics, 0, 0)
    ));
    fleet
}

/// Ctrl-C in the middle of an apply of 50 topics at one CreateTopic per second: Terraform
/// stops within seconds, every topic created is in the state, the next apply finishes.
#[test]
fn sigint_mid_apply_stops_promptly_and_loses_nothing_1_15_5() {
    sigint_mid_apply(&terraform("1.15.5"));
}

#[test]
fn sigint_mid_apply_stops_promptly_and_loses_nothing_1_0_3() {
    sigint_mid_apply(&terraform("1.0.3"));
}

fn sigint_mid_apply(tf: &Terraform) {
    {
        let fleet = slow_fleet(tf, 50, &["--create-topic-qps", "1"]);
        let mut child = spawn_apply(&fleet.ws, APPLY);
        wait_until(Duration::from_secs(60), "5 topics created", || {
            fleet.emu.topics(INSTANCE_HZ).len() >= 5
        });
        // Ctrl-C: SIGINT to the whole process group.
        let interrupted = Instant::now();
        signal(-i64::from(child.id()), 2);
        let code = wait_exit(&mut child, Duration::from_secs(30));
        let took = interrupted.elapsed();
        let output = run_output(&fleet.ws);
        assert!(
            code.is_some(),
            "Terraform did not exit after SIGINT:\n{output}"
        );
        assert_ne!(
            code,
            Some(0),
            "an interrupted apply reports failure:\n{output}"
        );
        assert!(
            took < Duration::from_secs(5),
            "Terraform took {took:?} to stop after SIGINT:\n{output}"
        );
        assert!(
            output.contains("Interrupt received") && output.contains("Operation cancelled"),
            "Terraform shut down gracefully and the provider stopped its operations:\n{output}"
        );
        let (created, _) = assert_states_agree(&fleet.ws, &fleet.emu, "after SIGINT");
        assert!(created < 50, "the interrupt came too late to test anything");
        println!(
            "fault-outcome: terraform={} mode=sigint phase=create exit {:?} {:.2}s after SIGINT, \
             {created} of 50 topics created and all in the state",
            tf.version,
            code,
            took.as_secs_f64()
        );
        // Finish the rest quickly.
        fleet
            .emu
            .control_put("settings", json!({"create_topic_qps": 1000}));
        fleet.ws.write_config(&format!(
            "{}{}",
            provider_block(&[]),
            fleet_resources(50, 0, 0)
        ));
        fleet.ws.apply();
        let (topics, _) = assert_states_agree(&fleet.ws, &fleet.emu, "after the second apply");
        assert_eq!(topics, 50);
        fleet.ws.assert_no_changes();
    }
}

/// The provider killed with SIGKILL in the middle of an apply: Terraform says so, and the
/// next apply converges (adopting what the dead provider created but could not report).
#[test]
fn sigkill_of_the_provider_mid_apply_is_reported_and_the_next_apply_converges_1_15_5() {
    sigkill_provider_mid_apply(&terraform("1.15.5"));
}

#[test]
fn sigkill_of_the_provider_mid_apply_is_reported_and_the_next_apply_converges_1_0_3() {
    sigkill_provider_mid_apply(&terraform("1.0.3"));
}

fn sigkill_provider_mid_apply(tf: &Terraform) {
    {
        let fleet = slow_fleet(tf, 30, &["--create-topic-qps", "2"]);
        // Slow confirmations: when the provider dies, a topic it created is (almost
        // surely) still waiting to be confirmed, so Terraform never hears of it.
        fleet.inject(&[json!({"action": "GetTopicList", "mode": "latency", "latency_ms": 1500})]);
        let mut child = spawn_apply(&fleet.ws, APPLY);
        wait_until(Duration::from_secs(60), "5 topics created", || {
            fleet.emu.topics(INSTANCE_HZ).len() >= 5
        });
        let provider = provider_pid(child.id()).expect("the provider process");
        signal(i64::from(provider), 9);
        let code = wait_exit(&mut child, Duration::from_secs(60));
        let output = flatten(&run_output(&fleet.ws));
        assert!(code.is_some_and(|c| c != 0), "exit {code:?}:\n{output}");
        assert!(
            output.contains("Plugin did not respond") || output.contains("plugin crashed"),
            "Terraform reports the provider's death:\n{output}"
        );
        fleet.clear_faults();
        let remote = fleet.emu.topics(INSTANCE_HZ).len();
        let in_state = state_objects(&fleet.ws, "alikafka_topic", "topic").len();
        assert!(
            remote > in_state,
            "the provider died with no creation unreported ({remote} topics, {in_state} in \
             the state): the case is not exercised"
        );
        fleet
            .emu
            .control_put("settings", json!({"create_topic_qps": 1000}));
        fleet.ws.write_config(&format!(
            "{}{}",
            provider_block(&[]),
            fleet_resources(30, 0, 0)
        ));
        fleet.ws.apply();
        let (topics, _) = assert_states_agree(&fleet.ws, &fleet.emu, "after the second apply");
        assert_eq!(topics, 30);
        fleet.ws.assert_no_changes();
        println!(
            "fault-outcome: terraform={} mode=sigkill-provider phase=create exit {:?}; {remote} \
             topics existed, {in_state} in the state; the next apply converged to 30",
            tf.version, code
        );
    }
}

/// The emulator killed and restarted on the same port and database mid-apply: the run
/// fails or recovers cleanly, nothing committed is lost, and the next apply converges.
#[test]
fn emulator_restart_mid_apply_fails_or_recovers_cleanly() {
    let tf = terraform("1.15.5");
    // Short enough for the retries to bridge; then down until Terraform gives up.
    emulator_restart_mid_apply(&tf, Some(Duration::from_millis(300)));
    emulator_restart_mid_apply(&tf, None);
}

/// Kills the emulator mid-apply and restarts it on the same port and database after
/// `outage`, or (`None`) only once Terraform has finished.
fn emulator_restart_mid_apply(tf: &Terraform, outage: Option<Duration>) {
    let data = tempfile::tempdir().expect("data dir");
    let db = data.path().join("state.db");
    let db = db.to_str().expect("utf-8 path");
    let flags = |listen: &str| -> Vec<String> {
        [
            "--listen",
            listen,
            "--data",
            db,
            "--visibility-delay-ms",
            "0",
            "--qps",
            "1000",
            "--create-topic-qps",
            "4",
        ]
        .map(String::from)
        .to_vec()
    };
    let first = spawn_emulator(flags("127.0.0.1:0"));
    let url = first.1.clone();
    let listen = url.trim_start_matches("http://").to_string();
    let mut emulator = first.0;
    let mut ws = Workspace::bare(tf);
    for (key, value) in [
        ("ALICLOUD_ACCESS_KEY", DEMO_AK),
        ("ALICLOUD_SECRET_KEY", DEMO_SK),
        ("ALICLOUD_REGION", REGION_HZ),
        ("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA", url.as_str()),
    ] {
        ws.set_env(key, value);
    }
    ws.write_config(&format!(
        "{}{}",
        provider_block(&[("create_topic_requests_per_second", "4")]),
        fleet_resources(TOPICS, GROUPS, 0)
    ));
    let control = ControlClient::new(&url);
    let mut child = spawn_apply(&ws, APPLY);
    wait_until(Duration::from_secs(60), "5 topics created", || {
        control.topic_count() >= 5
    });
    let before_kill = control.topic_names();
    signal(i64::from(emulator.id()), 9);
    let _ = emulator.wait();
    let code = match outage {
        Some(outage) => {
            std::thread::sleep(outage);
            emulator = spawn_emulator(flags(&listen)).0;
            wait_exit(&mut child, Duration::from_secs(120))
        }
        None => {
            let code = wait_exit(&mut child, Duration::from_secs(120));
            emulator = spawn_emulator(flags(&listen)).0;
            assert!(
                code.is_some_and(|c| c != 0),
                "the apply failed while the service was down"
            );
            code
        }
    };
    let output = run_output(&ws);
    let after = control.topic_names();
    for name in &before_kill {
        assert!(after.contains(name), "topic {name} lost by the restart");
    }
    let outcome = match code {
        Some(0) => "succeeded".to_string(),
        Some(_) => {
            let run = Run {
                code: 1,
                stdout: output.clone(),
                stderr: String::new(),
            };
            describe(&Outcome::Failed(explained_failures(&run, "restart")))
        }
        None => panic!("Terraform hung after the emulator restart:\n{output}"),
    };
    assert_agrees_with(&ws, &control.state(), "right after the restart");
    ws.apply();
    let counts = assert_agrees_with(&ws, &control.state(), "after the next apply");
    assert_eq!(counts, (TOPICS, GROUPS));
    ws.assert_no_changes();
    println!(
        "fault-outcome: terraform={} mode=emulator-restart-{} phase=create {outcome}; {} \
         topics survived the restart; the next apply converged",
        tf.version,
        outage.map_or("after-terraform-exits".to_string(), |o| format!(
            "{}ms",
            o.as_millis()
        )),
        before_kill.len()
    );
    let _ = emulator.kill();
    let _ = emulator.wait();
}

/// The control API of an emulator this test started itself.
struct ControlClient {
    url: String,
    http: reqwest::blocking::Client,
}

impl ControlClient {
    fn new(url: &str) -> ControlClient {
        ControlClient {
            url: url.to_string(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client"),
        }
    }

    /// The true state; null while the emulator is down.
    fn state(&self) -> Value {
        self.http
            .get(format!("{}/_emulator/state", self.url))
            .send()
            .and_then(|r| r.json())
            .unwrap_or(Value::Null)
    }

    /// Live topic names on the fleet's instance; empty while the emulator is down.
    fn topic_names(&self) -> Vec<String> {
        live_by_name(&self.state(), INSTANCE_HZ, "topics", "topic")
            .into_keys()
            .collect()
    }

    fn topic_count(&self) -> usize {
        self.topic_names().len()
    }
}

/// ModifyPartitionNum adds partitions: repeating it after an answer was lost would add
/// them twice. The update must reach exactly the planned count.
#[test]
fn a_lost_answer_of_modify_partition_num_does_not_add_partitions_twice() {
    let tf = terraform("1.15.5");
    let fleet = Fleet::new(&tf, FAST_EMULATOR);
    fleet.configure(3, 0, 0);
    fleet.ws.apply();
    for (generation, mode) in [(1, "lose_response"), (2, "truncated"), (3, "latency")] {
        fleet.configure(3, 0, generation);
        fleet.inject(&[json!({
            "action": "ModifyPartitionNum", "mode": mode, "count": 3, "latency_ms": 2600
        })]);
        let run = fleet.ws.run(APPLY);
        fleet.clear_faults();
        let context = format!("ModifyPartitionNum {mode}");
        let outcome = if run.code == 0 {
            Outcome::Succeeded
        } else {
            Outcome::Failed(explained_failures(&run, &context))
        };
        assert_states_agree(&fleet.ws, &fleet.emu, &context);
        for topic in fleet.emu.topics(INSTANCE_HZ) {
            assert_eq!(
                topic["partition_num"].as_i64(),
                Some(3 + i64::from(generation)),
                "{context}: {topic}"
            );
        }
        println!(
            "fault-outcome: terraform={} mode=modify-partition-num-{mode} phase=update {}",
            tf.version,
            describe(&outcome)
        );
    }
}

/// Terraform killed outright (it never says goodbye): the provider notices that its
/// parent is gone and exits instead of living on as an orphan holding Terraform's pipes.
#[test]
fn the_provider_exits_when_terraform_dies() {
    // A shell stands in for Terraform: it starts the provider, prints its pid, waits.
    let mut terraform = std::process::Command::new("sh")
        .args(["-c", "\"$0\" & echo \"$!\"; wait"])
        .arg(env!("CARGO_BIN_EXE_terraform-provider-alikafka"))
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the stand-in");
    let stdout = terraform.stdout.take().expect("stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let pid: u32 = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.trim().parse().ok())
        .expect("the provider's pid");
    let handshake = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(handshake.starts_with("1|6|"), "handshake: {handshake:?}");

    signal(i64::from(terraform.id()), 9);
    let _ = terraform.wait();
    let killed = Instant::now();
    let running = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| {
                // A zombie has exited; only its parent has not collected it yet.
                let state = stat
                    .rfind(')')
                    .and_then(|i| stat[i + 1..].split_whitespace().next());
                state != Some("Z")
            })
            .unwrap_or(false)
    };
    while running() && killed.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = killed.elapsed();
    if running() {
        signal(i64::from(pid), 9);
        panic!("the provider outlived Terraform by {took:?}");
    }
    println!(
        "fault-outcome: mode=terraform-killed the orphaned provider exited {:.2}s later",
        took.as_secs_f64()
    );
}

/// Ctrl-C and writes: a CreateTopic already on the wire is finished (its topic must not
/// exist unknown to the state), one still waiting for a rate-limit slot is dropped.
#[test]
fn a_stopped_write_is_finished_once_sent_and_dropped_before() {
    use alikafka::api::{codes, Client, ClientConfig, CreateTopicRequest, Credentials};
    use tokio_util::sync::CancellationToken;

    let emu = Emulator::start_with(FAST_EMULATOR);
    emu.control_post(
        "faults",
        json!({"action": "CreateTopic", "mode": "latency", "latency_ms": 800, "count": 1}),
    );
    let mut config = ClientConfig::new(REGION_HZ);
    config.endpoint = Some(emu.url.clone());
    // Two seconds between CreateTopic slots.
    config
        .rate_limits
        .per_action
        .insert("CreateTopic".to_string(), 0.5);
    let client = Client::new(config, Credentials::new(DEMO_AK, DEMO_SK, None)).expect("client");
    let create = |topic: &str| CreateTopicRequest {
        instance_id: INSTANCE_HZ.to_string(),
        topic: topic.to_string(),
        remark: "stopped".to_string(),
        ..Default::default()
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stop_after = |millis: u64| {
        let stop = CancellationToken::new();
        let trigger = stop.clone();
        runtime.spawn(async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            trigger.cancel();
        });
        stop
    };

    // On the wire for 800 ms, stopped after 200 ms: finished.
    let stop = stop_after(200);
    let sent = runtime.block_on(client.call_stoppable(&create("sent-before-stop"), None, &stop));
    assert!(sent.is_ok(), "{sent:?}");
    assert!(emu.topic(INSTANCE_HZ, "sent-before-stop").is_some());

    // The next slot is two seconds away; stopped after 200 ms: never sent.
    let stop = stop_after(200);
    let started = Instant::now();
    let waiting = runtime.block_on(client.call_stoppable(&create("never-sent"), None, &stop));
    let error = waiting.expect_err("stopped while waiting for a slot");
    assert_eq!(error.code, codes::CANCELLED);
    assert!(!error.outcome_uncertain, "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(emu.topic(INSTANCE_HZ, "never-sent").is_none());
}
