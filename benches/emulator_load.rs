//! Load benchmark for `alikafka-emulator` (`cargo bench --bench emulator_load`).
//!
//! Starts the real binary, lifts its rate limits, creates 1,000 topics, then drives signed
//! GetTopicList calls (each returning all 1,000 topics) from this process: first paced at
//! 200 requests/s, then as fast as a fixed pool of concurrent clients can go. Prints
//! throughput and latency percentiles (client-side, plus the emulator's own metrics).
//! Target: p99 < 10 ms at 200 requests/s.

#[path = "../tests/emulator_support/mod.rs"]
mod emulator_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator_support::*;

const TOPICS: usize = 1000;
const PACED_RATE: u64 = 200;
const MAX_CONCURRENCY: usize = 16;

/// Run lengths: full under `cargo bench` (which passes `--bench`), a short smoke run when
/// `cargo test --all-targets` runs this target to check that it works.
struct Plan {
    topics: usize,
    paced_seconds: u64,
    max_seconds: u64,
}

impl Plan {
    fn from_args() -> Plan {
        if std::env::args().any(|a| a == "--bench") {
            Plan {
                topics: TOPICS,
                paced_seconds: 10,
                max_seconds: 5,
            }
        } else {
            Plan {
                topics: 50,
                paced_seconds: 1,
                max_seconds: 1,
            }
        }
    }
}

fn signed_url(emu: &Emulator) -> String {
    let mut params = common_params(&Creds::demo(), "GetTopicList", V2018);
    params.insert("RegionId".into(), "cn-hangzhou".into());
    params.insert("InstanceId".into(), HANGZHOU.into());
    sign_v1("POST", &mut params, DEMO_SK);
    format!("{}/?{}", emu.base, query_string(&params))
}

/// One signed GetTopicList; returns its latency, checking it succeeded with every topic.
async fn list_once(emu: &Emulator, topics: usize) -> Duration {
    let url = signed_url(emu);
    let started = Instant::now();
    let response = emu.http.post(url).send().await.expect("request");
    let status = response.status();
    let body = response.bytes().await.expect("body");
    let elapsed = started.elapsed();
    assert!(status.is_success(), "{}", String::from_utf8_lossy(&body));
    assert!(
        body.len() > topics * 100,
        "expected all {topics} topics, got {} bytes",
        body.len()
    );
    elapsed
}

fn report(label: &str, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    let pct = |p: f64| {
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1].as_secs_f64() * 1000.0
    };
    println!(
        "{label:<28} {:>6} req in {:>6.2} s = {:>8.1} req/s | p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms",
        latencies.len(),
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(100.0),
    );
}

#[tokio::main]
async fn main() {
    let plan = Plan::from_args();
    let emu = Arc::new(Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "1000000",
        "--create-topic-qps",
        "1000000",
    ]));
    println!("alikafka-emulator load benchmark against {}", emu.base);

    // 1. Create the topics, 16 at a time.
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(plan.topics);
    for chunk in (0..plan.topics).collect::<Vec<_>>().chunks(MAX_CONCURRENCY) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|i| {
                let emu = Arc::clone(&emu);
                let name = format!("bench-topic-{i:04}");
                tokio::spawn(async move {
                    let t = Instant::now();
                    emu.call(
                        "CreateTopic",
                        &[
                            ("RegionId", "cn-hangzhou"),
                            ("InstanceId", HANGZHOU),
                            ("Topic", name.as_str()),
                            ("Remark", "benchmark topic"),
                        ],
                    )
                    .await
                    .assert_ok();
                    t.elapsed()
                })
            })
            .collect();
        for task in tasks {
            latencies.push(task.await.expect("create task"));
        }
    }
    report(
        &format!("CreateTopic x{} (c=16)", plan.topics),
        latencies,
        started.elapsed(),
    );

    // Warm up connections and caches.
    for _ in 0..20 {
        list_once(&emu, plan.topics).await;
    }
    emu.control("DELETE", "metrics", None).await;

    // 2. Paced: one request every 5 ms, each on its own task (open loop).
    let total = (PACED_RATE * plan.paced_seconds) as usize;
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / PACED_RATE));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for _ in 0..total {
        ticker.tick().await;
        let emu = Arc::clone(&emu);
        let topics = plan.topics;
        tasks.push(tokio::spawn(async move { list_once(&emu, topics).await }));
    }
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.push(task.await.expect("paced task"));
    }
    report("GetTopicList @200 req/s", latencies, started.elapsed());
    let (_, metrics) = emu.control("GET", "metrics", None).await;
    let server = &metrics["actions"]["GetTopicList"]["latency_ms"];
    println!(
        "{:<28} server-side latency: p50 {} ms  p90 {} ms  p99 {} ms  max {} ms",
        "", server["p50"], server["p90"], server["p99"], server["max"]
    );

    // 3. Maximum throughput: a fixed pool of closed-loop clients.
    let deadline = Instant::now() + Duration::from_secs(plan.max_seconds);
    let topics = plan.topics;
    let started = Instant::now();
    let workers: Vec<_> = (0..MAX_CONCURRENCY)
        .map(|_| {
            let emu = Arc::clone(&emu);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while Instant::now() < deadline {
                    mine.push(list_once(&emu, topics).await);
                }
                mine
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    report("GetTopicList max (c=16)", latencies, started.elapsed());
}
