//! Shared harness for the acceptance tests: the real emulator binary on a random port, the
//! real provider binary, and both real Terraform CLIs, driven as a user would drive them.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The embedded default account and instances of `alikafka-emulator`.
pub const DEMO_AK: &str = "emulator-demo-ak";
pub const DEMO_SK: &str = "emulator-demo-sk";
pub const INSTANCE_HZ: &str = "alikafka_post-cn-emulator01";
pub const INSTANCE_SH: &str = "alikafka_post-cn-emulator02";
pub const REGION_HZ: &str = "cn-hangzhou";
/// The provider's source address, as users write it in `required_providers`.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/alikafka/alikafka";

/// A running `alikafka-emulator` process, stopped when dropped.
pub struct Emulator {
    child: Child,
    pub url: String,
    http: reqwest::blocking::Client,
}

impl Emulator {
    /// Starts the emulator in memory on a free loopback port, with instant visibility.
    pub fn start() -> Emulator {
        Emulator::start_with(&["--visibility-delay-ms", "0"])
    }

    /// Starts the emulator with extra flags (in memory unless `--data` is given).
    pub fn start_with(extra: &[&str]) -> Emulator {
        Emulator::start_logging(extra, None)
    }

    /// [`Emulator::start_with`], its log (at `trace` level) written to `log` when given.
    pub fn start_logging(extra: &[&str], log: Option<&Path>) -> Emulator {
        let mut args: Vec<&str> = vec!["--listen", "127.0.0.1:0"];
        if !extra.contains(&"--data") {
            args.extend(["--data", ":memory:"]);
        }
        args.extend(extra);
        let (child, url) = spawn_emulator_logging(args, log);
        Emulator {
            child,
            url,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
        }
    }

    pub fn control_get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}/_emulator/{path}", self.url))
            .send()
            .expect("control GET");
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().expect("control GET json")
    }

    pub fn control_post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/_emulator/{path}", self.url))
            .json(&body)
            .send()
            .expect("control POST");
        assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
        resp.json().expect("control POST json")
    }

    pub fn control_put(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .put(format!("{}/_emulator/{path}", self.url))
            .json(&body)
            .send()
            .expect("control PUT");
        assert!(resp.status().is_success(), "PUT {path}: {}", resp.status());
        resp.json().expect("control PUT json")
    }

    pub fn control_delete(&self, path: &str) {
        let resp = self
            .http
            .delete(format!("{}/_emulator/{path}", self.url))
            .send()
            .expect("control DELETE");
        assert!(
            resp.status().is_success(),
            "DELETE {path}: {}",
            resp.status()
        );
    }

    /// The emulator's true state of one instance (including not-yet-visible objects).
    pub fn instance_state(&self, instance_id: &str) -> Value {
        let state = self.control_get("state");
        state["instances"]
            .as_array()
            .and_then(|all| all.iter().find(|i| i["instance_id"] == instance_id))
            .cloned()
            .unwrap_or_else(|| panic!("instance {instance_id} not in emulator state: {state}"))
    }

    /// Live (not deleted) topics of an instance, by name.
    pub fn topics(&self, instance_id: &str) -> Vec<Value> {
        live(&self.instance_state(instance_id)["topics"])
    }

    /// Live (not deleted) consumer groups of an instance.
    pub fn groups(&self, instance_id: &str) -> Vec<Value> {
        live(&self.instance_state(instance_id)["groups"])
    }

    pub fn topic(&self, instance_id: &str, name: &str) -> Option<Value> {
        self.topics(instance_id)
            .into_iter()
            .find(|t| t["topic"] == name)
    }

    pub fn group(&self, instance_id: &str, name: &str) -> Option<Value> {
        self.groups(instance_id)
            .into_iter()
            .find(|g| g["consumer_id"] == name)
    }

    pub fn metrics(&self) -> Value {
        self.control_get("metrics")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn live(list: &Value) -> Vec<Value> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter(|o| o["deleted"] != true)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `alikafka-emulator` with exactly `args`; returns the process and the URL from
/// its first line. For tests that need the bare process (to kill and restart it on the
/// same port, or to listen elsewhere than loopback); others use [`Emulator`].
pub fn spawn_emulator<S: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = S>,
) -> (Child, String) {
    spawn_emulator_logging(args, None)
}

