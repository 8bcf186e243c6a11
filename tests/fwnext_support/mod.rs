//! `fwnext` and `fwold`: two small providers on the tfplugin framework, over one shared
//! in-memory "cloud", that use every newer protocol feature the framework offers: resource
//! identity, a write-only attribute, a list resource, functions, an action, moves from the
//! other provider's resource type, and generated configuration. Used by the service tests
//! (driven through the generated gRPC trait) and by the Terraform tests (served in-process,
//! attached with TF_REATTACH_PROVIDERS).

#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use alikafka::tfplugin::cty::{Type, Value};
use alikafka::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use alikafka::tfplugin::framework::validators::{int_between, string_length};
use alikafka::tfplugin::framework::{
    Action, ActionProgress, ApplyError, ConfigureRequest, Context, CreateRequest, DataSource,
    DeleteRequest, Function, FunctionError, ListItem, ListRequest, ListResource, ListSink,
    MoveStateRequest, Parameter, ProviderData, ProviderDef, ReadRequest, Resource, Signature,
    UpdateRequest,
};
use alikafka::tfplugin::handshake::{ListenAddr, PluginEnv};
use alikafka::tfplugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema};
use alikafka::tfplugin::server::{start, RunningServer, ServeOptions};
use alikafka::tfplugin::service::ProviderServer;
use async_trait::async_trait;

pub const FWNEXT: &str = "example.com/test/fwnext";
pub const FWOLD: &str = "example.com/test/fwold";

/// The remote service both providers talk to.
#[derive(Default)]
pub struct Cloud {
    /// Objects by name: `name`, `zone`, `size`, `note`, `arn`.
    pub things: BTreeMap<String, Value>,
    /// `(name, secret)` for every write-only secret create or update received.
    pub secrets: Vec<(String, String)>,
    /// Objects the list resource produced (the last listing).
    pub listed: usize,
    /// Names poked by the action, one entry per poke.
    pub pokes: Vec<String>,
}

pub type SharedCloud = Arc<Mutex<Cloud>>;

pub fn cloud() -> SharedCloud {
    Arc::default()
}

/// A remote object as the service stores it.
pub fn remote(name: &str, zone: &str, size: i64, note: Option<&str>) -> Value {
    Value::object([
        ("name", Value::from(name)),
        ("zone", Value::from(zone)),
        ("size", Value::from(size)),
        ("note", Value::from(note)),
        ("arn", Value::from(format!("arn:{zone}:{name}"))),
    ])
}

// ------------------------------------------------------------------ fwnext_thing

pub fn thing_schema() -> Schema {
    Schema::new(vec![
        Attribute::string("id").computed().use_state_for_unknown(),
        Attribute::string("name")
            .required()
            .requires_replace()
            .validator(string_length(3, 20)),
        Attribute::string("zone")
            .optional()
            .computed()
            .default("z1")
            .requires_replace(),
        Attribute::number("size")
            .optional()
            .computed()
            .default(1)
            .validator(int_between(1, 100)),
        Attribute::string("note").optional(),
        Attribute::string("arn").computed().use_state_for_unknown(),
        Attribute::string("secret_wo")
            .optional()
            .sensitive()
            .write_only(),
        Attribute::number("secret_wo_version").optional(),
    ])
}

pub struct Thing {
    pub cloud: SharedCloud,
    pub configured: ProviderData<String>,
}

impl Thing {
    /// The state of a stored object (`secret_wo_version` lives only in Terraform's state).
    fn state_of(object: &Value, version: &Value) -> Value {
        let name = object.attr("name").as_str().unwrap_or_default();
        Value::object([
            ("id", Value::from(format!("thing-{name}"))),
            ("name", object.attr("name").clone()),
            ("zone", object.attr("zone").clone()),
            ("size", object.attr("size").clone()),
            ("note", object.attr("note").clone()),
            ("arn", object.attr("arn").clone()),
            ("secret_wo", Value::Null),
            ("secret_wo_version", version.clone()),
        ])
    }

