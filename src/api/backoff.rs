//! Exponential backoff with full jitter.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First ceiling for ordinary transient errors.
    pub base: Duration,
    /// First ceiling after throttling: the service needs longer to recover.
    pub throttled_base: Duration,
    /// No delay ever exceeds this (a server's `x-acs-retry-after` excepted, see below).
    pub cap: Duration,
    /// Upper bound on an honoured `x-acs-retry-after`.
    pub max_retry_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(100),
            throttled_base: Duration::from_millis(500),
            cap: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The ceiling before retry number `retry` (0 for the first retry): base * 2^retry, capped.
    pub fn ceiling(&self, retry: u32, throttled: bool) -> Duration {
        let base = if throttled {
            self.throttled_base
        } else {
            self.base
        };
        base.saturating_mul(1u32 << retry.min(20)).min(self.cap)
    }

    /// The delay before retry number `retry`: the server's `retry_after` when it sent one,
    /// else uniformly random in [0, ceiling] ("full jitter").
    pub fn delay(&self, retry: u32, throttled: bool, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_retry_after);
        }
        let ceiling = self.ceiling(retry, throttled);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_and_cap() {
        let b = Backoff::default();
        assert_eq!(b.ceiling(0, false), Duration::from_millis(100));
        assert_eq!(b.ceiling(1, false), Duration::from_millis(200));
        assert_eq!(b.ceiling(3, false), Duration::from_millis(800));
        assert_eq!(b.ceiling(0, true), Duration::from_millis(500));
        assert_eq!(b.ceiling(2, true), Duration::from_millis(2000));
        assert_eq!(b.ceiling(10, true), Duration::from_secs(5));
        assert_eq!(b.ceiling(u32::MAX, false), Duration::from_secs(5));
    }

    #[test]
    fn delays_stay_within_the_ceiling_and_vary() {
        let b = Backoff::default();
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(2, false, None)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(400)));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 10, "jitter should spread delays");
    }

    #[test]
    fn retry_after_wins_but_is_bounded() {
        let b = Backoff::default();
        let after = Duration::from_millis(1234);
        assert_eq!(b.delay(0, true, Some(after)), after);
        assert_eq!(
            b.delay(0, true, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
    }
}
