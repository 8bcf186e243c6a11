//! The framework against real Terraform CLIs (1.0.3 and 1.15.5): a provider defined here,
//! over an in-memory "cloud", served in-process in debug mode and attached to Terraform
//! with TF_REATTACH_PROVIDERS. Checks that plans are accepted (no "invalid plan" or
//! "inconsistent result" errors), that unchanged configs plan nothing, that updates,
//! replacement, drift, import and validation errors look as users expect.
//!
//! The CLIs come from scripts/install-tools.sh (`.tools/`, or `ALIKAFKA_TOOLS_DIR`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use alikafka::tfplugin::cty::{AttributePath, Type, Value};
use alikafka::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use alikafka::tfplugin::framework::validators::{int_between, one_of, string_length};
use alikafka::tfplugin::framework::{
    ApplyError, ConfigureRequest, Context, CreateRequest, DataSource, DeleteRequest, Plan,
    PlanRequest, ProviderData, ProviderDef, ReadRequest, Resource, Timeouts, UpdateRequest,
};
use alikafka::tfplugin::handshake::{ListenAddr, PluginEnv};
use alikafka::tfplugin::schema::{Attribute, NestedType, Schema};
use alikafka::tfplugin::server::{start, ServeOptions};
use alikafka::tfplugin::service::ProviderServer;
use async_trait::async_trait;

const SOURCE: &str = "example.com/test/fwtest";

/// The remote objects, by id.
type Cloud = Arc<Mutex<BTreeMap<String, Value>>>;

struct FwProvider {
    region: ProviderData<String>,
    cloud: Cloud,
}

struct Thing {
    region: ProviderData<String>,
    cloud: Cloud,
}

struct Echo;

fn thing_schema() -> Schema {
    Schema::new(vec![
        Attribute::string("id").computed().use_state_for_unknown(),
        Attribute::string("name")
            .required()
            .requires_replace()
            .validator(string_length(3, 12)),
        Attribute::number("size")
            .optional()
            .computed()
            .default(1)
            .validator(int_between(1, 100)),
        Attribute::string("mode")
            .optional()
            .validator(one_of(&["a", "b"])),
        Attribute::string("arn").computed(),
        Attribute::number("version")
            .computed()
            .use_state_for_unknown(),
        Attribute::new("tags", Type::map(Type::String)).optional(),
        Attribute::nested(
            "settings",
            NestedType::single(vec![
                Attribute::number("level")
                    .optional()
                    .validator(int_between(0, 5)),
                Attribute::string("label")
                    .optional()
                    .computed()
                    .default("x"),
                Attribute::string("token").computed().sensitive(),
            ]),
        )
        .optional(),
        Timeouts::attribute(),
    ])
}

/// Fills computed values the way a real API would.
fn remote_object(planned: &Value, id: &str, region: &str, version: i64) -> Value {
    let mut state = planned.clone();
    state.set_attr("id", id.into());
    let name = planned.attr("name").as_str().unwrap_or_default().to_owned();
    state.set_attr(
        "arn",
        Value::from(format!("arn:{region}:{name}:v{version}")),
    );
    state.set_attr("version", version.into());
    if let Some(settings) = state.attr_mut("settings") {
        if settings.is_present() {
            settings.set_attr("token", "tok".into());
        }
    }
    state
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "fwtest_thing"
    }

    fn schema(&self) -> Schema {
        thing_schema()
    }

    async fn modify_plan(
        &self,
        _: &Context,
        req: &PlanRequest,
        plan: &mut Plan,
    ) -> Result<(), Diagnostics> {
        if !plan.requires_replace.is_empty() {
            return Ok(()); // a new object may start small
        }
        if let (Some(before), Some(after)) = (
            req.prior_state.attr("size").as_i64(),
            plan.planned_state.attr("size").as_i64(),
        ) {
            if after < before {
                return Err(Diagnostic::error(
                    "Size can only grow",
                    format!("from {before} to {after} is a shrink"),
                )
                .at(AttributePath::attr("size"))
                .into());
            }
        }
        Ok(())
    }

    async fn create(&self, _: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let region = self.region.get()?;
        let name = req.planned_state.attr("name").as_str().unwrap_or_default();
        let id = format!("id-{name}");
        let state = remote_object(&req.planned_state, &id, &region, 1);
        self.cloud.lock().unwrap().insert(id, state.clone());
        Ok(state)
    }

    async fn read(&self, _: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        let id = req.current_state.attr("id").as_str().unwrap_or_default();
        let Some(remote) = self.cloud.lock().unwrap().get(id).cloned() else {
            return Ok(None);
        };
        // Timeouts live only in Terraform's state.
        let mut state = remote;
        state.set_attr("timeouts", req.current_state.attr("timeouts").clone());
        Ok(Some(state))
    }

    async fn update(&self, _: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        let region = self.region.get()?;
        let id = req
            .prior_state
            .attr("id")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // The version stays (the schema promises use_state_for_unknown); the arn changes.
        let version = req.prior_state.attr("version").as_i64().unwrap_or(1);
        let mut state = remote_object(&req.planned_state, &id, &region, version);
        state.set_attr(
            "arn",
            Value::from(format!(
                "{}:updated",
                state.attr("arn").as_str().unwrap_or_default()
            )),
        );
        self.cloud.lock().unwrap().insert(id, state.clone());
        Ok(state)
    }

    async fn delete(&self, _: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let id = req.prior_state.attr("id").as_str().unwrap_or_default();
        self.cloud.lock().unwrap().remove(id);
        Ok(())
    }

    async fn import(&self, _: &Context, id: &str) -> Result<Value, Diagnostics> {
        Ok(Value::object([("id", Value::from(id))]))
    }
}