/// [`spawn_emulator`], with the emulator's log (at `trace` level) written to `log`.
pub fn spawn_emulator_logging<S: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = S>,
    log: Option<&Path>,
) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alikafka-emulator"));
    command.args(args).stdout(Stdio::piped());
    match log {
        Some(path) => {
            let file = std::fs::File::create(path).expect("create the emulator log");
            command.env("RUST_LOG", "trace").stderr(file);
        }
        None => {
            command.stderr(Stdio::null());
        }
    }
    let mut child = command.spawn().expect("start alikafka-emulator");
    let stdout = child.stdout.take().expect("emulator stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read the emulator's first line");
    let url = first
        .trim()
        .strip_prefix("alikafka-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from the emulator: {first:?}"))
        .to_string();
    (child, url)
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One of the real Terraform CLIs installed by `scripts/install-tools.sh`.
#[derive(Clone, Debug)]
pub struct Terraform {
    pub version: &'static str,
    pub bin: PathBuf,
}

impl Terraform {
    /// Minor version, for features such as `import {}` blocks (1.5+) or `check` blocks.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        let mut parts = self
            .version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let (ma, mi) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (ma, mi) >= (major, minor)
    }
}

pub fn tools_dir() -> PathBuf {
    std::env::var_os("ALIKAFKA_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools"))
}

/// Both Terraform versions the project supports. A missing CLI fails the test: run
/// `scripts/install-tools.sh` (the README's test command does).
pub fn terraforms() -> Vec<Terraform> {
    ["1.0.3", "1.15.5"]
        .into_iter()
        .map(|version| {
            let bin = tools_dir().join(format!("terraform-{version}/terraform"));
            assert!(
                bin.exists(),
                "Terraform {version} is not installed at {}: run scripts/install-tools.sh",
                bin.display()
            );
            Terraform { version, bin }
        })
        .collect()
}

pub fn terraform(version: &str) -> Terraform {
    terraforms()
        .into_iter()
        .find(|t| t.version == version)
        .unwrap_or_else(|| panic!("no Terraform {version}"))
}

/// The directory holding the provider binary cargo built for these tests.
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-alikafka"))
        .parent()
        .expect("provider binary directory")
        .to_path_buf()
}

/// A Terraform working directory wired to our provider (dev_overrides) and an emulator.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub tf: Terraform,
    env: Vec<(String, String)>,
}

/// The result of one Terraform command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    /// Output with Terraform's box-drawing and line wrapping undone, for message assertions.
    pub fn flat(&self) -> String {
        flatten(&self.combined())
    }
}

