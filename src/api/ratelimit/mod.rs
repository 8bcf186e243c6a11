//! Client-side rate limiting: one limiter per (access key, region, endpoint, action),
//! shared by every client in the process and, through a small file-backed state
//! ([`shared`]), by every process of the machine that uses the same directory.
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
//! per window plus the answer time. Permits are granted in the order they were asked for
//! within a process; processes sharing a window take turns in the order they came.
//! When the service throttles us anyway (another machine uses the account), the rate
//! adapts ([`adaptive`]).

pub mod adaptive;
pub mod host;
pub mod shared;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use adaptive::Adaptive;
use shared::{Look, SharedDir, SharedWindow};

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

/// Whether limiters are shared with the other processes of the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RateLimitSharing {
    /// Within this process only.
    #[default]
    Off,
    /// Through the files in `path`. `chosen`: the user named it (a directory that cannot
    /// be used is then an error); otherwise it is the per-user default (a warning, and
    /// limits within the process only).
    Directory { path: PathBuf, chosen: bool },
}

impl RateLimitSharing {
    /// The directory, for messages.
    pub fn display(&self) -> String {
        match self {
            RateLimitSharing::Off => "(no directory)".to_owned(),
            RateLimitSharing::Directory { path, .. } => path.display().to_string(),
        }
    }
}

/// The directory a sharing setting opens, once per process and path. `Err` only for a
/// chosen directory that cannot be used: the reason, for the user.
pub fn open_sharing(sharing: &RateLimitSharing) -> Result<Option<Arc<SharedDir>>, String> {
    let RateLimitSharing::Directory { path, chosen } = sharing else {
        return Ok(None);
    };
    static OPENED: OnceLock<Mutex<HashMap<PathBuf, Arc<SharedDir>>>> = OnceLock::new();
    let mut opened = lock(OPENED.get_or_init(Default::default));
    if let Some(dir) = opened.get(path) {
        return Ok(Some(Arc::clone(dir)));
    }
    match SharedDir::open(path, !chosen) {
        Ok(dir) => {
            let dir = Arc::new(dir);
            opened.insert(path.clone(), Arc::clone(&dir));
            Ok(Some(dir))
        }
        Err(e) if *chosen => Err(e.to_string()),
        Err(e) => {
            tracing::warn!(
                target: "alikafka::api::ratelimit",
                directory = %path.display(),
                error = %e,
                "cannot share rate limits with other processes through this directory; \
                 limiting within this process only"
            );
            Ok(None)
        }
    }
}

/// A throttled answer, with the server's `x-acs-retry-after` if it sent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: Option<Duration>,
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
    adaptive: Adaptive,
}

impl History {
    fn gate(&self, limit: RateLimit, now: Instant, now_ns: u64) -> Gate {
        if let Some(until) = self.adaptive.held_until(now_ns) {
            return Gate::At(now + Duration::from_nanos(until - now_ns));
        }
        let limit = self.adaptive.limit(limit, now_ns);
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

/// The limiter of one (access key, region, endpoint, action).
#[derive(Debug, Default)]
pub struct WindowLimiter {
    /// Held by the one caller deciding when it may send; tokio's mutex is fair, so
    /// permits are granted first come, first served.
    turn: tokio::sync::Mutex<()>,
    history: Mutex<History>,
    answered: Notify,
    /// The window shared with other processes, if any.
    shared: Option<SharedWindow>,
    /// Set once the shared files failed: within the process from then on.
    shared_failed: AtomicBool,
    /// For the log.
    action: String,
}

/// The right to send one request. Dropping it says the request was answered (or given
/// up): keep it until the answer has arrived, and say with [`Permit::answered`] whether
/// it was throttled.
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<WindowLimiter>,
    id: u64,
    sent_at: u64,
    /// Entered in the shared window rather than in this process's history.
    shared: bool,
    throttled: Option<Throttled>,
}

impl Permit {
    /// The answer has come; `throttled` if it was the service's flow control.
    pub fn answered(mut self, throttled: Option<Throttled>) {
        self.throttled = throttled;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter
            .record_answer(self.id, self.sent_at, self.shared, self.throttled.take());
    }
}

/// Why a shared acquisition did not give a permit.
enum NoPermit {
    /// The deadline: the caller gets `Err(())`.
    Deadline,
    /// The files failed: carry on within the process.
    Files(std::io::Error),
}

impl WindowLimiter {
    fn with_shared(action: &str, shared: Option<SharedWindow>) -> WindowLimiter {
        WindowLimiter {
            shared,
            action: action.to_owned(),
            ..WindowLimiter::default()
        }
    }

    fn active_shared(&self) -> Option<&SharedWindow> {
        self.shared
            .as_ref()
            .filter(|_| !self.shared_failed.load(Ordering::Relaxed))
    }

