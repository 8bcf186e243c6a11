//! Many provider processes on one account at once (Terragrunt `run-all`, CI runners):
//! eight `terraform apply` processes of ten topics each against one emulator at the
//! service's real limits (3/s, CreateTopic 1/s, visibility 1 s), sharing one rate-limit
//! directory (one machine), and as two groups of four with a directory each (two machines).

use std::path::Path;

use super::common::{concurrent_applies, topics_workspace, Emulator, Terraform, Workspace};
use super::stats::Samples;
use super::{Settings, Table, RETRY_LINE};

pub const PROCESSES: usize = 8;
pub const TOPICS_PER_PROCESS: usize = 10;
/// The CreateTopic budget: 80 topics at 1/s.
const BUDGET_SECONDS: f64 = (PROCESSES * TOPICS_PER_PROCESS) as f64;
const TARGET_RATIO: f64 = 1.2;

struct Outcome {
    seconds: f64,
    throttled: u64,
    retries: usize,
}

/// `machines` groups of processes, each group sharing one directory.
fn applies(tf: &Terraform, machines: usize) -> Outcome {
    let emulator = Emulator::start_with(&[]);
    let dirs: Vec<_> = (0..machines)
        .map(|_| tempfile::tempdir().expect("sharing dir"))
        .collect();
    let workspaces: Vec<Workspace> = (0..PROCESSES)
        .map(|i| {
            let dir: &Path = dirs[i % machines].path();
            let mut ws = topics_workspace(
                tf,
                &emulator,
                &format!("p{i}"),
                TOPICS_PER_PROCESS,
                Some(dir),
            );
            let log = ws.path().join("provider.log");
            ws.set_env("TF_LOG_PROVIDER", "INFO");
            ws.set_env("TF_LOG_PATH", &log.display().to_string());
            ws
        })
        .collect();
    let (runs, elapsed) = concurrent_applies(&workspaces);
    for (ws, run) in workspaces.iter().zip(&runs) {
        assert_eq!(
            run.code,
            0,
            "apply ({}, {machines} machine(s)) failed:\n{}",
            ws.tf.version,
            run.combined()
        );
    }
    let retries = workspaces
        .iter()
        .map(|ws| {
            std::fs::read_to_string(ws.path().join("provider.log"))
                .map(|text| text.matches(RETRY_LINE).count())
                .unwrap_or(0)
        })
        .sum();
    let outcome = Outcome {
        seconds: elapsed.as_secs_f64(),
        throttled: emulator.metrics()["totals"]["throttled"]
            .as_u64()
            .unwrap_or(0),
        retries,
    };
    eprintln!(
        "{} {PROCESSES} processes × {TOPICS_PER_PROCESS} topics, {machines} machine(s): {:.1} s, \
         throttled {}, retries {}",
        tf.version, outcome.seconds, outcome.throttled, outcome.retries
    );
    outcome
}

pub fn run(settings: &Settings, table: &mut Table) {
    let layout = format!("{PROCESSES} processes × {TOPICS_PER_PROCESS}");
    for tf in &settings.terraforms {
        for machines in [1, 2] {
            let (mut seconds, mut ratio, mut throttled, mut retries) = (
                Samples::default(),
                Samples::default(),
                Samples::default(),
                Samples::default(),
            );
            for _ in 0..settings.process_runs {
                let outcome = applies(tf, machines);
                seconds.push(outcome.seconds);
                ratio.push(outcome.seconds / BUDGET_SECONDS);
                throttled.push(outcome.throttled as f64);
                retries.push(outcome.retries as f64);
            }
            let label = if machines == 1 {
                "one machine (one sharing directory)"
            } else {
                "two machines of 4 (a directory each)"
            };
            table.row(
                tf.version,
                &layout,
                &format!("{label}: apply wall (s)"),
                &seconds,
                1,
                String::new(),
                None,
            );
            if machines == 1 {
                table.row(
                    tf.version,
                    &layout,
                    &format!("{label}: apply ÷ 80 s (80 topics at CreateTopic 1/s)"),
                    &ratio,
                    2,
                    format!("≤ {TARGET_RATIO}"),
                    ratio.median().map(|m| m <= TARGET_RATIO),
                );
            }
            table.row(
                tf.version,
                &layout,
                &format!("{label}: throttled answers"),
                &throttled,
                0,
                if machines == 1 {
                    "0".into()
                } else {
                    String::new()
                },
                (machines == 1).then(|| throttled.max() == Some(0.0)),
            );
            table.row(
                tf.version,
                &layout,
                &format!("{label}: retries"),
                &retries,
                0,
                String::new(),
                None,
            );
        }
    }
}