#[async_trait]
impl DataSource for Echo {
    fn type_name(&self) -> &'static str {
        "fwtest_echo"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("input").required(),
            Attribute::string("output").computed(),
        ])
    }

    async fn read(&self, _: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let mut state = config.clone();
        let shout = config
            .attr("input")
            .as_str()
            .unwrap_or_default()
            .to_uppercase();
        state.set_attr("output", shout.into());
        Ok(state)
    }
}

#[async_trait]
impl ProviderDef for FwProvider {
    fn type_name(&self) -> &'static str {
        "fwtest"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![Attribute::string("region").optional()])
    }

    async fn configure(&self, _: &Context, req: &ConfigureRequest) -> Diagnostics {
        let region = req.config.attr("region").as_str().unwrap_or("north");
        self.region.set(region.to_owned());
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing {
            region: self.region.clone(),
            cloud: Arc::clone(&self.cloud),
        })]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(Echo)]
    }
}

// ---------------------------------------------------------------- running Terraform

fn terraform(version: &str) -> PathBuf {
    let tools = std::env::var_os("ALIKAFKA_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools"));
    let binary = tools.join(format!("terraform-{version}")).join("terraform");
    assert!(
        binary.exists(),
        "{} is missing: run scripts/install-tools.sh (or set ALIKAFKA_TOOLS_DIR)",
        binary.display()
    );
    binary
}

struct Workspace {
    dir: tempfile::TempDir,
    terraform: PathBuf,
    reattach: String,
}

struct Outcome {
    code: i32,
    output: String,
}

impl Workspace {
    fn write_config(&self, resource_body: &str) {
        let config = format!(
            r#"
terraform {{
  required_providers {{
    fwtest = {{ source = "{SOURCE}" }}
  }}
}}

provider "fwtest" {{
  region = "south"
}}

resource "fwtest_thing" "a" {{
{resource_body}
}}

data "fwtest_echo" "e" {{
  input = fwtest_thing.a.name
}}

output "arn" {{
  value = fwtest_thing.a.arn
}}

output "echo" {{
  value = data.fwtest_echo.e.output
}}
"#
        );
        std::fs::write(self.dir.path().join("main.tf"), config).unwrap();
    }

