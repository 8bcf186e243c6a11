//! One place per instance through which every read of a list goes.
//!
//! Terraform refreshes each resource with its own ReadResource call, concurrently. Asking
//! the service once per resource would cost N calls per plan and hit its 3 requests/s
//! limit, so reads of the same instance share one in-flight fetch, later reads reuse its
//! answer, and any write to the instance invalidates it. Waits after a write ask for a
//! list fetched *after* the write ([`SharedList::get_fresh`]), which many waiters share.
//!
//! A fetch is stamped with the moment its request went out ([`SendMark`]), not the moment
//! it was asked for: a fetch still waiting for its rate-limit slot will see every write
//! finished before it leaves, so each waiter joins it. During an apply of many topics,
//! where a write finishes every few tens of milliseconds, all waits then share one list
//! per rate-limit slot instead of each asking for its own.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::time::Instant;

/// A list and when the request that fetched it went out.
type Stamped<T> = (Arc<T>, Instant);
type SharedFetch<T, E> = Shared<BoxFuture<'static, Result<Stamped<T>, E>>>;

/// Handed to every fetch, which calls [`SendMark::mark`] right before its first request
/// goes out (after any rate-limit wait). Until then the fetch counts as not sent: any
/// caller, whatever it wrote before, may join it.
#[derive(Clone, Debug, Default)]
pub struct SendMark(Arc<OnceLock<Instant>>);

impl SendMark {
    /// Records now as the send time; later calls (retries, further pages) change nothing.
    pub fn mark(&self) {
        let _ = self.0.set(Instant::now());
    }

    fn sent_at(&self) -> Option<Instant> {
        self.0.get().copied()
    }
}

struct InFlight<T, E> {
    id: u64,
    /// The slot's generation when the fetch was asked for.
    generation: u64,
    sent: SendMark,
    fetch: SharedFetch<T, E>,
}

struct Completed<T> {
    generation: u64,
    /// When its request went out.
    sent_at: Instant,
    value: Arc<T>,
}

struct Slot<T, E> {
    /// Bumped by every write to the key.
    generation: u64,
    /// When the last fetch was asked for.
    last_asked: Option<Instant>,
    /// The most recently sent fetch that succeeded.
    latest: Option<Completed<T>>,
    in_flight: Option<InFlight<T, E>>,
}

impl<T, E> Default for Slot<T, E> {
    fn default() -> Self {
        Slot {
            generation: 0,
            last_asked: None,
            latest: None,
            in_flight: None,
        }
    }
}

struct Slots<T, E> {
    next_id: u64,
    by_key: HashMap<String, Slot<T, E>>,
}

/// A per-key (per-instance) cache of one list, with request coalescing.
pub struct SharedList<T, E> {
    slots: Arc<Mutex<Slots<T, E>>>,
    min_spacing: Duration,
}

impl<T, E> Default for SharedList<T, E> {
    fn default() -> Self {
        SharedList::spaced(Duration::ZERO)
    }
}

impl<T, E> SharedList<T, E> {
    /// A list whose fetches of one key are asked for at least `min_spacing` apart: when
    /// the service's read limit is high, waits after a stream of writes would otherwise
    /// fetch a whole list for nearly every write.
    pub fn spaced(min_spacing: Duration) -> Self {
        SharedList {
            slots: Arc::new(Mutex::new(Slots {
                next_id: 0,
                by_key: HashMap::new(),
            })),
            min_spacing,
        }
    }
}

