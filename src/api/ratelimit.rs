//! Client-side rate limiting: one spacing limiter per (access key, region, action),
//! shared by every client in the process.
//!
//! The service counts requests in a sliding one-second window, so a token bucket that
//! allows a burst could put more than N requests into some window. Slots are instead
//! evenly spaced: slot i starts at t0 + i * interval. A caller that is dropped while
//! waiting simply loses its slot; nothing is held.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

/// Spacing is widened by this factor: network jitter can bring two evenly spaced
/// requests closer together on arrival than they were sent, which the service's
/// sliding window would count against us.
pub const SPACING_SAFETY_MARGIN: f64 = 1.05;

/// The interval between slots for `rate_per_second` (with the safety margin).
pub fn slot_interval(rate_per_second: f64) -> Duration {
    Duration::from_secs_f64(SPACING_SAFETY_MARGIN / rate_per_second)
}

#[derive(Debug)]
pub struct SpacingLimiter {
    next_slot: Mutex<Option<Instant>>,
}

impl SpacingLimiter {
    fn new() -> Self {
        SpacingLimiter {
            next_slot: Mutex::new(None),
        }
    }

    /// Reserves the earliest free slot, or returns `None` (reserving nothing) when that
    /// slot would start after `deadline`.
    pub fn reserve(&self, interval: Duration, deadline: Option<Instant>) -> Option<Instant> {
        let now = Instant::now();
        // A poisoned lock only means another thread panicked mid-update of an Instant;
        // the value is still usable.
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        let slot = next.map_or(now, |n| n.max(now));
        if deadline.is_some_and(|d| slot > d) {
            return None;
        }
        *next = Some(slot + interval);
        Some(slot)
    }

    /// Waits for a slot. `Err(())` when the slot would start after `deadline`.
    /// Cancel-safe: dropping the future abandons the reserved slot.
    pub async fn acquire(&self, interval: Duration, deadline: Option<Instant>) -> Result<(), ()> {
        let slot = self.reserve(interval, deadline).ok_or(())?;
        tokio::time::sleep_until(slot).await;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LimiterKey {
    access_key_id: String,
    region: String,
    action: String,
}

/// The process-wide limiter for one (access key, region, action).
pub fn limiter_for(access_key_id: &str, region: &str, action: &str) -> Arc<SpacingLimiter> {
    static REGISTRY: OnceLock<Mutex<HashMap<LimiterKey, Arc<SpacingLimiter>>>> = OnceLock::new();
    let key = LimiterKey {
        access_key_id: access_key_id.to_owned(),
        region: region.to_owned(),
        action: action.to_owned(),
    };
    let mut registry = REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    Arc::clone(
        registry
            .entry(key)
            .or_insert_with(|| Arc::new(SpacingLimiter::new())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_includes_margin() {
        assert_eq!(slot_interval(1.0), Duration::from_millis(1050));
        assert_eq!(slot_interval(10.0), Duration::from_millis(105));
    }

    #[test]
    fn registry_shares_by_key() {
        let a = limiter_for("ak-reg", "cn-hangzhou", "GetTopicList");
        let b = limiter_for("ak-reg", "cn-hangzhou", "GetTopicList");
        let c = limiter_for("ak-reg", "cn-hangzhou", "CreateTopic");
        let d = limiter_for("ak-other", "cn-hangzhou", "GetTopicList");
        let e = limiter_for("ak-reg", "cn-shanghai", "GetTopicList");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c) && !Arc::ptr_eq(&a, &d) && !Arc::ptr_eq(&a, &e));
    }

    #[test]
    fn slots_are_evenly_spaced() {
        let limiter = SpacingLimiter::new();
        let interval = slot_interval(3.0);
        let before = Instant::now();
        let slots: Vec<Instant> = (0..20)
            .map(|_| limiter.reserve(interval, None).expect("no deadline"))
            .collect();
        assert!(slots[0] >= before && slots[0] - before < Duration::from_millis(50));
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(*slot - slots[0], interval * i as u32);
        }
        // 20 calls at 3/s: the last starts 19 intervals (~6.65 s) after the first.
        assert!(slots[19] - slots[0] >= Duration::from_millis(6300));
    }

    #[tokio::test]
    async fn idle_time_does_not_build_a_burst() {
        let limiter = SpacingLimiter::new();
        let interval = Duration::from_millis(20);
        limiter.reserve(interval, None);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = Instant::now();
        let first = limiter.reserve(interval, None).expect("slot");
        let after = Instant::now();
        assert!(
            first >= before && first <= after,
            "a free limiter starts now"
        );
        assert_eq!(limiter.reserve(interval, None), Some(first + interval));
    }

    #[test]
    fn deadline_refuses_without_reserving() {
        let limiter = SpacingLimiter::new();
        let interval = Duration::from_secs(1);
        let first = limiter.reserve(interval, None).expect("slot");
        let deadline = Some(first + Duration::from_millis(500));
        assert_eq!(limiter.reserve(interval, deadline), None);
        assert_eq!(limiter.reserve(interval, deadline), None);
        // The refused callers did not consume slots.
        assert_eq!(limiter.reserve(interval, None), Some(first + interval));
    }

    #[tokio::test]
    async fn acquire_refuses_past_deadline_at_once() {
        let limiter = SpacingLimiter::new();
        let interval = Duration::from_secs(10);
        limiter
            .acquire(interval, None)
            .await
            .expect("first is free");
        let started = Instant::now();
        let deadline = Some(started + Duration::from_secs(1));
        assert!(limiter.acquire(interval, deadline).await.is_err());
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn dropped_waiter_loses_only_its_slot() {
        let limiter = Arc::new(SpacingLimiter::new());
        let interval = Duration::from_millis(200);
        let t0 = Instant::now();
        limiter.acquire(interval, None).await.expect("first");
        let waiting = {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move { limiter.acquire(interval, None).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        waiting.abort();
        assert!(waiting.await.is_err(), "aborted");
        limiter.acquire(interval, None).await.expect("third");
        let elapsed = t0.elapsed();
        // The third caller got slot 2 (the abandoned slot 1 was not reused, nor held longer).
        assert!(
            elapsed >= interval * 2 && elapsed < interval * 2 + Duration::from_millis(100),
            "{elapsed:?}"
        );
    }
}
