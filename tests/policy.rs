//! The policy example (`examples/policy`) as a CI job runs it: `terraform plan` against the
//! emulator, whose control API sets the numbers the rules judge (messages produced, offsets
//! committed). `check` blocks and preconditions need Terraform 1.5, so the example runs on
//! 1.15.5; on 1.0.3 its rule expressions are evaluated as plain outputs, and the data
//! sources it uses are tested on both versions by `tests/data_source_*.rs`.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// What another team's configuration manages on the instance: the objects the policy audits.
fn managed(orders_partitions: u32, scratch_remark: &str) -> String {
    format!(
        r#"
resource "alikafka_topic" "orders" {{
  instance_id   = "{INSTANCE_HZ}"
  topic         = "orders"
  remark        = "Orders placed by the web shop"
  partition_num = {orders_partitions}
}}

resource "alikafka_topic" "payments" {{
  instance_id   = "{INSTANCE_HZ}"
  topic         = "payments"
  remark        = "Payment events"
  partition_num = 6
}}

resource "alikafka_topic" "scratch" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "scratch"
  remark      = "{scratch_remark}"
}}

resource "alikafka_consumer_group" "billing" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "billing-service"
}}
"#
    )
}

/// A workspace holding `examples/policy` as it is, pointed at the emulator.
fn policy_workspace(tf: &Terraform, emulator: &Emulator) -> Workspace {
    let mut ws = Workspace::new(tf, emulator);
    ws.set_env("TF_VAR_endpoint", &emulator.url);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policy");
    for name in ["main.tf", "variables.tf"] {
        let content = std::fs::read_to_string(dir.join(name)).expect("read the policy example");
        ws.write_file(name, &content);
    }
    ws
}

/// `terraform plan` of the policy with `-var` settings, saved so that its checks can be read.
fn plan(ws: &Workspace, vars: &[&str]) -> Run {
    let mut args = vec!["plan", "-no-color", "-input=false", "-out=policy.tfplan"];
    for var in vars {
        args.extend(["-var", var]);
    }
    ws.run(&args)
}

/// The status (`pass`, `fail`, `error`, `unknown`) the saved plan records for a checkable
/// object, e.g. `check.consumer_lag`.
fn check_status(ws: &Workspace, address: &str) -> String {
    let shown = ws.ok(&["show", "-json", "policy.tfplan"]);
    let plan: Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    plan["checks"]
        .as_array()
        .and_then(|checks| {
            checks
                .iter()
                .find(|c| c["address"]["to_display"] == address)
        })
        .and_then(|c| c["status"].as_str().map(String::from))
        .unwrap_or_else(|| panic!("no {address} in {}", plan["checks"]))
}

const LAG_FAILED: &str = "Check block assertion failed";

#[test]
fn the_lag_check_passes_below_the_threshold_and_fails_with_its_message_above_it() {
    let tf = terraform("1.15.5");
    let emu = Emulator::start();
    seed(&tf, &emu, &managed(12, "Scratch space"));
    let ws = policy_workspace(&tf, &emu);
    let limit = "max_lag=100";

    // 150 produced on orders/0 and 5 on payments/0; billing-service read 60 and 5: lag 90.
    emu.append_messages(INSTANCE_HZ, "orders", 0, 150);
    emu.append_messages(INSTANCE_HZ, "payments", 0, 5);
    emu.commit_offset(INSTANCE_HZ, "billing-service", "orders", 0, 60);
    emu.commit_offset(INSTANCE_HZ, "billing-service", "payments", 0, 5);
    let below = plan(&ws, &[limit]);
    assert_eq!(below.code, 0, "{}", below.combined());
    assert!(!below.flat().contains(LAG_FAILED), "{}", below.combined());
    assert_eq!(check_status(&ws, "check.consumer_lag"), "pass");

    // 10 more on payments, none consumed: lag 100, no longer below the limit. A check is a
    // warning: the plan still succeeds, with the example's message.
    emu.append_messages(INSTANCE_HZ, "payments", 0, 10);
    let above = plan(&ws, &[limit]);
    assert_eq!(above.code, 0, "a failed check warns:\n{}", above.combined());
    let flat = above.flat();
    assert!(flat.contains(&format!("Warning: {LAG_FAILED}")), "{flat}");
    assert!(
        flat.contains("Consumer group billing-service is 100 messages behind (limit 100)."),
        "{flat}"
    );
    assert_eq!(check_status(&ws, "check.consumer_lag"), "fail");

    // The group catches up on orders: lag 10, the check passes again.
    emu.commit_offset(INSTANCE_HZ, "billing-service", "orders", 0, 150);
    let caught_up = plan(&ws, &[limit]);
    assert_eq!(caught_up.code, 0, "{}", caught_up.combined());
    assert!(
        !caught_up.flat().contains(LAG_FAILED),
        "{}",
        caught_up.combined()
    );
    assert_eq!(check_status(&ws, "check.consumer_lag"), "pass");

    // With the example's default limit (1000) the same lag above 100 passes.
    emu.append_messages(INSTANCE_HZ, "orders", 1, 500);
    emu.commit_offset(INSTANCE_HZ, "billing-service", "orders", 1, 0);
    let defaults = plan(&ws, &[]);
    assert_eq!(defaults.code, 0, "{}", defaults.combined());
    assert!(
        !defaults.flat().contains(LAG_FAILED),
        "{}",
        defaults.combined()
    );
    let tight = plan(&ws, &[limit]);
    assert!(
        tight
            .flat()
            .contains("Consumer group billing-service is 510 messages behind (limit 100)."),
        "{}",
        tight.combined()
    );
}