/// Joins wrapped diagnostic lines and drops Terraform's `│` gutter so that a message can be
/// asserted whole, whatever the terminal width.
pub fn flatten(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']).trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Workspace {
    /// A workspace that authenticates with the emulator's demo account through the
    /// environment, exactly as a user of the official tools would.
    pub fn new(tf: &Terraform, emulator: &Emulator) -> Workspace {
        let mut ws = Workspace::bare(tf);
        ws.env.extend([
            ("ALICLOUD_ACCESS_KEY".into(), DEMO_AK.into()),
            ("ALICLOUD_SECRET_KEY".into(), DEMO_SK.into()),
            ("ALICLOUD_REGION".into(), REGION_HZ.into()),
            (
                "ALIBABA_CLOUD_ENDPOINT_ALIKAFKA".into(),
                emulator.url.clone(),
            ),
        ]);
        ws
    }

    /// A workspace with no credentials or endpoint in its environment.
    pub fn bare(tf: &Terraform) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir().display()
            ),
        )
        .expect("write CLI config");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home dir");
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.display().to_string(),
            ),
            ("HOME".into(), home.display().to_string()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TF_INPUT".into(), "0".into()),
        ];
        Workspace {
            dir,
            tf: tf.clone(),
            env,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    pub fn remove_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// Writes `main.tf` with the `required_providers` block prepended.
    pub fn write_config(&self, body: &str) {
        let config = format!(
            "terraform {{\n  required_providers {{\n    alikafka = {{\n      source = \"alikafka/alikafka\"\n    }}\n  }}\n}}\n\n{body}"
        );
        std::fs::write(self.path().join("main.tf"), config).expect("write main.tf");
    }

    pub fn write_file(&self, name: &str, content: &str) {
        std::fs::write(self.path().join(name), content).expect("write file");
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.tf.bin);
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .stdin(Stdio::null());
        for key in [
            "ALICLOUD_ACCESS_KEY",
            "ALICLOUD_SECRET_KEY",
            "ALICLOUD_SECURITY_TOKEN",
            "ALICLOUD_REGION",
            "ALICLOUD_PROFILE",
            "ALICLOUD_SHARED_CREDENTIALS_FILE",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALIBABA_CLOUD_SECURITY_TOKEN",
            "ALIBABA_CLOUD_REGION",
            "ALIBABA_CLOUD_PROFILE",
            "ALIBABA_CLOUD_ENDPOINT_ALIKAFKA",
            "ALICLOUD_ASSUME_ROLE_ARN",
            "ALICLOUD_ASSUME_ROLE_SESSION_NAME",
            "ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION",
            "ALICLOUD_ECS_ROLE_NAME",
            "ALICLOUD_CREDENTIALS_URI",
            "ALIBABA_CLOUD_ROLE_ARN",
            "ALIBABA_CLOUD_ROLE_SESSION_NAME",
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            "ALIBABA_CLOUD_OIDC_TOKEN",
            "ALIBABA_CLOUD_ECS_METADATA",
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
            "ALIBABA_CLOUD_IMDSV1_DISABLED",
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "ALIBABA_CLOUD_CREDENTIALS_FILE",
            "ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
            "ALIBABA_CLOUD_STS_ENDPOINT",
            "ALIBABA_CLOUD_STS_REGION",
            "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED",
            "ALIKAFKA_ECS_METADATA_ENDPOINT",
            "ALIKAFKA_SHARED_RATE_LIMITS",
            "ALIKAFKA_SHARED_RATE_LIMITS_DIR",
        ] {
            cmd.env_remove(key);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a Terraform command and returns what it printed.
    pub fn run(&self, args: &[&str]) -> Run {
        let out: Output = self
            .command(args)
            .output()
            .unwrap_or_else(|e| panic!("run terraform {args:?}: {e}"));
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code,
            0,
            "terraform {} ({}) failed:\n{}",
            args.join(" "),
            self.tf.version,
            run.combined()
        );
        run
    }

    /// Runs a command that must fail, and returns its flattened output.
    pub fn fails(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_ne!(
            run.code,
            0,
            "terraform {} ({}) unexpectedly succeeded:\n{}",
            args.join(" "),
            self.tf.version,
            run.combined()
        );
        run.flat()
    }

    pub fn apply(&self) -> Run {
        self.ok(&["apply", "-auto-approve", "-no-color", "-input=false"])
    }

    pub fn destroy(&self) -> Run {
        self.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"])
    }

    /// `plan -detailed-exitcode`: 0 = no changes, 2 = changes; anything else fails the test.
    pub fn plan_exit_code(&self) -> i32 {
        let run = self.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        assert!(
            run.code == 0 || run.code == 2,
            "plan failed ({}):\n{}",
            self.tf.version,
            run.combined()
        );
        run.code
    }

    /// Asserts that a plan proposes no changes.
    pub fn assert_no_changes(&self) {
        let run = self.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        assert_eq!(
            run.code,
            0,
            "expected an empty plan ({}):\n{}",
            self.tf.version,
            run.combined()
        );
    }

    /// Saves a plan and returns `terraform show -json` of it.
    pub fn plan_json(&self) -> Value {
        self.ok(&["plan", "-no-color", "-input=false", "-out=tfplan"]);
        let shown = self.ok(&["show", "-json", "tfplan"]);
        serde_json::from_str(&shown.stdout).expect("plan JSON")
    }

    /// `terraform show -json` of the current state.
    pub fn state_json(&self) -> Value {
        let shown = self.ok(&["show", "-json"]);
        serde_json::from_str(&shown.stdout).expect("state JSON")
    }

    /// The `values` of one resource in the state, by address.
    pub fn resource_values(&self, address: &str) -> Value {
        let state = self.state_json();
        find_resource(&state["values"]["root_module"], address)
            .unwrap_or_else(|| panic!("{address} not in state: {state}"))["values"]
            .clone()
    }

    /// Addresses of every managed resource in the state.
    pub fn state_addresses(&self) -> Vec<String> {
        let run = self.run(&["state", "list"]);
        if run.code != 0 {
            return Vec::new();
        }
        run.stdout
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }
}