    fn shared_failed(&self, error: &std::io::Error) {
        if !self.shared_failed.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "alikafka::api::ratelimit",
                action = %self.action,
                error = %error,
                "the rate limit shared with other processes failed; limiting within this process only"
            );
        }
    }

    /// Waits until a request may leave under `limit`, then returns its permit. `Err(())`
    /// when that would be after `deadline` (at once, when the moment is known).
    /// `answer_within`: the longest the request may wait for its answer (its timeout);
    /// other processes count it as answered then if this one hangs.
    /// Cancel-safe: a caller dropped while waiting takes nothing and blocks no one.
    pub async fn acquire(
        self: &Arc<Self>,
        limit: RateLimit,
        deadline: Option<Instant>,
        answer_within: Duration,
    ) -> Result<Permit, ()> {
        let _turn = match deadline {
            Some(d) => tokio::time::timeout_at(d, self.turn.lock())
                .await
                .map_err(|_| ())?,
            None => self.turn.lock().await,
        };
        if let Some(shared) = self.active_shared() {
            match self
                .acquire_shared(shared, limit, deadline, answer_within)
                .await
            {
                Ok(permit) => return Ok(permit),
                Err(NoPermit::Deadline) => return Err(()),
                Err(NoPermit::Files(e)) => self.shared_failed(&e),
            }
        }
        loop {
            // Registered before looking, so that an answer arriving in between wakes us.
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let gate = lock(&self.history).gate(limit, Instant::now(), host::now_ns());
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
        let sent_at = host::now_ns();
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
            sent_at,
            shared: false,
            throttled: None,
        })
    }

    /// [`WindowLimiter::acquire`] through the shared files: looks at the shared state until
    /// the window (and the processes ahead in the queue) let the request leave.
    async fn acquire_shared(
        self: &Arc<Self>,
        shared: &SharedWindow,
        limit: RateLimit,
        deadline: Option<Instant>,
        answer_within: Duration,
    ) -> Result<Permit, NoPermit> {
        let me = host::me();
        let mut place = QueuePlace { shared, id: None };
        loop {
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let now_ns = host::now_ns();
            let look = shared
                .update(|state| {
                    state.look(
                        me,
                        now_ns,
                        limit,
                        answer_within,
                        &mut place.id,
                        &host::liveness,
                    )
                })
                .map_err(NoPermit::Files)?;
            let now = Instant::now();
            let next_look = now + shared::POLL;
            match look {
                Look::Taken { id } => {
                    return Ok(Permit {
                        limiter: Arc::clone(self),
                        id,
                        sent_at: now_ns,
                        shared: true,
                        throttled: None,
                    });
                }
                Look::At(at) => {
                    let when = now + Duration::from_nanos(at.saturating_sub(now_ns));
                    if deadline.is_some_and(|d| when > d) {
                        return Err(NoPermit::Deadline);
                    }
                    // Looking again every poll keeps our place in the queue alive.
                    tokio::time::sleep_until(when.min(next_look)).await;
                }
                Look::AwaitAnswer | Look::Behind => {
                    let wake = deadline.map_or(next_look, |d| d.min(next_look));
                    tokio::select! {
                        _ = answered => {}
                        _ = tokio::time::sleep_until(wake) => {}
                    }
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(NoPermit::Deadline);
                    }
                }
            }
        }
    }

    fn record_answer(&self, id: u64, sent_at: u64, shared: bool, throttled: Option<Throttled>) {
        let now_ns = host::now_ns();
        let lowered = if shared {
            match self.shared.as_ref().map(|window| {
                window.update(|state| {
                    let lowered = state.record(id, now_ns, throttled);
                    (lowered, state.adaptive.factor(now_ns))
                })
            }) {
                Some(Ok((lowered, factor))) => lowered.then_some(factor),
                Some(Err(e)) => {
                    self.shared_failed(&e);
                    None
                }
                None => None,
            }
        } else {
            let mut history = lock(&self.history);
            if let Some(sent) = history.recent.iter_mut().rev().find(|s| s.id == id) {
                sent.answered_at.get_or_insert_with(Instant::now);
            }
            let lowered = throttled.is_some_and(|Throttled { retry_after }| {
                history.adaptive.throttled(sent_at, now_ns, retry_after)
            });
            lowered.then(|| history.adaptive.factor(now_ns))
        };
        if let Some(factor) = lowered {
            tracing::info!(
                target: "alikafka::api::ratelimit",
                action = %self.action,
                factor,
                "throttled despite pacing (another machine or tool uses the account): \
                 this action's rate lowered to this fraction of its setting"
            );
        }
        self.answered.notify_waiters();
    }
}

/// A process's place in the shared queue, given up when the waiting caller is dropped.
struct QueuePlace<'a> {
    shared: &'a SharedWindow,
    id: Option<u64>,
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            // At worst the place goes stale and others pass it over after a second.
            let _ = self.shared.update(|state| state.forget_ticket(id));
        }
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
    endpoint: String,
    action: String,
    directory: Option<PathBuf>,
}