    fn store(&self, planned: &Value) -> Value {
        let name = planned.attr("name").as_str().unwrap_or_default().to_owned();
        let zone = planned.attr("zone").as_str().unwrap_or("z1").to_owned();
        let object = remote(
            &name,
            &zone,
            planned.attr("size").as_i64().unwrap_or(1),
            planned.attr("note").as_str(),
        );
        let mut cloud = self.cloud.lock().unwrap();
        if let Some(secret) = planned.attr("secret_wo").as_str() {
            cloud.secrets.push((name.clone(), secret.to_owned()));
        }
        cloud.things.insert(name, object.clone());
        // Terraform checks the secret is null again; the framework makes it so.
        let mut state = Thing::state_of(&object, planned.attr("secret_wo_version"));
        state.set_attr("secret_wo", planned.attr("secret_wo").clone());
        state
    }
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "fwnext_thing"
    }

    fn schema(&self) -> Schema {
        thing_schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new(vec![
            IdentityAttribute::string("name")
                .required_for_import()
                .description("The thing's name."),
            IdentityAttribute::string("zone")
                .optional_for_import()
                .description("Its zone; looked up when left out."),
        ]))
    }

    async fn create(&self, _: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        self.configured.get()?;
        Ok(self.store(&req.planned_state))
    }

    async fn read(&self, _: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        let name = req.current_state.attr("name").as_str().unwrap_or_default();
        let cloud = self.cloud.lock().unwrap();
        Ok(cloud
            .things
            .get(name)
            .map(|object| Thing::state_of(object, req.current_state.attr("secret_wo_version"))))
    }

    async fn update(&self, _: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        let mut planned = req.planned_state.clone();
        // The convention of write-only attributes: a new version sends the new secret.
        if req.prior_state.attr("secret_wo_version") == planned.attr("secret_wo_version") {
            planned.set_attr("secret_wo", Value::Null);
        }
        Ok(self.store(&planned))
    }

    async fn delete(&self, _: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let name = req.prior_state.attr("name").as_str().unwrap_or_default();
        self.cloud.lock().unwrap().things.remove(name);
        Ok(())
    }

    async fn import(&self, _: &Context, id: &str) -> Result<Value, Diagnostics> {
        Ok(Value::object([("name", Value::from(id))]))
    }

    async fn move_state(
        &self,
        _: &Context,
        req: &MoveStateRequest,
    ) -> Result<Option<Value>, Diagnostics> {
        if !req.is_from("test/fwold", "fwold_widget") {
            return Ok(None);
        }
        if req.source_schema_version != 0 {
            return Err(Diagnostics::error(
                "Unknown fwold_widget version",
                format!("schema version {}", req.source_schema_version),
            ));
        }
        let old = &req.source_state;
        let title = old["title"].as_str().unwrap_or_default();
        Ok(Some(Value::object([
            ("id", Value::from(format!("thing-{title}"))),
            ("name", Value::from(title)),
            ("zone", Value::from("z1")),
            ("size", Value::from(old["weight"].as_i64().unwrap_or(2))),
            ("note", Value::Null),
            ("arn", Value::from(old["arn"].as_str().unwrap_or_default())),
            ("secret_wo", Value::Null),
            ("secret_wo_version", Value::Null),
        ])))
    }
}

// ------------------------------------------------------------------ list

pub struct ThingList {
    pub cloud: SharedCloud,
    pub configured: ProviderData<String>,
}

