//! End-to-end benchmark of the provider under real Terraform against the emulator
//! (`cargo bench --bench terraform_bench`, or `make bench`). See docs/performance.md.
//!
//! For each Terraform version, layout (all topics in one instance, or spread over three)
//! and N, it measures, several times each:
//! - API calls per `terraform plan` (the emulator's metrics): at most one GetTopicList per
//!   instance is the target;
//! - `terraform plan` wall time against floors measured in the same run, interleaved:
//!   the same Terraform and N with `terraform_data` (no provider at all; Terraform 1.4+),
//!   and with a no-op provider of the same schema (process, handshake, gRPC, no API);
//! - `apply` of N topics with CreateTopic allowed at 20/s (emulator and provider), and
//!   `destroy` with DeleteTopic at 20/s, against N/20 s; throttled answers and retries;
//! - the provider's peak RSS during each command, and its time to the handshake line;
//! - eight `apply` processes at once on one account at the real limits (processes.rs):
//!   sharing one rate-limit directory, against 80 topics at CreateTopic 1/s, and as two
//!   "machines" of four; throttled answers and retries.
//!
//! Environment (defaults in brackets): `BENCH_N` [100,1000], `BENCH_INSTANCES` [1,3],
//! `BENCH_TERRAFORM` [1.0.3,1.15.5], `BENCH_RUNS` [5] (plans and floors),
//! `BENCH_WRITE_RUNS` [3; 1 for N > 300] (apply/destroy), `BENCH_HANDSHAKES` [20],
//! `BENCH_WRITE_RATE` [20], `BENCH_VISIBILITY_MS` [1000], `BENCH_PARALLELISM` [100],
//! `BENCH_REPORT` [file to write the table to as well], `BENCH_PROCESS_RUNS` [1; 0 skips
//! the many-processes case: 8 applies at once, one machine and two],
//! `BENCH_PROCESSES_ONLY` [0; 1: only that case], `BENCH_SETTINGS` [1; 0 skips the refresh
//! of topics with settings and tags, `only` runs that case alone]. Quick check:
//! `BENCH_N=30 BENCH_RUNS=1 BENCH_INSTANCES=1 BENCH_TERRAFORM=1.15.5 cargo bench --bench terraform_bench`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "terraform_bench/floor.rs"]
mod floor;
#[path = "terraform_bench/processes.rs"]
mod processes;
#[path = "terraform_bench/procs.rs"]
mod procs;
#[path = "terraform_bench/settings.rs"]
mod settings;
#[path = "terraform_bench/stats.rs"]
mod stats;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Emulator, Terraform, Workspace, DEMO_AK, DEMO_SK, PROVIDER_SOURCE};
use serde_json::{json, Value};
use stats::Samples;

/// The emulator's instances for the benchmark, all in the provider's region.
const INSTANCES: [&str; 3] = [
    "alikafka_post-cn-bench0001",
    "alikafka_post-cn-bench0002",
    "alikafka_post-cn-bench0003",
];
const REGION: &str = "cn-hangzhou";
/// The service's default per-action limit, used for plans.
const READ_RATE: f64 = 3.0;
const PLAN_RATIO_TARGET: f64 = 1.3;
const RSS_TARGET_MIB: f64 = 30.0;
const HANDSHAKE_TARGET_MS: f64 = 50.0;
/// Retry lines the API client logs at INFO (see `src/api/client.rs`).
const RETRY_LINE: &str = "retrying alikafka request";
/// Five times the write limit: at 20 writes/s and about two seconds per write (its wait
/// included), 40 are in flight; Terraform is not the limit (checked: the same wall time
/// as with -parallelism=1000).
const DEFAULT_PARALLELISM: usize = 100;
/// The service's window is per account, but each provider process has its own limiter:
/// a command started within a second of the last one's calls could be throttled for the
/// previous process's calls. Each measured command waits this long first.
const BETWEEN_COMMANDS: Duration = Duration::from_millis(1100);