/// Finds a resource by address in a `show -json` module value, recursing into child modules.
pub fn find_resource<'a>(module: &'a Value, address: &str) -> Option<&'a Value> {
    if let Some(found) = module["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == address))
    {
        return Some(found);
    }
    module["child_modules"]
        .as_array()?
        .iter()
        .find_map(|m| find_resource(m, address))
}

/// The planned actions (e.g. `["create"]`, `["delete","create"]`) of a resource in a plan JSON.
pub fn planned_actions(plan: &Value, address: &str) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .and_then(|rc| rc.iter().find(|c| c["address"] == address))
        .map(|c| {
            c["change"]["actions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// Runs `f` once for each Terraform version, on its own thread, and joins them: the two
/// versions share nothing but the binaries, so they run side by side.
pub fn for_each_terraform(f: impl Fn(Terraform) + Send + Sync + Clone + 'static) {
    let handles: Vec<_> = terraforms()
        .into_iter()
        .map(|tf| {
            let f = f.clone();
            let name = format!("terraform-{}", tf.version);
            std::thread::Builder::new()
                .name(name)
                .spawn(move || f(tf))
                .expect("spawn")
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        if let Err(panic) = h.join() {
            failures.push(panic);
        }
    }
    if let Some(p) = failures.into_iter().next() {
        std::panic::resume_unwind(p);
    }
}

// ---------------------------------------------------------------------------------------------
// Data sources and policy checks: seeding, messages and offsets, outputs
// ---------------------------------------------------------------------------------------------

/// Our own API client on the emulator's demo account: to change things behind
/// Terraform's back, as another team's tooling or the console would.
pub fn api_client(emu: &Emulator) -> alikafka::api::Client {
    let mut config = alikafka::api::ClientConfig::new(REGION_HZ);
    config.endpoint = Some(emu.url.clone());
    alikafka::api::Client::new(
        config,
        alikafka::api::Credentials::new(DEMO_AK, DEMO_SK, None),
    )
    .expect("api client")
}

/// Runs one client call to completion (tests are synchronous).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(future)
}

impl Emulator {
    /// Appends `count` messages to a partition through the control API; returns the
    /// partition's new log end offset.
    pub fn append_messages(
        &self,
        instance_id: &str,
        topic: &str,
        partition: i64,
        count: i64,
    ) -> i64 {
        let answer = self.control_post(
            "messages",
            serde_json::json!({
                "instance_id": instance_id, "topic": topic,
                "partition": partition, "count": count,
            }),
        );
        answer["max_offset"]
            .as_i64()
            .unwrap_or_else(|| panic!("no max_offset in {answer}"))
    }

    /// Commits a consumer group's offset on a partition through the control API.
    pub fn commit_offset(
        &self,
        instance_id: &str,
        consumer_id: &str,
        topic: &str,
        partition: i64,
        offset: i64,
    ) {
        self.control_post(
            "offsets",
            serde_json::json!({
                "instance_id": instance_id, "consumer_id": consumer_id, "topic": topic,
                "partition": partition, "offset": offset,
            }),
        );
    }

    /// Requests the emulator counted for one action since the metrics were last cleared.
    pub fn requests_of(&self, action: &str) -> i64 {
        self.metrics()["actions"][action]["requests"]
            .as_i64()
            .unwrap_or(0)
    }
}

impl Workspace {
    /// `terraform output -json`, as a map of output name to value.
    pub fn outputs(&self) -> Value {
        let run = self.ok(&["output", "-json"]);
        let all: Value = serde_json::from_str(&run.stdout).expect("output JSON");
        let map = all
            .as_object()
            .map(|outputs| {
                outputs
                    .iter()
                    .map(|(name, o)| (name.clone(), o["value"].clone()))
                    .collect()
            })
            .unwrap_or_default();
        Value::Object(map)
    }
}

/// Creates objects on the emulator as a separate Terraform configuration would (another
/// team's, say): applies `body` in a workspace of its own and returns it.
pub fn seed(tf: &Terraform, emulator: &Emulator, body: &str) -> Workspace {
    let ws = Workspace::new(tf, emulator);
    ws.write_config(body);
    ws.apply();
    ws
}

/// A client certificate shaped like go-plugin's own, the one Terraform presents in
/// AutoMTLS: a self-signed P-521 CA for localhost, for client and server auth.
pub fn go_plugin_client_cert() -> (rcgen::Certificate, rcgen::KeyPair) {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "HashiCorp");
    name.push(DnType::CommonName, "localhost");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key).expect("self-signed");
    (cert, key)
}

// ---------------------------------------------------------------------------------------------
// Kafka clients (kafka-python, confluent-kafka, kafkajs) against the emulator's listeners
// ---------------------------------------------------------------------------------------------

impl Emulator {
    /// The bootstrap address of an instance's Kafka listener (from the control API).
    pub fn kafka_bootstrap(&self, instance_id: &str) -> String {
        self.instance_state(instance_id)["kafka_bootstrap"]
            .as_str()
            .unwrap_or_else(|| panic!("no Kafka listener for {instance_id}"))
            .to_string()
    }
}

/// Runs `tests/kafka/clients.py` (kafka-python or confluent-kafka, from the tools venv) and
/// returns the JSON line it prints; the command must succeed.
pub fn python_kafka(args: &[&str]) -> Value {
    let python = tools_dir().join("venv/bin/python");
    assert!(
        python.exists(),
        "no tools venv at {}: run scripts/install-tools.sh",
        python.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/clients.py");
    last_json_line("clients.py", Command::new(python).arg(script).args(args))
}

/// Runs `tests/kafka/clients.js` (kafkajs, installed into the tools dir) and returns the
/// JSON line it prints; the command must succeed.
pub fn kafkajs(args: &[&str]) -> Value {
    let node_dir = tools_dir().join("node");
    let node = node_dir.join("bin/node");
    assert!(
        node.exists(),
        "no Node at {}: run scripts/install-tools.sh",
        node.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/clients.js");
    last_json_line(
        "clients.js",
        Command::new(node)
            .arg(script)
            .args(args)
            .env("NODE_PATH", node_dir.join("node_modules")),
    )
}

fn last_json_line(what: &str, command: &mut Command) -> Value {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| panic!("{what} printed no JSON:\n{stdout}\n{stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{what}: {e}: {line}"))
}

// ---------------------------------------------------------------------------------------------
// Access objects: SASL users, ACLs and allowlists, and the official SDK acting beside Terraform
// ---------------------------------------------------------------------------------------------

impl Emulator {
    /// Live SASL users of an instance (the control API never shows passwords).
    pub fn sasl_users(&self, instance_id: &str) -> Vec<Value> {
        live(&self.instance_state(instance_id)["sasl_users"])
    }

    /// Live ACLs of an instance.
    pub fn acls(&self, instance_id: &str) -> Vec<Value> {
        live(&self.instance_state(instance_id)["acls"])
    }

    /// Live allowlist entries of an instance, as stored (an entry may hold a comma list).
    pub fn allowed_ip_entries(&self, instance_id: &str) -> Vec<Value> {
        live(&self.instance_state(instance_id)["allowed_ips"])
    }

    /// Runs `tests/python/sasl_access.py COMMAND HOST:PORT AK SK INSTANCE ARGS...` with
    /// Alibaba's official 2019-09-16 SDK; `password` travels in the environment, never on
    /// a command line. Returns the JSON it prints.
    pub fn sdk(&self, command: &str, args: &[&str], password: Option<&str>) -> Value {
        let python = tools_dir().join("venv/bin/python");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/sasl_access.py");
        let host = self.url.trim_start_matches("http://");
        let mut cmd = Command::new(&python);
        cmd.arg(&script)
            .args([command, host, DEMO_AK, DEMO_SK, INSTANCE_HZ])
            .args(args);
        if let Some(p) = password {
            cmd.env("SASL_PASSWORD", p);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
        assert!(
            out.status.success(),
            "sasl_access.py {command} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("sasl_access.py prints JSON")
    }
}

/// Every file below `dir`, with its contents.
pub fn all_files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

/// The forms a secret takes on its way: as is, percent-encoded once (a query string) and
/// twice (a string to sign).
pub fn forms(needle: &str) -> Vec<String> {
    let once = alikafka::api::signing::percent_encode(needle);
    let twice = alikafka::api::signing::percent_encode(&once);
    vec![needle.to_string(), once, twice]
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

/// Whether `haystack` holds `secret` in any of its [`forms`].
pub fn holds_secret(haystack: &[u8], secret: &str) -> bool {
    forms(secret).iter().any(|f| contains(haystack, f))
}

// ---------------------------------------------------------------------------------------------
// Interruptions: commands in the background, signals, the provider process
// ---------------------------------------------------------------------------------------------

/// Starts a Terraform command (an apply) in the background, in a process group of its own (as in a
/// terminal, where Ctrl-C reaches Terraform and its providers), output to files.
pub fn spawn_apply(ws: &Workspace, args: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    let out = std::fs::File::create(ws.path().join("run.out")).expect("run.out");
    let err = std::fs::File::create(ws.path().join("run.err")).expect("run.err");
    ws.command(args)
        .process_group(0)
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("start terraform")
}

pub fn run_output(ws: &Workspace) -> String {
    let mut text = String::new();
    for name in ["run.out", "run.err"] {
        if let Ok(mut f) = std::fs::File::open(ws.path().join(name)) {
            let _ = f.read_to_string(&mut text);
        }
    }
    text
}

pub fn wait_until(limit: std::time::Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

pub fn wait_exit(child: &mut Child, limit: std::time::Duration) -> Option<i32> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait terraform") {
            return Some(status.code().unwrap_or(-1));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Sends `signal` to a process, or with a negative `pid` to a process group.
pub fn signal(pid: i64, signal: i32) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Descendants of `pid` (children, grandchildren…), from /proc.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: std::collections::BTreeMap<u32, Vec<u32>> = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is parenthesised and may hold spaces: the ppid follows it.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.entry(ppid).or_default().push(child);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        for c in parents.get(&p).into_iter().flatten() {
            found.push(*c);
            queue.push(*c);
        }
    }
    found
}

pub fn provider_pid(terraform_pid: u32) -> Option<u32> {
    descendants(terraform_pid).into_iter().find(|pid| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains("terraform-provider-alikafka"))
            .unwrap_or(false)
    })
}
/// Runs `terraform apply` in every workspace at once; their results, in order, and the
/// time until the last one ended.
pub fn concurrent_applies(workspaces: &[Workspace]) -> (Vec<Run>, Duration) {
    let started = std::time::Instant::now();
    let runs = std::thread::scope(|scope| {
        let running: Vec<_> = workspaces
            .iter()
            .map(|ws| {
                scope
                    .spawn(move || ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"]))
            })
            .collect();
        running
            .into_iter()
            .map(|run| run.join().expect("apply thread"))
            .collect::<Vec<Run>>()
    });
    (runs, started.elapsed())
}

/// Polls `probe` every 50 ms until it gives a value, for at most `limit`.
pub fn wait_for<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if started.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pid of a process whose `action` call, entered in the shared rate-limit state in
/// `dir`, has been waiting for its answer for at least `older_than`.
pub fn unanswered_sender(dir: &Path, action: &str, older_than: Duration) -> Option<u32> {
    let now = alikafka::api::ratelimit::host::now_ns();
    let older_than = u64::try_from(older_than.as_nanos()).unwrap_or(u64::MAX);
    std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(&format!("{action}-")) && name.ends_with(".json")) {
            return None;
        }
        let state: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.path()).ok()?).ok()?;
        state["sent"].as_array()?.iter().find_map(|sent| {
            let waiting = sent["answered_at"].is_null()
                && sent["sent_at"]
                    .as_u64()
                    .is_some_and(|at| now.saturating_sub(at) >= older_than);
            waiting
                .then(|| sent["owner"]["pid"].as_u64())
                .flatten()
                .and_then(|pid| u32::try_from(pid).ok())
        })
    })
}

