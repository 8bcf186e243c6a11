//! Injected faults (`/_emulator/faults`): errors, latency, dropped connections and
//! broken bodies, matched by action after authentication and flow control.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What a fault does to a matching call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    /// Answer with an error body (`code`, `http_status`, `message`); the action is not run.
    Error,
    /// Wait `latency_ms`, then serve normally.
    Latency,
    /// Close the connection without any response; the action is not run.
    Drop,
    /// HTTP 200 with a body that is neither JSON nor XML; the action is not run.
    Malformed,
    /// Run the action, then send only the first half of the real body.
    Truncated,
    /// HTTP 502 with an HTML gateway page; the action is not run.
    Html,
    /// Run the action, then close the connection without a response.
    LoseResponse,
}

/// The body of `POST /_emulator/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// An action name, or `*` for every action.
    pub action: String,
    pub mode: FaultMode,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub http_status: Option<u16>,
    #[serde(default)]
    pub message: Option<String>,
    /// Apply to the next N matching calls only.
    #[serde(default)]
    pub count: Option<u32>,
    /// Apply to each matching call with this probability.
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

/// A registered fault, as listed by `GET /_emulator/faults`.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub id: u64,
    pub action: String,
    pub mode: FaultMode,
    pub code: String,
    pub http_status: u16,
    pub message: String,
    /// Remaining applications (`null`: unlimited).
    pub count: Option<u32>,
    pub probability: Option<f64>,
    pub latency_ms: u64,
}

const DEFAULT_LATENCY_MS: u64 = 1000;

#[derive(Default)]
pub struct Faults {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    rules: Vec<Fault>,
}

impl Faults {
    /// Validates and registers a fault; returns its id.
    pub fn add(&self, spec: FaultSpec) -> Result<u64, String> {
        if spec.action.is_empty() {
            return Err("action must be an action name or \"*\"".into());
        }
        if spec.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        if let Some(p) = spec.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err("probability must be between 0 and 1".into());
            }
        }
        let http_status = spec.http_status.unwrap_or(503);
        if !(100..=599).contains(&http_status) {
            return Err("http_status must be an HTTP status code".into());
        }
        let code = spec.code.unwrap_or_else(|| "ServiceUnavailable".into());
        let message = spec.message.unwrap_or_else(|| {
            "The request has failed due to a temporary failure of the server.".into()
        });
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.next_id += 1;
        let id = inner.next_id;
        inner.rules.push(Fault {
            id,
            action: spec.action,
            mode: spec.mode,
            code,
            http_status,
            message,
            count: spec.count,
            probability: spec.probability,
            latency_ms: spec.latency_ms.unwrap_or(DEFAULT_LATENCY_MS),
        });
        Ok(id)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rules
            .clone()
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rules
            .clear();
    }

    /// The first fault that fires for this call, consuming one of its `count`.
    pub fn take(&self, action: &str) -> Option<Fault> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let index = inner.rules.iter().position(|rule| {
            (rule.action == "*" || rule.action == action)
                && rule.probability.is_none_or(|p| rand::random::<f64>() < p)
        })?;
        let rule = &mut inner.rules[index];
        let fired = rule.clone();
        if let Some(left) = rule.count.as_mut() {
            *left -= 1;
            if *left == 0 {
                inner.rules.remove(index);
            }
        }
        Some(fired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(action: &str, count: Option<u32>, probability: Option<f64>) -> FaultSpec {
        FaultSpec {
            action: action.into(),
            mode: FaultMode::Error,
            code: None,
            http_status: None,
            message: None,
            count,
            probability,
            latency_ms: None,
        }
    }

    #[test]
    fn count_limits_applications_and_action_must_match() {
        let faults = Faults::default();
        let id = faults.add(spec("CreateTopic", Some(2), None)).unwrap();
        assert_eq!(id, 1);
        assert!(faults.take("GetTopicList").is_none());
        let f = faults.take("CreateTopic").unwrap();
        assert_eq!(
            (f.code.as_str(), f.http_status),
            ("ServiceUnavailable", 503)
        );
        assert!(faults.take("CreateTopic").is_some());
        assert!(faults.take("CreateTopic").is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn wildcard_without_count_applies_until_cleared() {
        let faults = Faults::default();
        faults.add(spec("*", None, None)).unwrap();
        for _ in 0..5 {
            assert!(faults.take("Anything").is_some());
        }
        faults.clear();
        assert!(faults.take("Anything").is_none());
    }

    #[test]
    fn probability_zero_never_fires_and_one_always_does() {
        let faults = Faults::default();
        faults.add(spec("A", None, Some(0.0))).unwrap();
        assert!((0..100).all(|_| faults.take("A").is_none()));
        faults.add(spec("A", None, Some(1.0))).unwrap();
        assert!((0..100).all(|_| faults.take("A").is_some()));
    }

    #[test]
    fn invalid_specs_are_rejected() {
        let faults = Faults::default();
        assert!(faults.add(spec("A", Some(0), None)).is_err());
        assert!(faults.add(spec("A", None, Some(1.5))).is_err());
        assert!(faults.add(spec("", None, None)).is_err());
    }
}