struct Settings {
    sizes: Vec<usize>,
    layouts: Vec<usize>,
    terraforms: Vec<Terraform>,
    runs: usize,
    write_runs: Option<usize>,
    handshakes: usize,
    write_rate: f64,
    visibility_ms: u64,
    parallelism: Option<usize>,
    report: Option<PathBuf>,
    /// Runs of the many-processes case (0: skip it).
    process_runs: usize,
    /// Only the many-processes case.
    processes_only: bool,
    /// The refresh of topics with settings and tags.
    settings_case: bool,
    /// Only that case (`BENCH_SETTINGS=only`).
    settings_only: bool,
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

impl Settings {
    fn from_env() -> Settings {
        let parse = |name: &str, default: &str| -> Vec<usize> {
            env_list(name, default)
                .iter()
                .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: {v:?}")))
                .collect()
        };
        let layouts = parse("BENCH_INSTANCES", "1,3");
        assert!(
            layouts.iter().all(|l| (1..=INSTANCES.len()).contains(l)),
            "BENCH_INSTANCES: 1 to {}",
            INSTANCES.len()
        );
        Settings {
            sizes: parse("BENCH_N", "100,1000"),
            layouts,
            terraforms: env_list("BENCH_TERRAFORM", "1.0.3,1.15.5")
                .iter()
                .map(|v| common::terraform(v))
                .collect(),
            runs: env_num("BENCH_RUNS").unwrap_or(5).max(1),
            write_runs: env_num("BENCH_WRITE_RUNS"),
            handshakes: env_num("BENCH_HANDSHAKES").unwrap_or(20).max(1),
            write_rate: env_num("BENCH_WRITE_RATE").unwrap_or(20.0),
            visibility_ms: env_num("BENCH_VISIBILITY_MS").unwrap_or(1000),
            parallelism: env_num("BENCH_PARALLELISM"),
            report: std::env::var_os("BENCH_REPORT").map(PathBuf::from),
            process_runs: env_num("BENCH_PROCESS_RUNS").unwrap_or(1),
            processes_only: std::env::var("BENCH_PROCESSES_ONLY").is_ok_and(|v| v == "1"),
            settings_case: std::env::var("BENCH_SETTINGS").map_or(true, |v| v != "0"),
            settings_only: std::env::var("BENCH_SETTINGS").is_ok_and(|v| v == "only"),
        }
    }

