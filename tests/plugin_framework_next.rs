//! The framework's newer protocol features against real Terraform: resource identity
//! (1.12+), write-only attributes (1.11+), list resources with `terraform query` and
//! generated configuration (1.14+), `moved` across resource types and providers (1.8+),
//! provider functions with `terraform test` and `mock_provider` (1.8+), and actions
//! (1.14+) on Terraform 1.15.5; and Terraform 1.0.3, which knows none of them, still
//! working with the same provider. The providers are defined in `fwnext_support`, served
//! in this process and attached with TF_REATTACH_PROVIDERS.

mod fwnext_support;

use fwnext_support::{cloud, remote, serve_both, Workspace};
use serde_json::Value as Json;

const NEW: &str = "1.15.5";
const OLD: &str = "1.0.3";

fn thing_config(body: &str) -> String {
    format!("resource \"fwnext_thing\" \"a\" {{\n{body}\n}}\n")
}

/// The identity of `address` in `terraform state identities -json`.
async fn identity_of(ws: &Workspace, address: &str) -> Json {
    let out = ws.ok(&["state", "identities", "-json"]).await;
    let all: Json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    all[address].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_lifecycle_import_and_upgrade_with_terraform_1_15() {
    let cloud = cloud();
    let served = serve_both(&cloud).await;
    let ws = Workspace::new(NEW, &served);
    ws.write_config(&thing_config("  name = \"alpha\"\n  zone = \"z2\""));
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    ws.apply().await;
    ws.plan(0).await;
    // Returned on create, and listed by Terraform.
    assert_eq!(
        identity_of(&ws, "fwnext_thing.a").await,
        serde_json::json!({"name": "alpha", "zone": "z2"})
    );

    // Import by identity (`id = ""` on the wire), with the optional zone left out: the
    // provider completes it, and the plan afterwards is empty.
    ws.ok(&["state", "rm", "-no-color", "fwnext_thing.a"]).await;
    ws.write_config(&format!(
        "{}\nimport {{\n  to       = fwnext_thing.a\n  identity = {{ name = \"alpha\" }}\n}}\n",
        thing_config("  name = \"alpha\"\n  zone = \"z2\"")
    ));
    let plan = ws.plan(2).await;
    assert!(plan.contains("will be imported"), "{plan}");
    assert!(
        plan.contains("1 to import, 0 to add, 0 to change"),
        "{plan}"
    );
    ws.apply().await;
    ws.write_config(&thing_config("  name = \"alpha\"\n  zone = \"z2\""));
    ws.plan(0).await;
    assert_eq!(
        identity_of(&ws, "fwnext_thing.a").await,
        serde_json::json!({"name": "alpha", "zone": "z2"})
    );

    // A state written before the resource had an identity: no diff, and the next refresh
    // records the identity.
    let state_path = ws.path().join("terraform.tfstate");
    let mut state: Json = serde_json::from_str(&ws.read_file("terraform.tfstate")).unwrap();
    let instance = &mut state["resources"][0]["instances"][0];
    let instance = instance.as_object_mut().unwrap();
    assert!(instance.remove("identity").is_some(), "{instance:?}");
    instance.remove("identity_schema_version");
    state["serial"] = Json::from(state["serial"].as_u64().unwrap() + 1);
    std::fs::write(&state_path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    assert!(identity_of(&ws, "fwnext_thing.a").await.is_null());
    ws.plan(0).await;
    let plan = ws
        .run(&["plan", "-refresh=false", "-detailed-exitcode", "-no-color"])
        .await;
    assert_eq!(plan.code, 0, "{}", plan.output);
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .await;
    assert_eq!(
        identity_of(&ws, "fwnext_thing.a").await,
        serde_json::json!({"name": "alpha", "zone": "z2"})
    );

    // An identity attribute forces replacement; the new object gets the new identity.
    ws.write_config(&thing_config("  name = \"alpha\"\n  zone = \"z3\""));
    let plan = ws.plan(2).await;
    assert!(plan.contains("must be replaced"), "{plan}");
    ws.apply().await;
    assert_eq!(
        identity_of(&ws, "fwnext_thing.a").await,
        serde_json::json!({"name": "alpha", "zone": "z3"})
    );
    ws.ok(&["destroy", "-auto-approve", "-no-color"]).await;
    assert!(cloud.lock().unwrap().things.is_empty());
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_only_values_reach_the_provider_and_no_file_with_terraform_1_15() {
    let cloud = cloud();
    let served = serve_both(&cloud).await;
    let mut ws = Workspace::new(NEW, &served);
    // The idiomatic source of a write-only value: an ephemeral variable, so the value is
    // in no file at all (a literal would be kept with the configuration in plan files).
    let config = |version: i64| {
        format!(
            "variable \"secret\" {{\n  type      = string\n  sensitive = true\n  ephemeral = true\n}}\n\n{}",
            thing_config(&format!(
                "  name = \"beta\"\n  secret_wo = var.secret\n  secret_wo_version = {version}"
            ))
        )
    };
    let first = "wo-first-5e1f0c2a";
    ws.set_env("TF_VAR_secret", first);
    ws.write_config(&config(1));
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    let planned = ws
        .ok(&["plan", "-out=first.tfplan", "-input=false", "-no-color"])
        .await;
    assert!(!planned.contains(first), "{planned}");
    let shown = ws.ok(&["show", "-json", "first.tfplan"]).await;
    assert!(!shown.contains(first), "{shown}");
    assert!(shown.contains(r#""secret_wo":null"#), "{shown}");
    let applied = ws
        .ok(&["apply", "-auto-approve", "-no-color", "first.tfplan"])
        .await;
    assert!(!applied.contains(first), "{applied}");
    assert_eq!(
        cloud.lock().unwrap().secrets,
        [("beta".to_owned(), first.to_owned())]
    );
    ws.plan(0).await;
    let state = ws.ok(&["show", "-json"]).await;
    assert!(!state.contains(first), "{state}");
    assert!(state.contains(r#""secret_wo":null"#), "{state}");
    assert_eq!(ws.files_containing(first), Vec::<std::path::PathBuf>::new());

    // A new value with the same version sends nothing; a new version sends it.
    let second = "wo-second-9b7d33e4";
    ws.set_env("TF_VAR_secret", second);
    ws.plan(0).await;
    ws.write_config(&config(2));
    let plan = ws.plan(2).await;
    assert!(plan.contains("updated in-place"), "{plan}");
    assert!(!plan.contains(second), "{plan}");
    let applied = ws.apply().await;
    assert!(!applied.contains(second), "{applied}");
    assert_eq!(
        cloud.lock().unwrap().secrets.last(),
        Some(&("beta".to_owned(), second.to_owned()))
    );
    assert_eq!(cloud.lock().unwrap().secrets.len(), 2);
    ws.plan(0).await;
    assert_eq!(
        ws.files_containing(second),
        Vec::<std::path::PathBuf>::new()
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_lists_and_generates_importable_config_with_terraform_1_15() {
    let cloud = cloud();
    {
        let mut cloud = cloud.lock().unwrap();
        for (name, size, note) in [
            ("q-one", 1, None),
            ("q-two", 7, Some("second")),
            ("q-three", 1, None),
            ("q-four", 30, None),
            ("q-five", 1, Some("fifth")),
            ("other", 1, None),
        ] {
            cloud
                .things
                .insert(name.to_owned(), remote(name, "z1", size, note));
        }
    }
    let served = serve_both(&cloud).await;
    let ws = Workspace::new(NEW, &served);
    ws.write_config("provider \"fwnext\" {}\n");
    ws.write_file(
        "things.tfquery.hcl",
        r#"
list "fwnext_thing" "some" {
  provider = fwnext
  limit    = 2
  config {
    name_prefix = "q-"
  }
}
"#,
    );
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    let out = ws.ok(&["query", "-no-color"]).await;
    let listed: Vec<&str> = out.lines().filter(|l| l.contains("thing q-")).collect();
    assert_eq!(listed.len(), 2, "the limit: {out}");
    // The listing stopped at the limit instead of producing every object.
    assert!(cloud.lock().unwrap().listed <= 3, "{out}");

    ws.write_file(
        "things.tfquery.hcl",
        r#"
list "fwnext_thing" "all" {
  provider = fwnext
  config {
    name_prefix = "q-"
  }
}
"#,
    );
    let out = ws.ok(&["query", "-json", "-no-color"]).await;
    assert!(out.contains("thing q-five"), "{out}");
    assert!(out.contains(r#""name":"q-two""#), "{out}");

    ws.ok(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .await;
    // Terraform aligns the `=` of each block; one space each makes lines comparable.
    let generated: String = ws
        .read_file("generated.tf")
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        generated.matches("resource \"fwnext_thing\"").count(),
        5,
        "{generated}"
    );
    assert_eq!(generated.matches("import {").count(), 5, "{generated}");
    assert!(generated.contains("name = \"q-two\""), "{generated}");
    assert!(generated.contains("size = 7"), "{generated}");
    assert!(generated.contains("note = \"second\""), "{generated}");
    // Minimal: no computed-only attributes (id, arn), no defaults spelled out (zone "z1",
    // size 1). Terraform itself writes `= null` for optional attributes that are null.
    let resource_lines: Vec<&str> = generated
        .split("resource \"fwnext_thing\"")
        .skip(1)
        .flat_map(|block| {
            block
                .split("\n}")
                .next()
                .unwrap_or_default()
                .lines()
                .skip(1)
        })
        .filter(|l| !l.is_empty())
        .collect();
    for line in &resource_lines {
        let key = line.split(" = ").next().unwrap_or_default().trim();
        assert!(
            [
                "provider",
                "name",
                "size",
                "note",
                "secret_wo",
                "secret_wo_version"
            ]
            .contains(&key),
            "{line:?} in {generated}"
        );
        assert_ne!(*line, "size = 1", "{generated}");
    }
    assert_eq!(
        resource_lines
            .iter()
            .filter(|l| l.starts_with("size"))
            .count(),
        2,
        "{generated}"
    );
    let applied = ws.apply().await;
    assert!(
        applied.contains("5 imported, 0 added, 0 changed"),
        "{applied}"
    );
    ws.plan(0).await;
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_across_resource_types_and_providers_with_terraform_1_15() {
    let cloud = cloud();
    let served = serve_both(&cloud).await;
    let ws = Workspace::new(NEW, &served);
    ws.write_config(
        "resource \"fwold_widget\" \"w\" {\n  title  = \"moved-one\"\n  weight = 4\n}\n\
         resource \"fwold_gadget\" \"g\" {\n  title = \"gadget-one\"\n}\n",
    );
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    ws.apply().await;

    // Only the move, no change; no API call was possible (fwnext is unconfigured then).
    ws.write_config(
        "resource \"fwnext_thing\" \"w\" {\n  name = \"moved-one\"\n  size = 4\n}\n\
         moved {\n  from = fwold_widget.w\n  to   = fwnext_thing.w\n}\n\
         resource \"fwold_gadget\" \"g\" {\n  title = \"gadget-one\"\n}\n",
    );
    let plan = ws.run(&["plan", "-input=false", "-no-color"]).await;
    assert_eq!(plan.code, 0, "{}", plan.output);
    assert!(
        plan.output
            .contains("fwold_widget.w has moved to fwnext_thing.w"),
        "{}",
        plan.output
    );
    assert!(
        plan.output.contains("0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.output
    );
    ws.apply().await;
    ws.plan(0).await;
    assert_eq!(
        identity_of(&ws, "fwnext_thing.w").await,
        serde_json::json!({"name": "moved-one", "zone": "z1"})
    );

    // A source type the target does not accept: a clear error naming it.
    ws.write_config(
        "resource \"fwnext_thing\" \"w\" {\n  name = \"moved-one\"\n  size = 4\n}\n\
         resource \"fwnext_thing\" \"g\" {\n  name = \"gadget-one\"\n}\n\
         moved {\n  from = fwold_gadget.g\n  to   = fwnext_thing.g\n}\n",
    );
    let refused = ws.fails(&["plan", "-input=false", "-no-color"]).await;
    assert!(
        refused.contains("fwnext_thing cannot take the state of fwold_gadget from provider example.com/test/fwold"),
        "{refused}"
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_work_unconfigured_and_under_mock_provider_with_terraform_1_15() {
    let cloud = cloud();
    let served = serve_both(&cloud).await;
    let ws = Workspace::new(NEW, &served);
    ws.write_config(
        r#"
output "id" {
  value = provider::fwnext::thing_id("z2", "alpha")
}

output "zone" {
  value = provider::fwnext::parse_thing_id("z9/beta").zone
}
"#,
    );
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    let applied = ws.apply().await;
    assert!(applied.contains("id = \"z2/alpha\""), "{applied}");
    assert!(applied.contains("zone = \"z9\""), "{applied}");

    ws.write_file(
        "tests/functions.tftest.hcl",
        r#"
mock_provider "fwnext" {}

run "ids_round_trip" {
  command = plan
  assert {
    condition     = output.id == "z2/alpha"
    error_message = "thing_id joins zone and name"
  }
  assert {
    condition     = provider::fwnext::parse_thing_id(output.id).name == "alpha"
    error_message = "parse_thing_id splits an ID"
  }
}
"#,
    );
    let tested = ws.ok(&["test", "-no-color"]).await;
    assert!(tested.contains("1 passed, 0 failed"), "{tested}");

    // A bad argument: the function's message, pointing at the argument.
    ws.write_config(
        r#"
output "zone" {
  value = provider::fwnext::parse_thing_id("no-slash").zone
}
"#,
    );
    let refused = ws.fails(&["plan", "-input=false", "-no-color"]).await;
    assert!(
        refused.contains(r#""no-slash" is not of the form "<zone>/<name>""#),
        "{refused}"
    );
    assert!(
        refused.contains("Invalid value for \"id\" parameter"),
        "{refused}"
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_run_by_invoke_and_by_trigger_with_terraform_1_15() {
    let cloud = cloud();
    let served = serve_both(&cloud).await;
    let ws = Workspace::new(NEW, &served);
    let config = |times: i64| {
        format!(
            r#"
action "fwnext_poke" "hello" {{
  config {{
    name  = "gamma"
    times = {times}
  }}
}}

resource "fwnext_thing" "a" {{
  name = "gamma"
  lifecycle {{
    action_trigger {{
      events  = [after_create]
      actions = [action.fwnext_poke.hello]
    }}
  }}
}}
"#
        )
    };
    ws.write_config(&config(2));
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    let applied = ws.apply().await;
    assert_eq!(cloud.lock().unwrap().pokes, ["gamma", "gamma"], "{applied}");
    assert!(applied.contains("poked gamma (2 of 2)"), "{applied}");

    let invoked = ws
        .ok(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-invoke=action.fwnext_poke.hello",
        ])
        .await;
    assert_eq!(cloud.lock().unwrap().pokes.len(), 4, "{invoked}");
    assert!(invoked.contains("poked gamma (1 of 2)"), "{invoked}");

    // The plan-time check, and the validators, before anything runs.
    ws.write_config(&config(9));
    let invalid = ws.fails(&["validate", "-no-color"]).await;
    assert!(
        invalid.contains("Attribute times must be a whole number between 1 and 5, got 9"),
        "{invalid}"
    );
    ws.write_config(&config(1).replace("name  = \"gamma\"", "name  = \"forbidden\""));
    let refused = ws
        .fails(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-invoke=action.fwnext_poke.hello",
        ])
        .await;
    assert!(refused.contains("Poking refused"), "{refused}");
    assert_eq!(cloud.lock().unwrap().pokes.len(), 4);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_schema_parts_do_not_disturb_terraform_1_0() {
    let cloud = cloud();
    let served = serve_both(&cloud).await;
    let ws = Workspace::new(OLD, &served);
    ws.write_config(&thing_config("  name = \"delta\"\n  size = 3"));
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    ws.ok(&["validate", "-no-color"]).await;
    let schema = ws.ok(&["providers", "schema", "-json"]).await;
    assert!(schema.contains("secret_wo_version"), "{schema}");
    ws.apply().await;
    ws.plan(0).await;
    ws.ok(&["state", "rm", "-no-color", "fwnext_thing.a"]).await;
    let imported = ws
        .ok(&[
            "import",
            "-input=false",
            "-no-color",
            "fwnext_thing.a",
            "delta",
        ])
        .await;
    assert!(imported.contains("Import successful"), "{imported}");
    ws.plan(0).await;
    // The state 1.0.3 writes has no identity; 1.15.5 would add it on the next refresh.
    let state = ws.read_file("terraform.tfstate");
    assert!(!state.contains("\"identity\""), "{state}");

    // A write-only attribute is refused before it could land in 1.0.3's plan or state.
    ws.write_config(&thing_config(
        "  name = \"delta\"\n  size = 3\n  secret_wo = \"never-stored-1a2b\"",
    ));
    let refused = ws.fails(&["plan", "-input=false", "-no-color"]).await;
    assert!(
        refused.contains("Write-only attribute needs Terraform 1.11 or later"),
        "{refused}"
    );
    assert!(
        refused.contains("Attribute secret_wo is write-only"),
        "{refused}"
    );
    assert!(ws.files_containing("never-stored-1a2b").len() == 1);

    ws.write_config(&thing_config("  name = \"delta\"\n  size = 3"));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]).await;
    assert!(cloud.lock().unwrap().things.is_empty());
    served.stop().await;
}