/// Kills process `pid` with SIGKILL: no chance to clean up.
pub fn sigkill(pid: u32) {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("SIGKILL");
}

/// A workspace creating `count` topics `<prefix>-<i>` in the demo instance, sharing rate
/// limits through `sharing_dir` (its own limiter when `None`).
pub fn topics_workspace(
    tf: &Terraform,
    emulator: &Emulator,
    prefix: &str,
    count: usize,
    sharing_dir: Option<&Path>,
) -> Workspace {
    let mut ws = Workspace::new(tf, emulator);
    match sharing_dir {
        Some(dir) => ws.set_env(
            "ALIKAFKA_SHARED_RATE_LIMITS_DIR",
            &dir.display().to_string(),
        ),
        None => ws.set_env("ALIKAFKA_SHARED_RATE_LIMITS", "false"),
    }
    ws.write_config(&format!(
        "provider \"alikafka\" {{}}\n\n\
         resource \"alikafka_topic\" \"t\" {{\n  count         = {count}\n  \
         instance_id   = \"{INSTANCE_HZ}\"\n  topic         = \"{prefix}-${{count.index}}\"\n  \
         remark        = \"shared rate limit\"\n  partition_num = 1\n}}\n"
    ));
    ws
}

// ---------------------------------------------------------------------------------------------
// Seeding through the alikafka API: hundreds of objects in seconds, no Terraform involved
// ---------------------------------------------------------------------------------------------

