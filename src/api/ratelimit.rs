//! Client-side rate limiting: one limiter per (access key, region, action), shared by
//! every client in the process.
//!
//! The service admits at most N requests of an action in any sliding one-second window and
//! throttles the rest. It counts a request at some moment between our sending it and our
//! receiving its answer; where exactly, network and server delays decide. So a request
//! leaves only once the request N places before it has been answered a full window ago:
//! whatever the delays, the service counted those two more than a window apart, and never
//! sees N + 1 in one window. Spacing requests evenly instead would need a safety margin
//! wide enough for the worst delay, and a loaded machine still beats any margin.
//!
//! Up to N requests may leave at once, as the service allows; a steady stream runs at N
//! per window plus the answer time. Permits are granted in the order they were asked for.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Added to every window: the service's clock may run a little faster than ours.
pub const WINDOW_MARGIN: Duration = Duration::from_millis(10);

/// At most `count` requests in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub count: usize,
    pub window: Duration,
}

impl RateLimit {
    /// `rate` requests per second, as whole requests per window: 3/s is 3 per second,
    /// 2.5/s is 2 per 0.8 s, 0.5/s is 1 per 2 s. `None` for a rate that is not a positive
    /// finite number.
    pub fn per_second(rate: f64) -> Option<RateLimit> {
        if !(rate.is_finite() && rate > 0.0) {
            return None;
        }
        // Whole requests; a rate far beyond any service's is capped rather than overflowing.
        let count = rate.floor().clamp(1.0, 1_000_000.0);
        Some(RateLimit {
            count: count as usize,
            window: Duration::from_secs_f64(count / rate),
        })
    }
}

/// Whether the next request may leave.
enum Gate {
    Open,
    /// Once this instant has passed.
    At(Instant),
    /// Not before the request `count` places back has been answered.
    AwaitAnswer,
}

#[derive(Debug)]
struct Sent {
    id: u64,
    answered_at: Option<Instant>,
}

#[derive(Debug, Default)]
struct History {
    next_id: u64,
    /// The latest requests, in the order they left; as many as the last limit counts.
    recent: VecDeque<Sent>,
}

impl History {
    fn gate(&self, limit: RateLimit, now: Instant) -> Gate {
        let Some(index) = self.recent.len().checked_sub(limit.count) else {
            return Gate::Open;
        };
        match self.recent[index].answered_at {
            None => Gate::AwaitAnswer,
            Some(answered) => {
                let free_at = answered + limit.window + WINDOW_MARGIN;
                if now >= free_at {
                    Gate::Open
                } else {
                    Gate::At(free_at)
                }
            }
        }
    }
}

/// The limiter of one (access key, region, action).
#[derive(Debug, Default)]
pub struct WindowLimiter {
    /// Held by the one caller deciding when it may send; tokio's mutex is fair, so
    /// permits are granted first come, first served.
    turn: tokio::sync::Mutex<()>,
    history: Mutex<History>,
    answered: Notify,
}

/// The right to send one request. Dropping it says the request was answered (or given
/// up): keep it until the answer has arrived.
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<WindowLimiter>,
    id: u64,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.record_answer(self.id);
    }
}

impl WindowLimiter {
    /// Waits until a request may leave under `limit`, then returns its permit. `Err(())`
    /// when that would be after `deadline` (at once, when the moment is known).
    /// Cancel-safe: a caller dropped while waiting takes nothing and blocks no one.
    pub async fn acquire(
        self: &Arc<Self>,
        limit: RateLimit,
        deadline: Option<Instant>,
    ) -> Result<Permit, ()> {
        let _turn = match deadline {
            Some(d) => tokio::time::timeout_at(d, self.turn.lock())
                .await
                .map_err(|_| ())?,
            None => self.turn.lock().await,
        };
        loop {
            // Registered before looking, so that an answer arriving in between wakes us.
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let gate = lock(&self.history).gate(limit, Instant::now());
            match gate {
                Gate::Open => break,
                Gate::At(when) => {
                    if deadline.is_some_and(|d| when > d) {
                        return Err(());
                    }
                    tokio::time::sleep_until(when).await;
                }
                Gate::AwaitAnswer => match deadline {
                    Some(d) => {
                        if tokio::time::timeout_at(d, answered).await.is_err() {
                            return Err(());
                        }
                    }
                    None => answered.await,
                },
            }
        }
        let mut history = lock(&self.history);
        let id = history.next_id;
        history.next_id += 1;
        history.recent.push_back(Sent {
            id,
            answered_at: None,
        });
        while history.recent.len() > limit.count {
            history.recent.pop_front();
        }
        Ok(Permit {
            limiter: Arc::clone(self),
            id,
        })
    }

    fn record_answer(&self, id: u64) {
        let mut history = lock(&self.history);
        if let Some(sent) = history.recent.iter_mut().rev().find(|s| s.id == id) {
            sent.answered_at.get_or_insert_with(Instant::now);
        }
        drop(history);
        self.answered.notify_waiters();
    }
}

/// A poisoned lock only means another thread panicked mid-update of a few fields; the
/// history is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LimiterKey {
    access_key_id: String,
    region: String,
    action: String,
}

