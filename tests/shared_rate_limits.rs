//! Many Terraform runs, one account: real `terraform apply` processes at once against one
//! emulator at the service's real limits (3/s per action, CreateTopic 1/s), sharing the
//! rate limit through a directory as processes of one machine do, or not (two "machines").

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{concurrent_applies, terraform, topics_workspace, Emulator, Workspace, INSTANCE_HZ};

const TOPICS_PER_PROCESS: usize = 10;

/// Terraform 1.15.5 and 1.0.3 alternately: both share one limiter.
fn version(i: usize) -> &'static str {
    if i % 2 == 0 {
        "1.15.5"
    } else {
        "1.0.3"
    }
}

fn workspace(emulator: &Emulator, i: usize, prefix: &str, count: usize, dir: &Path) -> Workspace {
    topics_workspace(&terraform(version(i)), emulator, prefix, count, Some(dir))
}

fn create_topic(emulator: &Emulator, field: &str) -> u64 {
    emulator.metrics()["actions"]["CreateTopic"][field]
        .as_u64()
        .unwrap_or(0)
}

/// Eight processes of one machine, one directory: not one throttled answer, and the
/// CreateTopic budget used as a single process would use it.
#[test]
fn eight_processes_of_one_machine_are_never_throttled() {
    let emulator = Emulator::start_with(&[]);
    let dir = tempfile::tempdir().expect("sharing dir");
    let workspaces: Vec<Workspace> = (0..8)
        .map(|i| {
            workspace(
                &emulator,
                i,
                &format!("p{i}"),
                TOPICS_PER_PROCESS,
                dir.path(),
            )
        })
        .collect();
    let (runs, elapsed) = concurrent_applies(&workspaces);
    for (ws, run) in workspaces.iter().zip(&runs) {
        assert_eq!(
            run.code,
            0,
            "apply ({}) failed:\n{}",
            ws.tf.version,
            run.combined()
        );
    }
    let metrics = emulator.metrics();
    assert_eq!(metrics["totals"]["throttled"], 0, "{metrics}");
    assert_eq!(create_topic(&emulator, "succeeded"), 80, "{metrics}");
    assert_eq!(emulator.topics(INSTANCE_HZ).len(), 80);
    println!(
        "8 processes × {TOPICS_PER_PROCESS} topics, one sharing directory: {:.1} s (80 topics at \
         CreateTopic 1/s: 80 s), throttled 0, CreateTopic calls {}",
        elapsed.as_secs_f64(),
        create_topic(&emulator, "requests")
    );
}

/// Two groups of four, each with its own directory, as two machines on one account: they
/// cannot share, get throttled, lower their rates and still all finish.
#[test]
fn two_machines_of_four_processes_converge_without_a_failed_apply() {
    let emulator = Emulator::start_with(&[]);
    let machines = [
        tempfile::tempdir().expect("machine A"),
        tempfile::tempdir().expect("machine B"),
    ];
    let workspaces: Vec<Workspace> = (0..8)
        .map(|i| {
            let dir = machines[i % 2].path();
            workspace(
                &emulator,
                i / 2,
                &format!("m{}p{i}", i % 2),
                TOPICS_PER_PROCESS,
                dir,
            )
        })
        .collect();
    let logs: Vec<_> = workspaces
        .iter()
        .map(|ws| ws.path().join("provider.log"))
        .collect();
    let workspaces: Vec<Workspace> = workspaces
        .into_iter()
        .zip(&logs)
        .map(|(mut ws, log)| {
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
            "apply ({}) failed:\n{}",
            ws.tf.version,
            run.combined()
        );
    }
    assert_eq!(emulator.topics(INSTANCE_HZ).len(), 80);
    let text: String = logs
        .iter()
        .map(|log| std::fs::read_to_string(log).unwrap_or_default())
        .collect();
    let retries = text.matches("retrying alikafka request").count();
    let lowered = text.matches("throttled despite pacing").count();
    let throttled = emulator.metrics()["totals"]["throttled"]
        .as_u64()
        .unwrap_or(0);
    // Every throttled answer was retried (none ran out of retries: all applies passed),
    // and throttling lowered the rates.
    assert!(
        retries as u64 >= throttled,
        "{retries} retries, {throttled} throttled"
    );
    if throttled > 0 {
        assert!(
            lowered > 0,
            "throttled {throttled} times, the rate never lowered"
        );
    }
    println!(
        "2 machines × 4 processes × {TOPICS_PER_PROCESS} topics: {:.1} s (80 s at the budget), \
         throttled {throttled}, retries {retries}, rate lowered {lowered} times, CreateTopic \
         calls {}",
        elapsed.as_secs_f64(),
        create_topic(&emulator, "requests")
    );
}