    /// Apply/destroy runs for N topics: each is bound by the write limit (N/20 s), so the
    /// large sizes run once by default to keep the whole benchmark near 15 minutes.
    fn write_runs_for(&self, n: usize) -> usize {
        self.write_runs
            .unwrap_or(if n > 300 { 1 } else { 3 })
            .max(1)
    }
}

fn main() {
    // Terraform starts this executable as the no-op floor provider.
    if floor::serve_if_launched_by_terraform() {
        return;
    }
    let settings = Settings::from_env();
    let started = Instant::now();
    let mut table = Table::default();

    let provider = provider_binary();
    let (first, handshake) = measure_handshakes(&provider, settings.handshakes);
    let mut first_start = Samples::default();
    first_start.push(first);
    table.row(
        "-",
        "-",
        "provider start → handshake line, first start (ms)",
        &first_start,
        1,
        String::new(),
        None,
    );
    table.row(
        "-",
        "-",
        "provider start → handshake line (ms)",
        &handshake,
        1,
        format!("< {HANDSHAKE_TARGET_MS}"),
        handshake.median().map(|m| m < HANDSHAKE_TARGET_MS),
    );

    let floor_dir = floor_provider_dir();
    let emulator_config = tempfile::NamedTempFile::new().expect("emulator config file");
    std::fs::write(emulator_config.path(), emulator_config_toml()).expect("emulator config");
    let config_path = emulator_config.path().display().to_string();
    let visibility = settings.visibility_ms.to_string();
    let emulator = Emulator::start_with(&[
        "--config",
        &config_path,
        "--visibility-delay-ms",
        &visibility,
    ]);

    let bench = Bench {
        settings: &settings,
        emulator: &emulator,
        provider: &provider,
        floor_dir: floor_dir.path(),
    };
    let sizes: &[usize] = if settings.processes_only || settings.settings_only {
        &[]
    } else {
        &settings.sizes
    };
    for tf in &settings.terraforms {
        for &n in sizes {
            for &instances in &settings.layouts {
                // Floors of the same shape: Terraform plans three blocks of 333 faster than
                // one of 1,000.
                let counts = split(n, instances);
                let floors = Floors::apply(&bench, tf, &counts);
                let scenario = Scenario {
                    bench: &bench,
                    tf,
                    floors: &floors,
                    instances,
                    n,
                };
                scenario.run(&mut table);
                // A floor holds nothing remote: destroying it is for the figure only, and
                // one layout is enough for that.
                floors.finish(&bench, &mut table, instances == 1);
            }
        }
    }

    if settings.process_runs > 0 && !settings.settings_only {
        processes::run(&settings, &mut table);
    }
    if settings.settings_case && !settings.processes_only {
        settings::run(&settings, &mut table);
    }

    let text = table.render(&settings, started.elapsed().as_secs_f64());
    println!("{text}");
    if let Some(path) = &settings.report {
        std::fs::write(path, &text).expect("write BENCH_REPORT");
    }
}

fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-alikafka"))
}

/// The first start (the binary perhaps not yet in the page cache), then `count` more.
fn measure_handshakes(provider: &Path, count: usize) -> (f64, Samples) {
    let cert = common::go_plugin_client_cert().0.pem();
    let once = || {
        let (elapsed, line) = procs::time_to_handshake(provider, &cert);
        assert!(
            line.starts_with("1|6|"),
            "unexpected handshake line {line:?}"
        );
        elapsed.as_secs_f64() * 1000.0
    };
    let first = once();
    let mut samples = Samples::default();
    for _ in 0..count {
        samples.push(once());
    }
    eprintln!(
        "handshake: first {first:.1} ms, then {} ms",
        samples.show(1)
    );
    (first, samples)
}

/// A directory holding `terraform-provider-floor`, a link to this executable.
fn floor_provider_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("floor provider dir");
    let me = std::env::current_exe().expect("current executable");
    std::os::unix::fs::symlink(me, dir.path().join(floor::FLOOR_BINARY))
        .expect("link the floor provider");
    dir
}

fn emulator_config_toml() -> String {
    let mut toml =
        format!("[[accounts]]\naccess_key_id = \"{DEMO_AK}\"\naccess_key_secret = \"{DEMO_SK}\"\n");
    for id in INSTANCES {
        write!(
            toml,
            "\n[[instances]]\ninstance_id = \"{id}\"\naccount = \"{DEMO_AK}\"\nregion_id = \"{REGION}\"\ntopic_quota = 2000\n"
        )
        .expect("write to a string");
    }
    toml
}

/// `instances × topics` (topics of the largest instance).
fn layout(counts: &[usize]) -> String {
    format!("{} × {}", counts.len(), counts.iter().max().unwrap_or(&0))
}

/// Topic counts per instance: N spread as evenly as possible.
fn split(n: usize, instances: usize) -> Vec<usize> {
    (0..instances)
        .map(|i| n / instances + usize::from(i < n % instances))
        .collect()
}

/// The three configurations of one scenario: same resource count and attributes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Alikafka,
    NoopProvider,
    TerraformData,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Alikafka => "alikafka",
            Kind::NoopProvider => "no-op provider floor",
            Kind::TerraformData => "terraform_data floor",
        }
    }
}