#[test]
fn a_lag_check_on_a_missing_group_warns_without_failing_the_plan() {
    let tf = terraform("1.15.5");
    let emu = Emulator::start();
    seed(&tf, &emu, &managed(12, "Scratch space"));
    let ws = policy_workspace(&tf, &emu);
    let run = plan(&ws, &["consumer_id=no-such-group"]);
    assert_eq!(run.code, 0, "{}", run.combined());
    let flat = run.flat();
    assert!(flat.contains("Warning:"), "{flat}");
    assert!(
        flat.contains("Cannot read the progress of consumer group no-such-group"),
        "{flat}"
    );
    assert!(flat.contains("BIZ_SUBSCRIPTION_NOT_FOUND"), "{flat}");
    assert_ne!(check_status(&ws, "check.consumer_lag"), "pass");
}

#[test]
fn a_topic_with_a_blank_remark_fails_the_plan_naming_it() {
    let tf = terraform("1.15.5");
    let emu = Emulator::start();
    let team = seed(&tf, &emu, &managed(12, " "));
    let ws = policy_workspace(&tf, &emu);

    let failed = ws.fails(&["plan", "-no-color", "-input=false"]);
    assert!(failed.contains("precondition failed"), "{failed}");
    assert!(
        failed.contains("Every topic needs a non-empty remark; these have none: scratch."),
        "{failed}"
    );

    // The owning team documents the topic (an in-place remark update): the rule holds.
    team.write_config(&managed(12, "Scratch space"));
    team.apply();
    let passing = plan(&ws, &[]);
    assert_eq!(passing.code, 0, "{}", passing.combined());
    assert_eq!(check_status(&ws, "output.topic_remarks"), "pass");
}

#[test]
fn required_topics_need_their_minimum_partition_count() {
    let tf = terraform("1.15.5");
    let emu = Emulator::start();
    let team = seed(&tf, &emu, &managed(12, "Scratch space"));
    let ws = policy_workspace(&tf, &emu);
    let minimums = "min_partitions={ orders = 24, payments = 6 }";

    let exact = plan(&ws, &["min_partitions={ orders = 12, payments = 6 }"]);
    assert_eq!(exact.code, 0, "{}", exact.combined());
    assert_eq!(check_status(&ws, "output.topic_partitions"), "pass");

    let short = ws.fails(&["plan", "-no-color", "-input=false", "-var", minimums]);
    assert!(short.contains("precondition failed"), "{short}");
    assert!(
        short.contains("Topics below their minimum partition count: orders has 12, needs 24."),
        "{short}"
    );

    let missing = ws.fails(&[
        "plan",
        "-no-color",
        "-input=false",
        "-var",
        "min_partitions={ inventory = 1, orders = 13 }",
    ]);
    assert!(
        missing.contains("inventory has 0, needs 1; orders has 12, needs 13."),
        "{missing}"
    );

    // The team grows the topic in place: the rule holds.
    team.write_config(&managed(24, "Scratch space"));
    team.apply();
    let grown = plan(&ws, &[minimums]);
    assert_eq!(grown.code, 0, "{}", grown.combined());
    assert_eq!(check_status(&ws, "output.topic_partitions"), "pass");
}

/// The `locals` block of `examples/policy/main.tf`: the rules' expressions, which need
/// nothing newer than Terraform 1.0.
fn policy_locals() -> String {
    let main = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policy/main.tf"),
    )
    .expect("read the policy example");
    let start = main.find("\nlocals {\n").expect("a locals block");
    let end = main[start..]
        .find("\n}\n")
        .expect("the end of the locals block")
        + start;
    main[start..end + 3].to_string()
}

