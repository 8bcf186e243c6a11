//! Per-action request counters and latency percentiles for `/_emulator/metrics`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

/// Latency samples kept per action (the most recent ones).
const MAX_SAMPLES: usize = 10_000;
/// Distinct action names tracked; further unknown names share one bucket.
const MAX_ACTIONS: usize = 256;
const OVERFLOW_BUCKET: &str = "(other)";

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Throttled,
    Failed,
}

#[derive(Default)]
struct ActionStats {
    requests: u64,
    succeeded: u64,
    throttled: u64,
    failed: u64,
    samples_ms: VecDeque<f64>,
    max_ms: f64,
}

#[derive(Default)]
pub struct Metrics {
    actions: Mutex<BTreeMap<String, ActionStats>>,
}

impl Metrics {
    pub fn record(&self, action: &str, outcome: Outcome, latency: Duration) {
        let mut actions = self.actions.lock().unwrap_or_else(|e| e.into_inner());
        let name: String = action.chars().take(128).collect();
        let name = if actions.contains_key(&name) || actions.len() < MAX_ACTIONS {
            name
        } else {
            OVERFLOW_BUCKET.to_string()
        };
        let stats = actions.entry(name).or_default();
        stats.requests += 1;
        match outcome {
            Outcome::Succeeded => stats.succeeded += 1,
            Outcome::Throttled => stats.throttled += 1,
            Outcome::Failed => stats.failed += 1,
        }
        let ms = latency.as_secs_f64() * 1000.0;
        if stats.samples_ms.len() == MAX_SAMPLES {
            stats.samples_ms.pop_front();
        }
        stats.samples_ms.push_back(ms);
        stats.max_ms = stats.max_ms.max(ms);
    }

    pub fn reset(&self) {
        self.actions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The `/_emulator/metrics` document.
    pub fn snapshot(&self) -> Value {
        let actions = self.actions.lock().unwrap_or_else(|e| e.into_inner());
        let mut per_action = serde_json::Map::new();
        let (mut requests, mut succeeded, mut throttled, mut failed) = (0u64, 0u64, 0u64, 0u64);
        for (name, s) in actions.iter() {
            requests += s.requests;
            succeeded += s.succeeded;
            throttled += s.throttled;
            failed += s.failed;
            let mut sorted: Vec<f64> = s.samples_ms.iter().copied().collect();
            sorted.sort_by(f64::total_cmp);
            per_action.insert(
                name.clone(),
                json!({
                    "requests": s.requests,
                    "succeeded": s.succeeded,
                    "throttled": s.throttled,
                    "failed": s.failed,
                    "latency_ms": {
                        "p50": percentile(&sorted, 50.0),
                        "p90": percentile(&sorted, 90.0),
                        "p99": percentile(&sorted, 99.0),
                        "max": round3(s.max_ms),
                    }
                }),
            );
        }
        json!({
            "actions": per_action,
            "totals": {"requests": requests, "succeeded": succeeded, "throttled": throttled, "failed": failed}
        })
    }
}

/// Nearest-rank percentile of sorted samples (0 when empty).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    round3(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentiles() {
        let m = Metrics::default();
        for i in 1..=100 {
            m.record("GetTopicList", Outcome::Succeeded, Duration::from_millis(i));
        }
        m.record("CreateTopic", Outcome::Throttled, Duration::from_millis(1));
        m.record("CreateTopic", Outcome::Failed, Duration::from_millis(2));
        m.record("Nope", Outcome::Failed, Duration::from_millis(3));
        let s = m.snapshot();
        let g = &s["actions"]["GetTopicList"];
        assert_eq!(g["requests"], 100);
        assert_eq!(g["latency_ms"]["p50"], 50.0);
        assert_eq!(g["latency_ms"]["p90"], 90.0);
        assert_eq!(g["latency_ms"]["p99"], 99.0);
        assert_eq!(g["latency_ms"]["max"], 100.0);
        assert_eq!(s["actions"]["CreateTopic"]["throttled"], 1);
        assert_eq!(s["actions"]["CreateTopic"]["failed"], 1);
        assert_eq!(s["actions"]["Nope"]["failed"], 1);
        assert_eq!(
            s["totals"],
            json!({"requests": 103, "succeeded": 100, "throttled": 1, "failed": 2})
        );
        m.reset();
        assert_eq!(m.snapshot()["totals"]["requests"], 0);
    }
}