#[async_trait]
impl ListResource for ThingList {
    fn type_name(&self) -> &'static str {
        "fwnext_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![Attribute::string("name_prefix")
            .optional()
            .validator(string_length(1, 10))])
    }

    async fn validate(&self, _: &Context, config: &Value) -> Diagnostics {
        if config.attr("name_prefix").as_str() == Some("bad") {
            return Diagnostic::error("Bad prefix", "the prefix \"bad\" is refused").into();
        }
        Diagnostics::new()
    }

    async fn list(
        &self,
        _: &Context,
        req: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics> {
        self.configured.get()?;
        let prefix = req.config.attr("name_prefix").as_str().unwrap_or("");
        let objects: Vec<Value> = {
            let mut cloud = self.cloud.lock().unwrap();
            cloud.listed = 0;
            cloud
                .things
                .values()
                .filter(|o| o.attr("name").as_str().unwrap_or("").starts_with(prefix))
                .cloned()
                .collect()
        };
        for object in objects {
            let name = object.attr("name").as_str().unwrap_or_default().to_owned();
            self.cloud.lock().unwrap().listed += 1;
            let state = Thing::state_of(&object, &Value::Null);
            if !sink
                .send(ListItem::new(format!("thing {name}"), state))
                .await
            {
                break;
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ functions

pub struct ThingId;

impl Function for ThingId {
    fn name(&self) -> &'static str {
        "thing_id"
    }

    fn signature(&self) -> Signature {
        Signature::new(Type::String)
            .parameter(Parameter::string("zone"))
            .parameter(Parameter::string("name"))
            .summary("The import ID of a thing")
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let (zone, name) = (args[0].as_str(), args[1].as_str());
        match (zone, name) {
            (Some(zone), Some(name)) if !name.is_empty() => Ok(format!("{zone}/{name}").into()),
            _ => Err(FunctionError::argument(1, "the name must not be empty")),
        }
    }
}

pub struct ParseThingId;

impl Function for ParseThingId {
    fn name(&self) -> &'static str {
        "parse_thing_id"
    }

    fn signature(&self) -> Signature {
        Signature::new(Type::object([
            ("zone", Type::String),
            ("name", Type::String),
        ]))
        .parameter(Parameter::string("id"))
        .summary("The parts of a thing's import ID")
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let id = args[0].as_str().unwrap_or_default();
        let (zone, name) = id.split_once('/').ok_or_else(|| {
            FunctionError::argument(0, format!("{id:?} is not of the form \"<zone>/<name>\""))
        })?;
        Ok(Value::object([
            ("zone", Value::from(zone)),
            ("name", Value::from(name)),
        ]))
    }
}

// ------------------------------------------------------------------ action

pub struct Poke {
    pub cloud: SharedCloud,
    pub configured: ProviderData<String>,
}

#[async_trait]
impl Action for Poke {
    fn type_name(&self) -> &'static str {
        "fwnext_poke"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("name").required(),
            Attribute::number("times")
                .optional()
                .validator(int_between(1, 5)),
        ])
    }

    async fn plan(&self, _: &Context, config: &Value) -> Diagnostics {
        if config.attr("name").as_str() == Some("forbidden") {
            return Diagnostics::error("Poking refused", "things named forbidden are not poked");
        }
        Diagnostics::new()
    }

    async fn invoke(
        &self,
        _: &Context,
        config: &Value,
        progress: &ActionProgress,
    ) -> Result<(), Diagnostics> {
        self.configured.get()?;
        let name = config.attr("name").as_str().unwrap_or_default().to_owned();
        let times = config.attr("times").as_i64().unwrap_or(1);
        if !self.cloud.lock().unwrap().things.contains_key(&name) {
            return Err(Diagnostics::error(
                "No such thing",
                format!("there is no thing named {name:?} to poke"),
            ));
        }
        for i in 1..=times {
            self.cloud.lock().unwrap().pokes.push(name.clone());
            progress
                .send(format!("poked {name} ({i} of {times})"))
                .await;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ the providers

pub struct FwNext {
    pub cloud: SharedCloud,
    pub configured: ProviderData<String>,
}

impl FwNext {
    pub fn new(cloud: SharedCloud) -> FwNext {
        FwNext {
            cloud,
            configured: ProviderData::new(),
        }
    }
}

#[async_trait]
impl ProviderDef for FwNext {
    fn type_name(&self) -> &'static str {
        "fwnext"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![])
    }

    async fn configure(&self, _: &Context, req: &ConfigureRequest) -> Diagnostics {
        self.configured.set(req.terraform_version.clone());
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing {
            cloud: Arc::clone(&self.cloud),
            configured: self.configured.clone(),
        })]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(ThingList {
            cloud: Arc::clone(&self.cloud),
            configured: self.configured.clone(),
        })]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(ThingId), Arc::new(ParseThingId)]
    }

    fn actions(&self) -> Vec<Arc<dyn Action>> {
        vec![Arc::new(Poke {
            cloud: Arc::clone(&self.cloud),
            configured: self.configured.clone(),
        })]
    }
}

/// The older provider whose widgets `moved` blocks turn into fwnext things. Its gadgets
/// have no counterpart.
pub struct FwOld {
    pub cloud: SharedCloud,
}

pub struct Widget {
    cloud: SharedCloud,
    type_name: &'static str,
}

#[async_trait]
impl Resource for Widget {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("id").computed().use_state_for_unknown(),
            Attribute::string("title").required().requires_replace(),
            Attribute::number("weight").optional().computed().default(2),
            Attribute::string("arn").computed().use_state_for_unknown(),
        ])
    }

    async fn create(&self, _: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let title = req.planned_state.attr("title").as_str().unwrap_or_default();
        let weight = req.planned_state.attr("weight").as_i64().unwrap_or(2);
        let object = remote(title, "z1", weight, None);
        self.cloud
            .lock()
            .unwrap()
            .things
            .insert(title.to_owned(), object.clone());
        Ok(Value::object([
            ("id", Value::from(format!("w-{title}"))),
            ("title", Value::from(title)),
            ("weight", Value::from(weight)),
            ("arn", object.attr("arn").clone()),
        ]))
    }

    async fn read(&self, _: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(req.current_state.clone()))
    }

    async fn update(&self, _: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        Ok(req.planned_state.clone())
    }

    async fn delete(&self, _: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let title = req.prior_state.attr("title").as_str().unwrap_or_default();
        self.cloud.lock().unwrap().things.remove(title);
        Ok(())
    }
}

