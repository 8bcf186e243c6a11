//! Flow control: at most N accepted requests per account and action in any sliding
//! one-second window `(now - 1s, now]`. Rejected requests do not consume the budget.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(String, &'static str), VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Admits the request (and counts it) if fewer than `limit` were admitted in the window.
    pub fn try_acquire(
        &self,
        account: &str,
        action: &'static str,
        limit: u32,
        now: Instant,
    ) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry((account.to_string(), action)).or_default();
        while window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            return false;
        }
        window.push_back(now);
        true
    }

    pub fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_admits_n_per_second_and_ignores_rejections() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        assert!(limiter.try_acquire("a", "X", 3, ms(0)));
        assert!(limiter.try_acquire("a", "X", 3, ms(100)));
        assert!(limiter.try_acquire("a", "X", 3, ms(200)));
        assert!(!limiter.try_acquire("a", "X", 3, ms(300)));
        // Other accounts and actions have their own budget.
        assert!(limiter.try_acquire("b", "X", 3, ms(300)));
        assert!(limiter.try_acquire("a", "Y", 3, ms(300)));
        // The rejected call at 300 did not count: at 1000 the first slot (t=0) has left.
        assert!(limiter.try_acquire("a", "X", 3, ms(1000)));
        assert!(!limiter.try_acquire("a", "X", 3, ms(1099)));
        assert!(limiter.try_acquire("a", "X", 3, ms(1100)));
    }
}