/// The process-wide limiter for one (access key, region, endpoint, action), shared through
/// `sharing` (from [`open_sharing`]) with the other processes that use it.
pub fn limiter_for(
    access_key_id: &str,
    region: &str,
    endpoint: &str,
    action: &str,
    sharing: Option<&Arc<SharedDir>>,
) -> Arc<WindowLimiter> {
    static REGISTRY: OnceLock<Mutex<HashMap<LimiterKey, Arc<WindowLimiter>>>> = OnceLock::new();
    let key = LimiterKey {
        access_key_id: access_key_id.to_owned(),
        region: region.to_owned(),
        endpoint: endpoint.to_owned(),
        action: action.to_owned(),
        directory: sharing.map(|dir| dir.path().to_path_buf()),
    };
    let mut registry = lock(REGISTRY.get_or_init(Default::default));
    let limiter = registry.entry(key).or_insert_with(|| {
        let shared = sharing.and_then(|dir| {
            SharedWindow::open(dir, access_key_id, region, endpoint, action)
                .map_err(|e| {
                    tracing::warn!(
                        target: "alikafka::api::ratelimit",
                        directory = %dir.path().display(),
                        error = %e,
                        "cannot share this rate limit with other processes; limiting within this process only"
                    );
                })
                .ok()
        });
        Arc::new(WindowLimiter::with_shared(action, shared))
    });
    Arc::clone(limiter)
}

/// The per-user default directory for sharing (see [`shared::default_dir`]).
pub fn default_sharing_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    shared::default_dir(env)
}

/// Whether `path` may name a sharing directory: absolute, so that every process (each
/// started in its own module's directory) means the same one.
pub fn valid_sharing_dir(path: &Path) -> bool {
    path.is_absolute()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Answers in these tests come long before this.
    const WITHIN: Duration = Duration::from_secs(10);

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
        let url = "https://alikafka.cn-hangzhou.aliyuncs.com";
        let a = limiter_for("ak-reg", "cn-hangzhou", url, "GetTopicList", None);
        let b = limiter_for("ak-reg", "cn-hangzhou", url, "GetTopicList", None);
        let c = limiter_for("ak-reg", "cn-hangzhou", url, "CreateTopic", None);
        let d = limiter_for("ak-other", "cn-hangzhou", url, "GetTopicList", None);
        let e = limiter_for("ak-reg", "cn-shanghai", url, "GetTopicList", None);
        // Another service (an emulator on another port) has its own budget.
        let f = limiter_for(
            "ak-reg",
            "cn-hangzhou",
            "http://127.0.0.1:1",
            "GetTopicList",
            None,
        );
        assert!(Arc::ptr_eq(&a, &b));
        for other in [&c, &d, &e, &f] {
            assert!(!Arc::ptr_eq(&a, other));
        }
    }

    #[tokio::test]
    async fn a_burst_of_count_leaves_at_once_and_the_next_waits_a_window_after_an_answer() {
        let limiter = Arc::new(WindowLimiter::default());
        let limit = limit(3, 200);
        let started = Instant::now();
        let burst: Vec<Permit> = {
            let mut permits = Vec::new();
            for _ in 0..3 {
                permits.push(limiter.acquire(limit, None, WITHIN).await.expect("free"));
            }
            permits
        };
        assert!(started.elapsed() < Duration::from_millis(50));
        // The first answer comes after 100 ms: the fourth request leaves a window later.
        let fourth = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let _permit = limiter.acquire(limit, None, WITHIN).await.expect("fourth");
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
        let first = limiter.acquire(limit, None, WITHIN).await.expect("first");
        let second = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                limiter
                    .acquire(limit, None, WITHIN)
                    .await
                    .map(|_| Instant::now())
            })
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
        drop(limiter.acquire(limit, None, WITHIN).await.expect("first"));
        let started = Instant::now();
        let deadline = Some(started + Duration::from_secs(1));
        assert!(limiter.acquire(limit, deadline, WITHIN).await.is_err());
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "refused at once"
        );
        // Waiting for an answer that does not come ends at the deadline.
        let slow = Arc::new(WindowLimiter::default());
        let held = slow.acquire(limit, None, WITHIN).await.expect("held");
        let deadline = Instant::now() + Duration::from_millis(100);
        assert!(slow.acquire(limit, Some(deadline), WITHIN).await.is_err());
        assert!(Instant::now() >= deadline);
        drop(held);
    }

    #[tokio::test]
    async fn a_dropped_waiter_blocks_no_one() {
        let limiter = Arc::new(WindowLimiter::default());
        let limit = limit(1, 100);
        drop(limiter.acquire(limit, None, WITHIN).await.expect("first"));
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire(limit, None, WITHIN).await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        waiting.abort();
        assert!(waiting.await.is_err(), "aborted");
        let started = Instant::now();
        drop(limiter.acquire(limit, None, WITHIN).await.expect("third"));
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
                    let permit = limiter.acquire(limit, None, WITHIN).await.expect("permit");
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