fn config(kind: Kind, counts: &[usize]) -> String {
    let mut hcl = String::new();
    match kind {
        Kind::Alikafka => hcl.push_str(&format!(
            "terraform {{\n  required_providers {{\n    alikafka = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\
             variable \"requests_per_second\" {{ default = {READ_RATE} }}\n\
             variable \"create_topic_requests_per_second\" {{ default = 1 }}\n\
             provider \"alikafka\" {{\n  requests_per_second = var.requests_per_second\n  \
             create_topic_requests_per_second = var.create_topic_requests_per_second\n}}\n"
        )),
        Kind::NoopProvider => hcl.push_str(&format!(
            "terraform {{\n  required_providers {{\n    floor = {{ source = \"{}\" }}\n  }}\n}}\n",
            floor::FLOOR_SOURCE
        )),
        Kind::TerraformData => {}
    }
    for (i, &count) in counts.iter().enumerate() {
        let instance = INSTANCES[i];
        let attributes = format!(
            "instance_id = \"{instance}\"\n    topic = \"bench-{i}-${{count.index}}\"\n    \
             remark = \"benchmark topic ${{count.index}}\"\n    partition_num = 12"
        );
        match kind {
            Kind::Alikafka | Kind::NoopProvider => {
                let ty = if kind == Kind::Alikafka {
                    "alikafka_topic"
                } else {
                    "floor_topic"
                };
                write!(
                    hcl,
                    "\nresource \"{ty}\" \"i{i}\" {{\n  count = {count}\n  {}\n}}\n",
                    attributes.replace("\n    ", "\n  ")
                )
            }
            Kind::TerraformData => write!(
                hcl,
                "\nresource \"terraform_data\" \"i{i}\" {{\n  count = {count}\n  input = {{\n    {attributes}\n  }}\n}}\n"
            ),
        }
        .expect("write to a string");
    }
    hcl
}

/// One measured Terraform command.
struct Measured {
    seconds: f64,
    stdout: String,
    peak_rss_mib: Option<f64>,
    /// CPU time of the provider processes (as last sampled), in seconds.
    provider_cpu: Option<f64>,
    /// The emulator's metrics for the command (cleared just before it).
    metrics: Value,
    retries: usize,
}

impl Measured {
    /// `calls A/B/…, throttled X:n …, rss M MiB` for the progress lines.
    fn summary(&self) -> String {
        let mut calls = Vec::new();
        let mut throttled = Vec::new();
        if let Some(actions) = self.metrics["actions"].as_object() {
            for (name, stats) in actions {
                calls.push(format!("{name} {}", stats["requests"]));
                if stats["throttled"].as_u64().unwrap_or(0) > 0 {
                    throttled.push(format!("{name} {}", stats["throttled"]));
                }
            }
        }
        format!(
            "{:.1} s; calls: {}; throttled: {}; retries {}; peak RSS {}; provider CPU {}",
            self.seconds,
            calls.join(", "),
            if throttled.is_empty() {
                "none".to_string()
            } else {
                throttled.join(", ")
            },
            self.retries,
            self.peak_rss_mib
                .map_or_else(|| "-".to_string(), |m| format!("{m:.1} MiB")),
            self.provider_cpu
                .map_or_else(|| "-".to_string(), |s| format!("{s:.2} s"))
        )
    }

    fn action(&self, action: &str, field: &str) -> u64 {
        self.metrics["actions"][action][field].as_u64().unwrap_or(0)
    }
    fn total(&self, field: &str) -> u64 {
        self.metrics["totals"][field].as_u64().unwrap_or(0)
    }
}

/// What every measurement needs.
struct Bench<'a> {
    settings: &'a Settings,
    emulator: &'a Emulator,
    provider: &'a Path,
    floor_dir: &'a Path,
}