impl Emulator {
    /// Sends `requests` through the alikafka API as the demo account (16 at a time), with
    /// the emulator's rate limits raised meanwhile and put back afterwards. For tests that
    /// need an instance full of objects made outside Terraform, as a team adopting one has.
    pub fn seed_through_api<A>(&self, requests: Vec<A>)
    where
        A: alikafka::api::Action + Send + Sync + 'static,
        A::Response: Send,
    {
        use futures::StreamExt;
        let normal = self.control_get("settings");
        self.control_put(
            "settings",
            serde_json::json!({"qps": 100_000, "create_topic_qps": 100_000}),
        );
        let mut config = alikafka::api::ClientConfig::new(REGION_HZ);
        config.endpoint = Some(self.url.clone());
        config.rate_limits.default_per_second = 100_000.0;
        config.rate_limits.per_action.clear();
        let credentials = alikafka::api::Credentials::new(DEMO_AK, DEMO_SK, None);
        let client = alikafka::api::Client::new(config, credentials).expect("API client");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let failures: Vec<String> = runtime.block_on(async {
            futures::stream::iter(requests)
                .map(|request| {
                    let client = client.clone();
                    async move { client.call(&request, None).await.err() }
                })
                .buffer_unordered(16)
                .filter_map(|failed| async move { failed.map(|e| e.to_string()) })
                .collect()
                .await
        });
        self.control_put(
            "settings",
            serde_json::json!({"qps": normal["qps"], "create_topic_qps": normal["create_topic_qps"]}),
        );
        assert!(failures.is_empty(), "seeding failed: {failures:?}");
    }
}
