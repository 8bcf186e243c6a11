//! One place per instance through which every read of a list goes.
//!
//! Terraform refreshes each resource with its own ReadResource call, concurrently. Asking
//! the service once per resource would cost N calls per plan and hit its 3 requests/s
//! limit, so reads of the same instance share one in-flight fetch, later reads reuse its
//! answer, and any write to the instance invalidates it. Waits after a write ask for a
//! list fetched *after* the write ([`SharedList::get_fresh`]), which many waiters share.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::time::Instant;

type SharedFetch<T, E> = Shared<BoxFuture<'static, Result<Arc<T>, E>>>;

struct InFlight<T, E> {
    generation: u64,
    started: Instant,
    fetch: SharedFetch<T, E>,
}

struct Cached<T> {
    generation: u64,
    started: Instant,
    value: Arc<T>,
}

struct Slot<T, E> {
    generation: u64,
    cached: Option<Cached<T>>,
    in_flight: Option<InFlight<T, E>>,
}

impl<T, E> Default for Slot<T, E> {
    fn default() -> Self {
        Slot {
            generation: 0,
            cached: None,
            in_flight: None,
        }
    }
}

/// A per-key (per-instance) cache of one list, with request coalescing.
pub struct SharedList<T, E> {
    slots: Arc<Mutex<HashMap<String, Slot<T, E>>>>,
}

impl<T, E> Default for SharedList<T, E> {
    fn default() -> Self {
        SharedList {
            slots: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<T, E> SharedList<T, E>
where
    T: Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// The list of `key`, from the cache if nothing was written since it was fetched.
    pub async fn get<F, Fut>(&self, key: &str, fetch: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.get_with(key, None, fetch).await
    }

    /// The list of `key` as fetched no earlier than `not_before` (typically the moment a
    /// write returned), shared with every other caller that can use the same answer.
    pub async fn get_fresh<F, Fut>(
        &self,
        key: &str,
        not_before: Instant,
        fetch: F,
    ) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.get_with(key, Some(not_before), fetch).await
    }

    /// [`SharedList::get_fresh`], also returning when the answer's fetch started. A poll
    /// that must see a list newer than the last one it saw passes that instant (plus a
    /// nanosecond) as `not_before`, so that it joins any fetch another waiter started since.
    pub async fn get_fresh_stamped<F, Fut>(
        &self,
        key: &str,
        not_before: Instant,
        fetch: F,
    ) -> Result<(Arc<T>, Instant), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let (shared, started) = self.lookup(key, Some(not_before), fetch);
        shared.await.map(|value| (value, started))
    }

    /// Forgets what is known of `key`: the next read fetches again. Called on every write.
    pub fn invalidate(&self, key: &str) {
        let mut slots = lock(&self.slots);
        let slot = slots.entry(key.to_string()).or_default();
        slot.generation += 1;
        slot.cached = None;
    }

    async fn get_with<F, Fut>(
        &self,
        key: &str,
        not_before: Option<Instant>,
        fetch: F,
    ) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.lookup(key, not_before, fetch).0.await
    }

    /// The answer to wait for (cached, joined or newly started) and when its fetch started.
    fn lookup<F, Fut>(
        &self,
        key: &str,
        not_before: Option<Instant>,
        fetch: F,
    ) -> (SharedFetch<T, E>, Instant)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let recent_enough = |started: Instant| not_before.is_none_or(|t| started >= t);
        {
            let mut slots = lock(&self.slots);
            let slot = slots.entry(key.to_string()).or_default();
            if let Some(c) = &slot.cached {
                if c.generation == slot.generation && recent_enough(c.started) {
                    let value: Result<Arc<T>, E> = Ok(c.value.clone());
                    return (futures::future::ready(value).boxed().shared(), c.started);
                }
            }
            match &slot.in_flight {
                Some(f) if f.generation == slot.generation && recent_enough(f.started) => {
                    (f.fetch.clone(), f.started)
                }
                _ => {
                    let started = Instant::now();
                    let generation = slot.generation;
                    // Spawned so that a caller cancelled by Terraform's Ctrl-C does not
                    // cancel the fetch for everyone else sharing it.
                    let task = tokio::spawn(fetch());
                    let slots = self.slots.clone();
                    let owned_key = key.to_string();
                    let fut: BoxFuture<'static, Result<Arc<T>, E>> = async move {
                        let result = match task.await {
                            Ok(result) => result.map(Arc::new),
                            Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
                        };
                        let mut slots = lock(&slots);
                        let slot = slots.entry(owned_key).or_default();
                        if slot
                            .in_flight
                            .as_ref()
                            .is_some_and(|f| f.started == started)
                        {
                            slot.in_flight = None;
                        }
                        if let Ok(value) = &result {
                            let newer_cached =
                                slot.cached.as_ref().is_some_and(|c| c.started > started);
                            if slot.generation == generation && !newer_cached {
                                slot.cached = Some(Cached {
                                    generation,
                                    started,
                                    value: value.clone(),
                                });
                            }
                        }
                        result
                    }
                    .boxed();
                    let shared = fut.shared();
                    slot.in_flight = Some(InFlight {
                        generation,
                        started,
                        fetch: shared.clone(),
                    });
                    (shared, started)
                }
            }
        }
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
    ) -> impl FnOnce() -> BoxFuture<'static, Result<u32, String>> {
        let calls = calls.clone();
        move || {
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(value)
            }
            .boxed()
        }
    }

    #[tokio::test]
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

    #[tokio::test]
    async fn a_write_invalidates_and_a_read_after_it_sees_new_data() {
        let list: SharedList<u32, String> = SharedList::default();
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(*list.get("i", counting_fetch(&calls, 1)).await.unwrap(), 1);
        list.invalidate("i");
        assert_eq!(*list.get("i", counting_fetch(&calls, 2)).await.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
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

    #[tokio::test]
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

    #[tokio::test]
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

    #[tokio::test]
    async fn errors_are_shared_but_not_cached() {
        let list: SharedList<u32, String> = SharedList::default();
        let failing = || async { Err::<u32, String>("boom".into()) };
        assert_eq!(list.get("i", failing).await.unwrap_err(), "boom");
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(*list.get("i", counting_fetch(&calls, 5)).await.unwrap(), 5);
    }
}