impl Bench<'_> {
    /// A workspace of `kind` with `counts[i]` topics in instance `i`.
    fn workspace(&self, tf: &Terraform, kind: Kind, counts: &[usize]) -> Workspace {
        let ws = Workspace::new(tf, self.emulator);
        ws.write_file(
            "terraform.rc",
            &format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n    \"{}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                common::provider_dir().display(),
                floor::FLOOR_SOURCE,
                self.floor_dir.display()
            ),
        );
        ws.write_file("main.tf", &config(kind, counts));
        ws
    }

    fn parallelism(&self) -> String {
        format!(
            "-parallelism={}",
            self.settings.parallelism.unwrap_or(DEFAULT_PARALLELISM)
        )
    }

    /// Runs one command, checking its exit code; measures time, the provider's peak RSS
    /// and (for alikafka) the emulator's metrics and the client's retries.
    fn measure(&self, ws: &Workspace, kind: Kind, args: &[&str], expect_code: i32) -> Measured {
        let alikafka = kind == Kind::Alikafka;
        if alikafka {
            std::thread::sleep(BETWEEN_COMMANDS);
            self.emulator.control_delete("metrics");
        }
        let log = ws.path().join("provider.log");
        let _ = std::fs::remove_file(&log);
        let mut command = ws.command(args);
        if alikafka {
            // INFO emits only the client's retry lines (and other rare events), so the
            // timing stays that of a normal run; DEBUG would log every request.
            command
                .env("TF_LOG_PROVIDER", "INFO")
                .env("TF_LOG_PATH", &log);
        }
        let watcher = alikafka.then(|| procs::PeakRss::watch(self.provider));
        let started = Instant::now();
        let out = command.output().expect("run terraform");
        let seconds = started.elapsed().as_secs_f64();
        let rss = watcher.map(procs::PeakRss::finish);
        let code = out.status.code().unwrap_or(-1);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            code,
            expect_code,
            "terraform {} {} ({}) exited {code}:\n{}\n{}",
            ws.tf.version,
            args.join(" "),
            kind.label(),
            tail(&stdout),
            tail(&String::from_utf8_lossy(&out.stderr))
        );
        let retries = std::fs::read_to_string(&log)
            .map(|text| text.matches(RETRY_LINE).count())
            .unwrap_or(0);
        Measured {
            seconds,
            stdout,
            peak_rss_mib: rss
                .filter(|r| r.processes > 0)
                .map(|r| r.peak_kib as f64 / 1024.0),
            provider_cpu: rss
                .filter(|r| r.processes > 0)
                .map(|r| r.cpu_ms as f64 / 1000.0),
            metrics: if alikafka {
                self.emulator.metrics()
            } else {
                Value::Null
            },
            retries,
        }
    }
}

/// The floor configurations of one scenario: same Terraform, same topics per block.
struct Floors {
    layout: String,
    workspaces: Vec<(Kind, Workspace)>,
    apply: Vec<(Kind, f64)>,
}

impl Floors {
    fn apply(bench: &Bench, tf: &Terraform, counts: &[usize]) -> Floors {
        let mut kinds = vec![Kind::NoopProvider];
        if tf.at_least(1, 4) {
            kinds.push(Kind::TerraformData);
        }
        let parallelism = bench.parallelism();
        let args = [
            "apply",
            "-auto-approve",
            "-no-color",
            "-input=false",
            parallelism.as_str(),
        ];
        let mut floors = Floors {
            layout: layout(counts),
            workspaces: Vec::new(),
            apply: Vec::new(),
        };
        for kind in kinds {
            let ws = bench.workspace(tf, kind, counts);
            let applied = bench.measure(&ws, kind, &args, 0);
            eprintln!(
                "terraform {}, {}: {} apply {:.1} s",
                tf.version,
                floors.layout,
                kind.label(),
                applied.seconds
            );
            floors.apply.push((kind, applied.seconds));
            floors.workspaces.push((kind, ws));
        }
        floors
    }