/// The process-wide limiter for one (access key, region, action).
pub fn limiter_for(access_key_id: &str, region: &str, action: &str) -> Arc<WindowLimiter> {
    static REGISTRY: OnceLock<Mutex<HashMap<LimiterKey, Arc<WindowLimiter>>>> = OnceLock::new();
    let key = LimiterKey {
        access_key_id: access_key_id.to_owned(),
        region: region.to_owned(),
        action: action.to_owned(),
    };
    let mut registry = lock(REGISTRY.get_or_init(Default::default));
    Arc::clone(registry.entry(key).or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn limit(count: usize, window_ms: u64) -> RateLimit {
        RateLimit {
            count,
            window: Duration::from_millis(window_ms),
        }
    }

    #[test]
    fn rates_become_whole_requests_per_window() {
        assert_eq!(RateLimit::per_second(3.0), Some(limit(3, 1000)));
        assert_eq!(RateLimit::per_second(20.0), Some(limit(20, 1000)));
        assert_eq!(RateLimit::per_second(2.5), Some(limit(2, 800)));
        assert_eq!(RateLimit::per_second(0.5), Some(limit(1, 2000)));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(RateLimit::per_second(bad), None, "{bad}");
        }
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

    #[tokio::test]
    async fn a_burst_of_count_leaves_at_once_and_the_next_waits_a_window_after_an_answer() {
        let limiter = Arc::new(WindowLimiter::default());
        let limit = limit(3, 200);
        let started = Instant::now();
        let burst: Vec<Permit> = {
            let mut permits = Vec::new();
            for _ in 0..3 {
                permits.push(limiter.acquire(limit, None).await.expect("free"));
            }
            permits
        };
        assert!(started.elapsed() < Duration::from_millis(50));
        // The first answer comes after 100 ms: the fourth request leaves a window later.
        let fourth = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let _permit = limiter.acquire(limit, None).await.expect("fourth");
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let answered = Instant::now();
        drop(burst);
        let left = fourth.await.expect("joined");
        assert!(left >= answered + limit.window + WINDOW_MARGIN);
        assert!(left < answered + limit.window + Duration::from_millis(100));
    }

    #[tokio::test]
    async fn an_unanswered_request_holds_back_the_one_count_places_after_it() {
        let limiter = Arc::new(WindowLimiter::default());
        let limit = limit(1, 20);
        let first = limiter.acquire(limit, None).await.expect("first");
        let second = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire(limit, None).await.map(|_| Instant::now()) })
        };
        // Long past the window, the second still waits: the first is not answered.
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(!second.is_finished());
        let answered = Instant::now();
        drop(first);
        let left = second.await.expect("joined").expect("second");
        assert!(left >= answered + limit.window);
    }

    #[tokio::test]
    async fn deadlines_refuse_without_taking_a_place() {
        let limiter = Arc::new(WindowLimiter::default());
        let limit = limit(1, 10_000);
        drop(limiter.acquire(limit, None).await.expect("first"));
        let started = Instant::now();
        let deadline = Some(started + Duration::from_secs(1));
        assert!(limiter.acquire(limit, deadline).await.is_err());
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "refused at once"
        );
        // Waiting for an answer that does not come ends at the deadline.
        let slow = Arc::new(WindowLimiter::default());
        let held = slow.acquire(limit, None).await.expect("held");
        let deadline = Instant::now() + Duration::from_millis(100);
        assert!(slow.acquire(limit, Some(deadline)).await.is_err());
        assert!(Instant::now() >= deadline);
        drop(held);
    }

    #[tokio::test]
    async fn a_dropped_waiter_blocks_no_one() {
        let limiter = Arc::new(WindowLimiter::default());
        let limit = limit(1, 100);
        drop(limiter.acquire(limit, None).await.expect("first"));
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire(limit, None).await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        waiting.abort();
        assert!(waiting.await.is_err(), "aborted");
        let started = Instant::now();
        drop(limiter.acquire(limit, None).await.expect("third"));
        assert!(started.elapsed() < Duration::from_millis(150));
    }

    /// The promise itself: a server that counts each request at any moment between its
    /// sending and its answer never sees more than `count` in one window.
    #[tokio::test]
    async fn no_window_ever_holds_more_than_count_whatever_the_delays() {
        let limiter = Arc::new(WindowLimiter::default());
        let limit = limit(4, 100);
        let counted = Arc::new(Mutex::new(Vec::new()));
        let calls: Vec<_> = (0..40)
            .map(|_| {
                let (limiter, counted) = (limiter.clone(), counted.clone());
                tokio::spawn(async move {
                    let permit = limiter.acquire(limit, None).await.expect("permit");
                    let (to_server, to_us) = {
                        let mut rng = rand::thread_rng();
                        (rng.gen_range(0..30u64), rng.gen_range(0..30u64))
                    };
                    tokio::time::sleep(Duration::from_millis(to_server)).await;
                    lock(&counted).push(Instant::now());
                    tokio::time::sleep(Duration::from_millis(to_us)).await;
                    drop(permit);
                })
            })
            .collect();
        for call in calls {
            call.await.expect("joined");
        }
        let mut counted = lock(&counted).clone();
        counted.sort();
        assert_eq!(counted.len(), 40);
        for (j, end) in counted.iter().enumerate() {
            let in_window = counted[..=j]
                .iter()
                .filter(|t| *end - **t < limit.window)
                .count();
            assert!(in_window <= limit.count, "{in_window} in one window");
        }
    }
}