#[async_trait]
impl ProviderDef for FwOld {
    fn type_name(&self) -> &'static str {
        "fwold"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![])
    }

    async fn configure(&self, _: &Context, _: &ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        ["fwold_widget", "fwold_gadget"]
            .into_iter()
            .map(|type_name| {
                Arc::new(Widget {
                    cloud: Arc::clone(&self.cloud),
                    type_name,
                }) as Arc<dyn Resource>
            })
            .collect()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

// ------------------------------------------------------------------ serving

/// Providers served in this process, for TF_REATTACH_PROVIDERS.
pub struct Served {
    running: Vec<RunningServer>,
    pub reattach: String,
}

impl Served {
    pub async fn stop(self) {
        for running in self.running {
            running.stop_token().cancel();
            running.wait().await.expect("clean stop");
        }
    }
}

async fn serve_one<P: ProviderDef>(
    provider: P,
    source: &str,
) -> (RunningServer, serde_json::Value) {
    let mut opts = ServeOptions::new(source);
    opts.debug = true;
    opts.env = PluginEnv::default();
    let running = start(ProviderServer::new(provider), opts)
        .await
        .expect("serves");
    let ListenAddr::Unix(socket) = running.addr().clone() else {
        panic!("debug mode listens on a unix socket");
    };
    let entry = serde_json::json!({
        "Protocol": "grpc",
        "ProtocolVersion": 6,
        "Pid": std::process::id(),
        "Test": true,
        "Addr": {"Network": "unix", "String": socket.display().to_string()},
    });
    (running, entry)
}

/// Serves fwnext and fwold over `cloud`.
pub async fn serve_both(cloud: &SharedCloud) -> Served {
    let (next, next_entry) = serve_one(FwNext::new(Arc::clone(cloud)), FWNEXT).await;
    let old = FwOld {
        cloud: Arc::clone(cloud),
    };
    let (old, old_entry) = serve_one(old, FWOLD).await;
    let reattach = serde_json::json!({ FWNEXT: next_entry, FWOLD: old_entry }).to_string();
    Served {
        running: vec![next, old],
        reattach,
    }
}

// ------------------------------------------------------------------ running Terraform

pub fn terraform(version: &str) -> PathBuf {
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

pub struct Workspace {
    pub dir: tempfile::TempDir,
    terraform: PathBuf,
    reattach: String,
    env: Vec<(String, String)>,
}

pub struct Outcome {
    pub code: i32,
    pub output: String,
}

impl Outcome {
    /// The output with Terraform's diagnostic gutters and line wrapping undone.
    pub fn flat(&self) -> String {
        self.output
            .lines()
            .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']).trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    fwnext = { source = "example.com/test/fwnext" }
    fwold  = { source = "example.com/test/fwold" }
  }
}
"#;

impl Workspace {
    pub fn new(version: &str, served: &Served) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cli.tfrc"), "").unwrap();
        Workspace {
            dir,
            terraform: terraform(version),
            reattach: served.reattach.clone(),
            env: Vec::new(),
        }
    }

    /// Sets an environment variable for every later command (e.g. `TF_VAR_...`).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `main.tf`: the required providers plus `body`.
    pub fn write_config(&self, body: &str) {
        self.write_file("main.tf", &format!("{REQUIRED_PROVIDERS}\n{body}"));
    }

    pub fn write_file(&self, name: &str, content: &str) {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, content).unwrap();
    }

    pub fn read_file(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name))
            .unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    pub async fn run(&self, args: &[&str]) -> Outcome {
        let mut command = tokio::process::Command::new(&self.terraform);
        command
            .args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", self.path().join("cli.tfrc"))
            .env("TF_REATTACH_PROVIDERS", &self.reattach)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
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

    pub async fn ok(&self, args: &[&str]) -> String {
        let outcome = self.run(args).await;
        assert_eq!(
            outcome.code, 0,
            "terraform {args:?} failed:\n{}",
            outcome.output
        );
        outcome.output
    }

    pub async fn fails(&self, args: &[&str]) -> String {
        let outcome = self.run(args).await;
        assert_ne!(
            outcome.code, 0,
            "terraform {args:?} unexpectedly succeeded:\n{}",
            outcome.output
        );
        outcome.flat()
    }

    pub async fn apply(&self) -> String {
        self.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .await
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes.
    pub async fn plan(&self, expected_code: i32) -> String {
        let outcome = self
            .run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
            .await;
        assert_eq!(outcome.code, expected_code, "plan:\n{}", outcome.output);
        outcome.output
    }

    /// Every file under the working directory that holds `needle` (plans, states, caches).
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        fn walk(dir: &Path, needle: &[u8], out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, needle, out);
                } else if std::fs::read(&path)
                    .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
                    .unwrap_or(false)
                {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), needle.as_bytes(), &mut out);
        out
    }
}