/// A provider SIGKILLed while its CreateTopic is in flight (held 30 s by the emulator,
/// request timeout 60 s): the others carry on about a window after its death, not after
/// its timeout, and are still never throttled.
#[test]
fn a_process_killed_mid_call_does_not_wedge_the_others() {
    let emulator = Emulator::start_with(&[]);
    let dir = tempfile::tempdir().expect("sharing dir");
    emulator.control_post(
        "faults",
        serde_json::json!({"action": "CreateTopic", "mode": "latency", "latency_ms": 30000, "count": 1}),
    );
    let workspaces: Vec<Workspace> = (0..4)
        .map(|i| {
            let ws = workspace(&emulator, i, &format!("k{i}"), 5, dir.path());
            let config = std::fs::read_to_string(ws.path().join("main.tf")).expect("main.tf");
            ws.write_file(
                "main.tf",
                &config.replace(
                    "provider \"alikafka\" {}",
                    "provider \"alikafka\" {\n  request_timeout = \"60s\"\n}",
                ),
            );
            ws
        })
        .collect();
    let mut children: Vec<_> = workspaces
        .iter()
        .map(|ws| {
            ws.command(&["apply", "-auto-approve", "-no-color", "-input=false"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start terraform apply")
        })
        .collect();
    // The slow call: an entry of the shared CreateTopic window still unanswered after 2 s
    // (answers come in milliseconds otherwise).
    let holder = common::wait_for(Duration::from_secs(60), || {
        common::unanswered_sender(dir.path(), "CreateTopic", Duration::from_secs(2))
    })
    .expect("a CreateTopic in flight for 2 s");
    let before = emulator.topics(INSTANCE_HZ).len();
    common::sigkill(holder);
    let killed = Instant::now();
    let next = common::wait_for(Duration::from_secs(25), || {
        (emulator.topics(INSTANCE_HZ).len() > before).then(Instant::now)
    });
    let outputs: Vec<_> = children
        .drain(..)
        .map(|child| child.wait_with_output().expect("terraform"))
        .collect();
    let next = next.expect("no topic was created within 25 s of the kill");
    let gap = next.duration_since(killed);
    let failed: Vec<_> = outputs.iter().filter(|o| !o.status.success()).collect();
    assert_eq!(failed.len(), 1, "only the killed provider's apply fails");
    assert_eq!(emulator.metrics()["totals"]["throttled"], 0);
    // The three others' 15 topics, plus those the killed one created before its death
    // (its slow one lands 30 s after it was sent, if it is still running).
    assert!(emulator.topics(INSTANCE_HZ).len() >= 15);
    assert!(
        gap < Duration::from_secs(10),
        "the next call left {gap:?} after the kill"
    );
    println!(
        "a provider SIGKILLed holding the CreateTopic slot: next topic created {:.2} s after \
         the kill (the held call's own timeout: 60 s)",
        gap.as_secs_f64()
    );
}

/// A relative directory would mean another one in every module: refused at plan time, on
/// the attribute; a named directory that cannot be used is an error, not a silent loss of
/// sharing.
#[test]
fn unusable_sharing_directories_are_plan_time_errors() {
    let emulator = Emulator::start();
    for tf in common::terraforms() {
        let ws = Workspace::new(&tf, &emulator);
        ws.write_config(&format!(
            "provider \"alikafka\" {{\n  shared_rate_limits_dir = \"limits\"\n}}\n\n\
             data \"alikafka_topics\" \"all\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n}}\n"
        ));
        let flat = ws.fails(&["plan", "-no-color", "-input=false"]);
        assert!(
            flat.contains("must be an absolute path"),
            "{}: {flat}",
            tf.version
        );
        assert!(
            flat.contains("shared_rate_limits_dir"),
            "{}: {flat}",
            tf.version
        );

        let file = ws.path().join("a-file");
        std::fs::write(&file, "not a directory").expect("write");
        ws.write_config(&format!(
            "provider \"alikafka\" {{\n  shared_rate_limits_dir = \"{}\"\n}}\n\n\
             data \"alikafka_topics\" \"all\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n}}\n",
            file.display()
        ));
        let flat = ws.fails(&["plan", "-no-color", "-input=false"]);
        assert!(
            flat.contains("Cannot share rate limits with other processes through"),
            "{}: {flat}",
            tf.version
        );
        assert!(
            flat.contains("shared_rate_limits = false"),
            "{}: {flat}",
            tf.version
        );
    }
}