    /// Reports the floors' apply times, and destroys them first (timed) if `destroy`.
    fn finish(self, bench: &Bench, table: &mut Table, destroy: bool) {
        let parallelism = bench.parallelism();
        let args = [
            "destroy",
            "-auto-approve",
            "-no-color",
            "-input=false",
            parallelism.as_str(),
        ];
        for ((kind, ws), (_, applied)) in self.workspaces.iter().zip(&self.apply) {
            let mut figures = vec![("apply", *applied)];
            if destroy {
                figures.push(("destroy", bench.measure(ws, *kind, &args, 0).seconds));
            }
            for (what, seconds) in figures {
                let mut samples = Samples::default();
                samples.push(seconds);
                table.row(
                    ws.tf.version,
                    &self.layout,
                    &format!("  {what}, {} (s)", kind.label()),
                    &samples,
                    1,
                    String::new(),
                    None,
                );
            }
        }
    }
}

struct Scenario<'a> {
    bench: &'a Bench<'a>,
    tf: &'a Terraform,
    floors: &'a Floors,
    instances: usize,
    n: usize,
}

/// What one scenario measured.
#[derive(Default)]
struct Figures {
    topic_lists_per_plan: Samples,
    calls_per_plan: Samples,
    plan_throttled: Samples,
    plan: Samples,
    plan_cpu: Samples,
    plan_noop: Samples,
    plan_data: Samples,
    ratio_data: Samples,
    ratio_noop: Samples,
    apply: Samples,
    apply_throttled: Samples,
    apply_retries: Samples,
    destroy: Samples,
    destroy_throttled: Samples,
    destroy_retries: Samples,
    rss: Samples,
}