impl<T, E> SharedList<T, E>
where
    T: Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// The list of `key`, from the cache if nothing was written since it was fetched.
    /// `fetch` must call [`SendMark::mark`] before its request goes out.
    pub async fn get<F, Fut>(&self, key: &str, fetch: F) -> Result<Arc<T>, E>
    where
        F: FnOnce(SendMark) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.lookup(key, None, fetch).await.map(|(value, _)| value)
    }

    /// The list of `key` as fetched by a request sent no earlier than `not_before`
    /// (typically the moment a write returned; never in the future), shared with every
    /// other caller that can use the same answer.
    pub async fn get_fresh<F, Fut>(
        &self,
        key: &str,
        not_before: Instant,
        fetch: F,
    ) -> Result<Arc<T>, E>
    where
        F: FnOnce(SendMark) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.get_fresh_stamped(key, not_before, fetch)
            .await
            .map(|(value, _)| value)
    }

    /// [`SharedList::get_fresh`], also returning when the answer's request went out. A
    /// poll that must see a list newer than the last one it saw passes that instant (plus
    /// a nanosecond) as `not_before`, so that it joins any fetch another waiter started.
    pub async fn get_fresh_stamped<F, Fut>(
        &self,
        key: &str,
        not_before: Instant,
        fetch: F,
    ) -> Result<(Arc<T>, Instant), E>
    where
        F: FnOnce(SendMark) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.lookup(key, Some(not_before), fetch).await
    }

    /// Forgets what is known of `key` for plain reads: the next [`SharedList::get`]
    /// fetches again. Called on every write.
    pub fn invalidate(&self, key: &str) {
        let mut slots = lock(&self.slots);
        slots.by_key.entry(key.to_string()).or_default().generation += 1;
    }

    /// The answer to wait for: the latest one, a fetch in flight, or a new fetch.
    ///
    /// A plain read (`not_before` = None) needs an answer asked for since the last write
    /// (same generation). A fresh read needs one whose request went out at or after
    /// `not_before`, or a fetch not sent yet; writes by others do not matter to it.
    fn lookup<F, Fut>(&self, key: &str, not_before: Option<Instant>, fetch: F) -> SharedFetch<T, E>
    where
        F: FnOnce(SendMark) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let mut slots = lock(&self.slots);
        let id = slots.next_id;
        slots.next_id += 1;
        let slot = slots.by_key.entry(key.to_string()).or_default();
        let current = slot.generation;
        let answers = |generation: u64, sent_at: Option<Instant>| match not_before {
            None => generation == current,
            Some(t) => sent_at.is_none_or(|sent| sent >= t),
        };
        if let Some(done) = &slot.latest {
            if answers(done.generation, Some(done.sent_at)) {
                let value: Result<Stamped<T>, E> = Ok((done.value.clone(), done.sent_at));
                return futures::future::ready(value).boxed().shared();
            }
        }
        if let Some(f) = &slot.in_flight {
            if answers(f.generation, f.sent.sent_at()) {
                return f.fetch.clone();
            }
        }
        let sent = SendMark::default();
        let asked_at = Instant::now();
        let start_at = slot
            .last_asked
            .map_or(asked_at, |last| (last + self.min_spacing).max(asked_at));
        slot.last_asked = Some(start_at);
        let request = fetch(sent.clone());
        // Spawned so that a caller cancelled by Terraform's Ctrl-C does not cancel the
        // fetch for everyone else sharing it. Until it starts, it is not sent: callers
        // join it.
        let task = tokio::spawn(async move {
            tokio::time::sleep_until(start_at).await;
            request.await
        });
        let shared_slots = self.slots.clone();
        let owned_key = key.to_string();
        let mark = sent.clone();
        let fut: BoxFuture<'static, Result<Stamped<T>, E>> = async move {
            let result = match task.await {
                Ok(result) => result.map(Arc::new),
                Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
            };
            // A fetch that never marked is dated when it was asked for: no later than
            // any request it sent.
            let sent_at = mark.sent_at().unwrap_or(asked_at);
            let mut slots = lock(&shared_slots);
            let slot = slots.by_key.entry(owned_key).or_default();
            if slot.in_flight.as_ref().is_some_and(|f| f.id == id) {
                slot.in_flight = None;
            }
            if let Ok(value) = &result {
                if slot.latest.as_ref().is_none_or(|l| l.sent_at <= sent_at) {
                    slot.latest = Some(Completed {
                        generation: current,
                        sent_at,
                        value: value.clone(),
                    });
                }
            }
            result.map(|value| (value, sent_at))
        }
        .boxed();
        let shared = fut.shared();
        slot.in_flight = Some(InFlight {
            id,
            generation: current,
            sent,
            fetch: shared.clone(),
        });
        shared
    }
}

