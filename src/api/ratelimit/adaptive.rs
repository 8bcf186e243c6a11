//! The rate an action actually gets when others use the account too: lowered when the
//! service throttles us despite our pacing, raised again slowly while it does not.
//!
//! Processes of one machine share one window (and this state) and are never throttled by
//! each other. A throttled answer therefore means another machine (or another tool) uses
//! the same budget. No state can be shared with it, so each machine's limiter behaves as
//! one AIMD flow, as TCP senders sharing a link do:
//!
//! - **multiplicative decrease**: a throttled answer halves the rate (`DECREASE`), once
//!   per congestion event: answers to calls that left before the last decrease say nothing
//!   new (they were paced at the old rate), so a burst of them counts once;
//! - **additive increase**: from then on the rate climbs back by `INCREASE_PER_SECOND` of
//!   the configured rate each second without a new decrease (from half to full in 10 s,
//!   about ten windows: slow next to the one-second window in which throttling reacts);
//! - never below `MIN_FACTOR` of the configured rate (one machine's fair share among 16).
//!
//! Several machines each halving on their own throttles and growing at the same slope
//! converge on sharing the budget; a simulation of two machines sending 40 CreateTopic
//! calls each at 1/s (1,000 runs, FIFO retries with the client's backoff) gave a median of
//! 87 s for the 80 (against 80 s at the budget), about 11 throttled answers and no call
//! out of retries; without the decrease, 48 throttled answers and 6.5 % of runs with a
//! call that ran out of its 5 retries. Faster growth (0.1/s) or a gentler decrease (0.7)
//! finished sooner but let some calls run out of retries.
//!
//! A server's `x-acs-retry-after` holds back every call of the action until it has passed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::host::ns;
use super::RateLimit;

pub const DECREASE: f64 = 0.5;
pub const INCREASE_PER_SECOND: f64 = 0.05;
pub const MIN_FACTOR: f64 = 1.0 / 16.0;
/// Upper bound on an honoured `x-acs-retry-after` (as the backoff's).
pub const MAX_HOLD: Duration = Duration::from_secs(60);

/// Times are nanoseconds on the machine clock ([`super::host::now_ns`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Adaptive {
    /// The fraction of the configured rate right after the last decrease.
    base: f64,
    /// When the rate was last decreased; `None`: never, the configured rate applies.
    decreased_at: Option<u64>,
    /// No call leaves before this (the service's `x-acs-retry-after`).
    hold_until: Option<u64>,
}

impl Adaptive {
    /// The fraction of the configured rate in force at `now`, in `[MIN_FACTOR, 1]`.
    pub fn factor(&self, now: u64) -> f64 {
        match self.decreased_at {
            None => 1.0,
            Some(at) => {
                let since = now.saturating_sub(at) as f64 / 1e9;
                (self.base + INCREASE_PER_SECOND * since).clamp(MIN_FACTOR, 1.0)
            }
        }
    }

    /// `configured`, lowered to the rate in force at `now`.
    pub fn limit(&self, configured: RateLimit, now: u64) -> RateLimit {
        let factor = self.factor(now);
        if factor >= 1.0 {
            return configured;
        }
        let rate = configured.count as f64 / configured.window.as_secs_f64();
        RateLimit::per_second(rate * factor).unwrap_or(configured)
    }

    /// The moment before which no call may leave, if it is still to come.
    pub fn held_until(&self, now: u64) -> Option<u64> {
        self.hold_until.filter(|&until| until > now)
    }

    /// A throttled answer at `now` to a call sent at `sent_at`. Returns whether the rate
    /// was lowered.
    pub fn throttled(&mut self, sent_at: u64, now: u64, retry_after: Option<Duration>) -> bool {
        if let Some(after) = retry_after {
            let until = now.saturating_add(ns(after.min(MAX_HOLD)));
            self.hold_until = Some(self.hold_until.map_or(until, |u| u.max(until)));
        }
        if self.decreased_at.is_some_and(|at| sent_at < at) {
            return false;
        }
        self.base = (self.factor(now) * DECREASE).max(MIN_FACTOR);
        self.decreased_at = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn per_second(rate: f64) -> RateLimit {
        RateLimit::per_second(rate).expect("rate")
    }

    #[test]
    fn a_throttle_halves_the_rate_and_it_climbs_back_linearly() {
        let mut a = Adaptive::default();
        let t0 = 100 * S;
        assert_eq!(a.limit(per_second(3.0), t0), per_second(3.0));
        assert!(a.throttled(t0 - S / 2, t0, None));
        assert_eq!(a.factor(t0), 0.5);
        assert_eq!(a.limit(per_second(3.0), t0), per_second(1.5));
        assert_eq!(a.limit(per_second(1.0), t0), per_second(0.5));
        // 5 s later: 0.5 + 5 × 0.05 = 0.75.
        assert!((a.factor(t0 + 5 * S) - 0.75).abs() < 1e-9);
        // Back to the configured rate after 10 s, and no further.
        assert_eq!(a.factor(t0 + 10 * S), 1.0);
        assert_eq!(a.limit(per_second(3.0), t0 + 60 * S), per_second(3.0));
    }

    #[test]
    fn answers_to_calls_sent_before_the_decrease_do_not_decrease_again() {
        let mut a = Adaptive::default();
        let t0 = 100 * S;
        assert!(a.throttled(t0 - S, t0, None));
        // Two more calls of the same burst come back throttled.
        assert!(!a.throttled(t0 - S / 2, t0 + S / 10, None));
        assert!(!a.throttled(t0 - 1, t0 + S / 5, None));
        assert_eq!(a.factor(t0), 0.5);
        // A call paced at the lowered rate is throttled too: the rate halves again, from
        // where it had climbed to.
        assert!(a.throttled(t0 + 2 * S, t0 + 2 * S, None));
        assert!((a.factor(t0 + 2 * S) - 0.3).abs() < 1e-9);
    }

    #[test]
    fn the_rate_never_drops_below_the_floor() {
        let mut a = Adaptive::default();
        for i in 0..20 {
            a.throttled(i * S, i * S, None);
        }
        assert_eq!(a.factor(19 * S), MIN_FACTOR);
        // 1/s × 1/16: one call per 16 s.
        assert_eq!(
            a.limit(per_second(1.0), 19 * S),
            RateLimit {
                count: 1,
                window: Duration::from_secs(16)
            }
        );
    }

    #[test]
    fn retry_after_holds_every_call_back_bounded() {
        let mut a = Adaptive::default();
        let t0 = 100 * S;
        a.throttled(t0, t0, Some(Duration::from_millis(1500)));
        assert_eq!(a.held_until(t0), Some(t0 + 3 * S / 2));
        assert_eq!(a.held_until(t0 + 2 * S), None);
        // A shorter hint does not shorten a longer hold; an absurd one is capped.
        a.throttled(t0, t0 + S / 10, Some(Duration::from_millis(10)));
        assert_eq!(a.held_until(t0), Some(t0 + 3 * S / 2));
        a.throttled(t0, t0, Some(Duration::from_secs(3600)));
        assert_eq!(a.held_until(t0), Some(t0 + 60 * S));
    }
}