impl Scenario<'_> {
    fn layout(&self) -> String {
        layout(&split(self.n, self.instances))
    }

    fn live_topics(&self) -> usize {
        INSTANCES[..self.instances]
            .iter()
            .map(|id| self.bench.emulator.topics(id).len())
            .sum()
    }

    /// The emulator takes whole requests per second.
    fn set_service_limits(&self, qps: f64, create_topic_qps: f64) {
        let (qps, create_topic_qps) = (qps.round() as u64, create_topic_qps.round() as u64);
        self.bench.emulator.control_put(
            "settings",
            json!({"qps": qps, "create_topic_qps": create_topic_qps}),
        );
    }

    fn run(&self, table: &mut Table) {
        let bench = self.bench;
        eprintln!(
            "== terraform {}, {} topics ({}) ==",
            self.tf.version,
            self.n,
            self.layout()
        );
        // Topics only: the floors' own state lives in their workspaces.
        bench.emulator.control_post("reset", json!({}));
        let rate = bench.settings.write_rate;
        let parallelism = bench.parallelism();
        let write_args = |command: &str, create_rate: f64, rps: f64| -> Vec<String> {
            vec![
                command.into(),
                "-auto-approve".into(),
                "-no-color".into(),
                "-input=false".into(),
                parallelism.clone(),
                format!("-var=create_topic_requests_per_second={create_rate}"),
                format!("-var=requests_per_second={rps}"),
            ]
        };
        let ws_kafka = bench.workspace(self.tf, Kind::Alikafka, &split(self.n, self.instances));

        let mut f = Figures::default();
        let write_runs = bench.settings.write_runs_for(self.n);
        for run in 0..write_runs {
            // apply: CreateTopic at the raised limit on both sides, other actions at 3/s.
            self.set_service_limits(READ_RATE, rate);
            let args = write_args("apply", rate, READ_RATE);
            let applied = bench.measure(&ws_kafka, Kind::Alikafka, &as_str(&args), 0);
            assert_eq!(self.live_topics(), self.n, "apply created every topic");
            assert_eq!(
                applied.action("CreateTopic", "succeeded"),
                self.n as u64,
                "one successful CreateTopic per topic"
            );
            f.apply.push(applied.seconds);
            f.apply_throttled.push(applied.total("throttled") as f64);
            f.apply_retries.push(applied.retries as f64);
            f.rss.extend(applied.peak_rss_mib);
            eprintln!("  apply {}", applied.summary());

            if run == 0 {
                self.plans(&ws_kafka, &mut f);
            }

            // destroy: DeleteTopic (like every action but CreateTopic) at the raised limit.
            self.set_service_limits(rate, rate);
            let args = write_args("destroy", rate, rate);
            let destroyed = bench.measure(&ws_kafka, Kind::Alikafka, &as_str(&args), 0);
            assert_eq!(self.live_topics(), 0, "destroy deleted every topic");
            f.destroy.push(destroyed.seconds);
            f.destroy_throttled
                .push(destroyed.total("throttled") as f64);
            f.destroy_retries.push(destroyed.retries as f64);
            f.rss.extend(destroyed.peak_rss_mib);
            eprintln!("  destroy {}", destroyed.summary());
        }
        self.report(&f, table);
    }

    /// `runs` plans of each configuration, interleaved so that machine load hits all alike.
    fn plans(&self, ws_kafka: &Workspace, f: &mut Figures) {
        let bench = self.bench;
        let plan_args = ["plan", "-no-color", "-input=false", "-detailed-exitcode"];
        self.set_service_limits(READ_RATE, 1.0);
        for _ in 0..bench.settings.runs {
            let planned = bench.measure(ws_kafka, Kind::Alikafka, &plan_args, 0);
            assert!(
                planned.stdout.contains("No changes"),
                "a plan after apply proposes nothing"
            );
            f.plan_throttled.push(planned.total("throttled") as f64);
            f.plan.push(planned.seconds);
            f.plan_cpu.extend(planned.provider_cpu);
            f.topic_lists_per_plan
                .push(planned.action("GetTopicList", "requests") as f64);
            f.calls_per_plan.push(planned.total("requests") as f64);
            f.rss.extend(planned.peak_rss_mib);
            let mut line = format!("  plan {}", planned.summary());
            for (kind, ws) in &self.floors.workspaces {
                let floor = bench.measure(ws, *kind, &plan_args, 0);
                let ratio = planned.seconds / floor.seconds;
                match kind {
                    Kind::NoopProvider => {
                        f.plan_noop.push(floor.seconds);
                        f.ratio_noop.push(ratio);
                    }
                    _ => {
                        f.plan_data.push(floor.seconds);
                        f.ratio_data.push(ratio);
                    }
                }
                write!(line, " | {} {:.2} s", kind.label(), floor.seconds).expect("string");
            }
            eprintln!("{line}");
        }
    }

    fn report(&self, f: &Figures, table: &mut Table) {
        let tf = self.tf.version;
        let layout = self.layout();
        let rate = self.bench.settings.write_rate;
        let at_most = |s: &Samples, limit: f64| s.max().map(|m| m <= limit);
        table.row(
            tf,
            &layout,
            "GetTopicList per plan",
            &f.topic_lists_per_plan,
            0,
            format!("≤ {}", self.instances),
            at_most(&f.topic_lists_per_plan, self.instances as f64),
        );
        table.row(
            tf,
            &layout,
            "API calls per plan (all)",
            &f.calls_per_plan,
            0,
            String::new(),
            None,
        );
        table.row(
            tf,
            &layout,
            "plan throttled answers",
            &f.plan_throttled,
            0,
            "0".into(),
            at_most(&f.plan_throttled, 0.0),
        );
        table.row(
            tf,
            &layout,
            "plan wall (s)",
            &f.plan,
            2,
            String::new(),
            None,
        );
        table.row(
            tf,
            &layout,
            "  provider CPU per plan (s)",
            &f.plan_cpu,
            2,
            String::new(),
            None,
        );
        if !f.plan_data.is_empty() {
            table.row(
                tf,
                &layout,
                "  terraform_data floor (s)",
                &f.plan_data,
                2,
                String::new(),
                None,
            );
            // The target is set for 1,000 topics; smaller N are shown for comparison.
            let (target, met) = if self.n >= 1000 {
                (
                    format!("≤ {PLAN_RATIO_TARGET}"),
                    f.ratio_data.median().map(|m| m <= PLAN_RATIO_TARGET),
                )
            } else {
                (String::new(), None)
            };
            table.row(
                tf,
                &layout,
                "  plan ÷ terraform_data floor",
                &f.ratio_data,
                2,
                target,
                met,
            );
        } else {
            table.row_text(
                tf,
                &layout,
                "  terraform_data floor (s)",
                "n/a (Terraform < 1.4)",
            );
        }
        table.row(
            tf,
            &layout,
            "  no-op provider floor (s)",
            &f.plan_noop,
            2,
            String::new(),
            None,
        );
        table.row(
            tf,
            &layout,
            "  plan ÷ no-op provider floor",
            &f.ratio_noop,
            2,
            String::new(),
            None,
        );

        let limit_seconds = self.n as f64 / rate;
        let write_target = 1.1 * limit_seconds + 5.0;
        for (what, wall, throttled, retries) in [
            ("apply", &f.apply, &f.apply_throttled, &f.apply_retries),
            (
                "destroy",
                &f.destroy,
                &f.destroy_throttled,
                &f.destroy_retries,
            ),
        ] {
            table.row(
                tf,
                &layout,
                &format!("{what} wall (s); N/{rate} = {limit_seconds:.1} s"),
                wall,
                1,
                format!("≤ {write_target:.1}"),
                wall.median().map(|m| m <= write_target),
            );
            let mut ratio = Samples::default();
            for &w in wall.values() {
                ratio.push(w / limit_seconds);
            }
            table.row(
                tf,
                &layout,
                &format!("  {what} ÷ (N/{rate} s)"),
                &ratio,
                2,
                String::new(),
                None,
            );
            table.row(
                tf,
                &layout,
                &format!("  {what} throttled answers"),
                throttled,
                0,
                "0".into(),
                at_most(throttled, 0.0),
            );
            table.row(
                tf,
                &layout,
                &format!("  {what} retries"),
                retries,
                0,
                "0".into(),
                at_most(retries, 0.0),
            );
        }
        table.row(
            tf,
            &layout,
            "provider peak RSS (MiB)",
            &f.rss,
            1,
            format!("< {RSS_TARGET_MIB}"),
            f.rss.max().map(|m| m < RSS_TARGET_MIB),
        );
    }
}