/// The map is never left half-updated by a panic (every critical section is a few field
/// writes), so a poisoned lock is still safe to use.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn counting_fetch(
        calls: &Arc<AtomicUsize>,
        value: u32,
    ) -> impl FnOnce(SendMark) -> BoxFuture<'static, Result<u32, String>> {
        queued_fetch(calls, value, Duration::ZERO)
    }

    /// A fetch that waits `queued` (as for a rate-limit slot), then sends and takes 50 ms.
    fn queued_fetch(
        calls: &Arc<AtomicUsize>,
        value: u32,
        queued: Duration,
    ) -> impl FnOnce(SendMark) -> BoxFuture<'static, Result<u32, String>> {
        let calls = calls.clone();
        move |sent: SendMark| {
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(queued).await;
                sent.mark();
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(value)
            }
            .boxed()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_reads_share_one_fetch_and_later_reads_reuse_it() {
        let list: Arc<SharedList<u32, String>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..50)
            .map(|_| {
                let list = list.clone();
                let fetch = counting_fetch(&calls, 7);
                tokio::spawn(async move { list.get("i1", fetch).await })
            })
            .collect();
        for r in readers {
            assert_eq!(*r.await.unwrap().unwrap(), 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(*list.get("i1", counting_fetch(&calls, 8)).await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another instance has its own list.
        assert_eq!(*list.get("i2", counting_fetch(&calls, 9)).await.unwrap(), 9);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_invalidates_and_a_read_after_it_sees_new_data() {
        let list: SharedList<u32, String> = SharedList::default();
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(*list.get("i", counting_fetch(&calls, 1)).await.unwrap(), 1);
        list.invalidate("i");
        assert_eq!(*list.get("i", counting_fetch(&calls, 2)).await.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetch_started_before_a_write_is_neither_joined_nor_cached() {
        let list: Arc<SharedList<u32, String>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let early = {
            let list = list.clone();
            let fetch = counting_fetch(&calls, 1);
            tokio::spawn(async move { list.get("i", fetch).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        list.invalidate("i");
        let late = list.get("i", counting_fetch(&calls, 2)).await.unwrap();
        assert_eq!(
            *late, 2,
            "a read after the write must not join the old fetch"
        );
        assert_eq!(*early.await.unwrap().unwrap(), 1);
        assert_eq!(*list.get("i", counting_fetch(&calls, 3)).await.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn fresh_reads_need_a_fetch_started_after_the_given_instant() {
        let list: SharedList<u32, String> = SharedList::default();
        let calls = Arc::new(AtomicUsize::new(0));
        list.get("i", counting_fetch(&calls, 1)).await.unwrap();
        let now = Instant::now();
        let fresh = list
            .get_fresh("i", now, counting_fetch(&calls, 2))
            .await
            .unwrap();
        assert_eq!(*fresh, 2);
        // A fetch that started after `now` satisfies the next fresh read too.
        let again = list
            .get_fresh("i", now, counting_fetch(&calls, 3))
            .await
            .unwrap();
        assert_eq!(*again, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn stamped_reads_join_a_newer_fetch_started_by_another_waiter() {
        let list: Arc<SharedList<u32, String>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let (first, seen_at) = list
            .get_fresh_stamped("i", Instant::now(), counting_fetch(&calls, 1))
            .await
            .unwrap();
        assert_eq!(*first, 1);
        // Another waiter starts a newer fetch; ours, asking for anything newer than what
        // it saw, joins it instead of starting a third.
        let other = {
            let list = list.clone();
            let fetch = counting_fetch(&calls, 2);
            let not_before = seen_at + Duration::from_nanos(1);
            tokio::spawn(async move { list.get_fresh_stamped("i", not_before, fetch).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (ours, started) = list
            .get_fresh_stamped(
                "i",
                seen_at + Duration::from_nanos(1),
                counting_fetch(&calls, 3),
            )
            .await
            .unwrap();
        assert_eq!(*ours, 2);
        assert!(started > seen_at);
        assert_eq!(other.await.unwrap().unwrap().1, started);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // The cached answer carries its own start time.
        let (_, cached_at) = list
            .get_fresh_stamped("i", seen_at, counting_fetch(&calls, 4))
            .await
            .unwrap();
        assert_eq!(cached_at, started);
    }

    #[tokio::test(start_paused = true)]
    async fn errors_are_shared_but_not_cached() {
        let list: SharedList<u32, String> = SharedList::default();
        let failing = |_: SendMark| async { Err::<u32, String>("boom".into()) };
        assert_eq!(list.get("i", failing).await.unwrap_err(), "boom");
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(*list.get("i", counting_fetch(&calls, 5)).await.unwrap(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn writers_waiting_for_their_writes_share_a_fetch_not_yet_sent() {
        // An apply: a write returns every 10 ms, each followed by a fresh read, while the
        // fetch waits 100 ms for its rate-limit slot. Every waiter joins that fetch: it
        // leaves after all their writes.
        let list: Arc<SharedList<u32, String>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let mut waiters = Vec::new();
        for i in 0..8 {
            list.invalidate("i");
            let written_at = Instant::now();
            let list = list.clone();
            let fetch = queued_fetch(&calls, i, Duration::from_millis(100));
            waiters.push(tokio::spawn(async move {
                let (value, sent_at) = list
                    .get_fresh_stamped("i", written_at, fetch)
                    .await
                    .unwrap();
                assert!(sent_at >= written_at, "sent after the write");
                *value
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for w in waiters {
            assert_eq!(w.await.unwrap(), 0, "everyone got the first fetch");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetch_sent_before_a_write_does_not_answer_that_writer() {
        let list: Arc<SharedList<u32, String>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let early = {
            let list = list.clone();
            let fetch = counting_fetch(&calls, 1);
            let t = Instant::now();
            tokio::spawn(async move { list.get_fresh("i", t, fetch).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        list.invalidate("i");
        let written_at = Instant::now();
        let (late, sent_at) = list
            .get_fresh_stamped("i", written_at, counting_fetch(&calls, 2))
            .await
            .unwrap();
        assert_eq!(*late, 2, "the in-flight fetch left before the write");
        assert!(sent_at >= written_at);
        assert_eq!(*early.await.unwrap().unwrap(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_finished_fetch_answers_fresh_reads_it_is_newer_than_but_not_plain_reads_after_a_write(
    ) {
        let list: SharedList<u32, String> = SharedList::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let first_write = Instant::now();
        list.invalidate("i");
        let (_, sent_at) = list
            .get_fresh_stamped("i", first_write, counting_fetch(&calls, 1))
            .await
            .unwrap();
        // Another resource writes: a waiter for the first write can still use the answer…
        list.invalidate("i");
        let (again, again_at) = list
            .get_fresh_stamped("i", first_write, counting_fetch(&calls, 2))
            .await
            .unwrap();
        assert_eq!((*again, again_at), (1, sent_at));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // …but a plain read after that write must fetch again.
        assert_eq!(*list.get("i", counting_fetch(&calls, 3)).await.unwrap(), 3);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(*list.get("i", counting_fetch(&calls, 4)).await.unwrap(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn fetches_of_a_spaced_list_are_asked_for_at_least_its_spacing_apart() {
        let list: SharedList<u32, String> = SharedList::spaced(Duration::from_millis(200));
        let calls = Arc::new(AtomicUsize::new(0));
        let (_, first) = list
            .get_fresh_stamped("i", Instant::now(), counting_fetch(&calls, 1))
            .await
            .unwrap();
        let (value, second) = list
            .get_fresh_stamped(
                "i",
                first + Duration::from_nanos(1),
                counting_fetch(&calls, 2),
            )
            .await
            .unwrap();
        assert_eq!(*value, 2);
        assert!(
            second - first >= Duration::from_millis(200),
            "{:?}",
            second - first
        );
        // Another key is not held back.
        let started = Instant::now();
        list.get("j", counting_fetch(&calls, 3)).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(150));
    }
}