/// Terraform 1.0 has neither `check` blocks nor preconditions, but the data sources and the
/// example's rule expressions work there: as outputs, a job can judge them itself.
#[test]
fn on_terraform_1_0_the_rules_evaluate_as_outputs() {
    let tf = terraform("1.0.3");
    let emu = Emulator::start();
    seed(&tf, &emu, &managed(12, " "));
    emu.append_messages(INSTANCE_HZ, "orders", 3, 40);
    emu.commit_offset(INSTANCE_HZ, "billing-service", "orders", 3, 15);

    let mut ws = Workspace::new(&tf, &emu);
    ws.set_env("TF_VAR_min_partitions", "{ orders = 24, inventory = 1 }");
    let variables = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policy/variables.tf"),
    )
    .expect("read the policy variables");
    ws.write_file("variables.tf", &variables);
    ws.write_config(&format!(
        r#"
data "alikafka_topics" "all" {{
  instance_id = var.instance_id
}}

data "alikafka_consumer_progress" "watched" {{
  instance_id = var.instance_id
  consumer_id = var.consumer_id
}}
{}
output "topics_without_remark" {{ value = local.topics_without_remark }}
output "partition_shortfalls" {{ value = local.partition_shortfalls }}
output "lag" {{ value = data.alikafka_consumer_progress.watched.total_diff }}
"#,
        policy_locals()
    ));
    ws.apply();
    let out = ws.outputs();
    assert_eq!(out["topics_without_remark"], serde_json::json!(["scratch"]));
    assert_eq!(
        out["partition_shortfalls"],
        serde_json::json!(["inventory has 0, needs 1", "orders has 12, needs 24"])
    );
    assert_eq!(out["lag"], 25);
}

/// The guide's flow with real clients on a topic `terraform apply` made, with the bootstrap
/// servers from `alikafka_instances`: a producer sends 100 with the guide's settings (acks
/// all, retries, idempotent), the group polls and commits 60, and the policy's lag check
/// (reading GetConsumerProgress through `alikafka_consumer_progress`) warns that it is 40
/// behind; once the group has read the rest, the check passes.
#[test]
fn real_consumers_move_the_lag_the_policy_checks() {
    let tf = terraform("1.15.5");
    let emu = Emulator::start();
    let team = seed(
        &tf,
        &emu,
        &format!(
            "{}\ndata \"alikafka_instances\" \"mine\" {{\n  ids = [\"{INSTANCE_HZ}\"]\n}}\n\noutput \"bootstrap_servers\" {{\n  value = data.alikafka_instances.mine.instances[0].end_point\n}}\n",
            managed(12, "Scratch space")
        ),
    );
    let bootstrap = team.outputs()["bootstrap_servers"]
        .as_str()
        .expect("end_point")
        .to_string();
    assert_eq!(bootstrap, emu.kafka_bootstrap(INSTANCE_HZ));

    let sent = python_kafka(&["produce", "kafka-python", &bootstrap, "orders", "100"]);
    assert_eq!(sent["sent"], 100, "{sent}");
    let read = python_kafka(&[
        "consume",
        "kafka-python",
        &bootstrap,
        "orders",
        "billing-service",
        "60",
        "--commit",
    ]);
    assert_eq!(read["received"], 60, "{read}");

    let ws = policy_workspace(&tf, &emu);
    let behind = plan(&ws, &["max_lag=40"]);
    assert_eq!(
        behind.code,
        0,
        "a failed check warns:\n{}",
        behind.combined()
    );
    assert!(
        behind
            .flat()
            .contains("Consumer group billing-service is 40 messages behind (limit 40)."),
        "{}",
        behind.combined()
    );
    assert_eq!(check_status(&ws, "check.consumer_lag"), "fail");

    let rest = python_kafka(&[
        "consume",
        "confluent",
        &bootstrap,
        "orders",
        "billing-service",
        "40",
        "--commit",
    ]);
    assert_eq!(rest["received"], 40, "{rest}");
    let caught_up = plan(&ws, &["max_lag=40"]);
    assert_eq!(caught_up.code, 0, "{}", caught_up.combined());
    assert!(
        !caught_up.flat().contains(LAG_FAILED),
        "{}",
        caught_up.combined()
    );
    assert_eq!(check_status(&ws, "check.consumer_lag"), "pass");
}