    async fn run(&self, args: &[&str]) -> Outcome {
        let cli_config = self.dir.path().join("cli.tfrc");
        let mut command = tokio::process::Command::new(&self.terraform);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("TF_REATTACH_PROVIDERS", &self.reattach)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG");
        let out = tokio::time::timeout(std::time::Duration::from_secs(300), command.output())
            .await
            .expect("terraform finishes")
            .expect("terraform runs");
        Outcome {
            code: out.status.code().unwrap_or(-1),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    async fn ok(&self, args: &[&str]) -> String {
        let outcome = self.run(args).await;
        assert_eq!(
            outcome.code, 0,
            "terraform {args:?} failed:\n{}",
            outcome.output
        );
        outcome.output
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes.
    async fn plan(&self, expected_code: i32) -> String {
        let outcome = self
            .run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
            .await;
        assert_eq!(outcome.code, expected_code, "plan:\n{}", outcome.output);
        outcome.output
    }
}

async fn lifecycle_with(version: &str) {
    let cloud: Cloud = Arc::default();
    let provider = FwProvider {
        region: ProviderData::new(),
        cloud: Arc::clone(&cloud),
    };
    let mut opts = ServeOptions::new(SOURCE);
    opts.debug = true;
    opts.env = PluginEnv::default();
    let stop = opts.stop.clone();
    let running = start(ProviderServer::new(provider), opts)
        .await
        .expect("serves");
    let ListenAddr::Unix(socket) = running.addr().clone() else {
        panic!("debug mode listens on a unix socket");
    };
    let reattach = serde_json::json!({
        SOURCE: {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "unix", "String": socket.display().to_string()},
        }
    })
    .to_string();
    let ws = Workspace {
        dir: tempfile::tempdir().unwrap(),
        terraform: terraform(version),
        reattach,
    };
    std::fs::write(ws.dir.path().join("cli.tfrc"), "").unwrap();

    let v1 = r#"
  name     = "alpha"
  mode     = "a"
  tags     = { env = "dev" }
  settings = { level = 2 }
  timeouts = { create = "5m" }
"#;
    ws.write_config(v1);
    ws.ok(&["init", "-input=false", "-no-color"]).await;
    let plan = ws.plan(2).await;
    assert!(plan.contains("will be created"), "{plan}");
    assert!(plan.contains("(known after apply)"), "{plan}");
    let out = ws
        .ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .await;
    assert!(out.contains("arn = \"arn:south:alpha:v1\""), "{out}");
    assert!(out.contains("echo = \"ALPHA\""), "{out}");
    {
        let remote = cloud.lock().unwrap();
        let alpha = &remote["id-alpha"];
        assert_eq!(alpha.attr("size"), &Value::from(1), "default applied");
        assert_eq!(
            alpha.at(&AttributePath::attr("settings").attribute("label")),
            &Value::from("x")
        );
    }
    ws.plan(0).await;

    // An in-place update: use_state_for_unknown keeps id and version known in the plan.
    ws.write_config(&v1.replace("mode     = \"a\"", "mode     = \"b\""));
    let plan = ws.plan(2).await;
    assert!(plan.contains("updated in-place"), "{plan}");
    assert!(
        !plan.contains("id       = (known after apply)")
            && !plan.contains("\"id-alpha\" -> (known after apply)"),
        "{plan}"
    );
    assert!(
        plan.contains("(known after apply)"),
        "the arn is unknown: {plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .await;
    ws.plan(0).await;

    // The hook's rule, with the attribute path.
    ws.write_config(&v1.replace("mode     = \"a\"", "mode     = \"b\"\n  size = 5"));
    ws.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .await;
    ws.write_config(&v1.replace("mode     = \"a\"", "mode     = \"b\"\n  size = 4"));
    let shrink = ws.run(&["plan", "-input=false", "-no-color"]).await;
    assert_eq!(shrink.code, 1, "{}", shrink.output);
    assert!(
        shrink.output.contains("Size can only grow"),
        "{}",
        shrink.output
    );

    // A requires_replace attribute.
    let v2 = v1.replace("\"alpha\"", "\"beta\"");
    ws.write_config(&v2);
    let plan = ws.plan(2).await;
    assert!(plan.contains("must be replaced"), "{plan}");
    assert!(plan.contains("# forces replacement"), "{plan}");
    ws.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .await;
    assert!(cloud.lock().unwrap().contains_key("id-beta"));
    assert!(!cloud.lock().unwrap().contains_key("id-alpha"));
    ws.plan(0).await;

    // Validators fail `terraform validate` naming the attribute.
    ws.write_config(
        &v2.replace("\"beta\"", "\"b\"")
            .replace("level = 2", "level = 9"),
    );
    let invalid = ws.run(&["validate", "-no-color"]).await;
    assert_eq!(invalid.code, 1, "{}", invalid.output);
    let out = &invalid.output;
    assert!(
        out.contains("Attribute name must be a string with length between 3 and 12 characters"),
        "{out}"
    );
    assert!(
        out.contains("Attribute settings.level must be a whole number between 0 and 5, got 9"),
        "{out}"
    );
    // The name's diagnostic points at its own line (line 14 of main.tf).
    let name_error = out
        .split("Error: ")
        .find(|e| e.contains("Attribute name"))
        .unwrap();
    assert!(name_error.contains("on main.tf line 14"), "{name_error}");

    // Drift: the object vanished outside Terraform.
    ws.write_config(&v2);
    cloud.lock().unwrap().clear();
    let plan = ws.plan(2).await;
    assert!(plan.contains("will be created"), "{plan}");

    // Import an existing object, then converge.
    ws.ok(&["state", "rm", "-no-color", "fwtest_thing.a"]).await;
    let existing = remote_object(
        &Value::object([
            ("name", Value::from("beta")),
            ("size", Value::from(1)),
            ("mode", Value::from("a")),
            (
                "tags",
                Value::Map([("env".to_owned(), Value::from("dev"))].into()),
            ),
            (
                "settings",
                Value::object([
                    ("level", Value::from(2)),
                    ("label", Value::from("x")),
                    ("token", Value::Null),
                ]),
            ),
        ]),
        "id-beta",
        "south",
        1,
    );
    cloud.lock().unwrap().insert("id-beta".into(), existing);
    let out = ws
        .ok(&[
            "import",
            "-input=false",
            "-no-color",
            "fwtest_thing.a",
            "id-beta",
        ])
        .await;
    assert!(out.contains("Import successful"), "{out}");
    // Only timeouts (kept in Terraform's state alone) differ after an import.
    let plan = ws.plan(2).await;
    assert!(plan.contains("updated in-place"), "{plan}");
    assert!(plan.contains("timeouts"), "{plan}");
    ws.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .await;
    ws.plan(0).await;

    let out = ws
        .ok(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .await;
    assert!(out.contains("Destroy complete"), "{out}");
    assert!(cloud.lock().unwrap().is_empty());

    stop.cancel();
    running.wait().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_with_terraform_1_0() {
    lifecycle_with("1.0.3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_with_terraform_1_15() {
    lifecycle_with("1.15.5").await;
}