fn as_str(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The result table, in Markdown.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 6]>,
}

impl Table {
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        tf: &str,
        layout: &str,
        figure: &str,
        samples: &Samples,
        decimals: usize,
        target: String,
        met: Option<bool>,
    ) {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        self.rows.push([
            tf.to_string(),
            layout.to_string(),
            figure.to_string(),
            samples.show(decimals),
            samples.len().to_string(),
            format!("{target} {met}").trim().to_string(),
        ]);
    }

    fn row_text(&mut self, tf: &str, layout: &str, figure: &str, text: &str) {
        self.rows.push([
            tf.to_string(),
            layout.to_string(),
            figure.to_string(),
            text.to_string(),
            "0".to_string(),
            String::new(),
        ]);
    }

    fn render(&self, settings: &Settings, seconds: f64) -> String {
        let mut out = format!(
            "terraform_bench: median [min–max]; plans {} runs, writes {} run(s) per size (1 for N > 300 unless BENCH_WRITE_RUNS), \
             write limit {}/s, visibility delay {} ms; total {:.0} s\n\n",
            settings.runs,
            settings.write_runs.map_or_else(|| "3".to_string(), |r| r.to_string()),
            settings.write_rate,
            settings.visibility_ms,
            seconds
        );
        out.push_str("| Terraform | layout (instances × topics) | figure | median [min–max] | runs | target |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for r in &self.rows {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                r[0], r[1], r[2], r[3], r[4], r[5]
            )
            .expect("write to a string");
        }
        out
    }
}
