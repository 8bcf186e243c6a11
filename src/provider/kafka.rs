//! The one place every read and write of the provider goes through, per configured provider.
//!
//! Reads of listed objects (an instance's topics or groups, a region's instances: see
//! [`super::lists`]) go through shared lists ([`ObjectList`] over [`SharedList`]): one
//! fetch (all pages) answers every concurrent read, later reads reuse it, and each write
//! to an instance forgets that instance's list. Waits after a write poll lists fetched after the write,
//! so many resources waiting on one instance share each poll.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::journal::Journal;
use super::lists::{GroupsOf, InstancesOf, ListQuery, TopicsOf};
use super::shared_list::{SendMark, SharedList};
use super::tags::TagPolicy;
use crate::api::{ApiError, Client, ConsumerInfo, InstanceInfo, TopicInfo};
use crate::tfplugin::framework::Context;

/// How often a wait asks the service again.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What a wait's check decided about one list.
#[derive(Debug)]
pub enum Check<R> {
    Done(R),
    /// Not yet; the text says what the list shows, for the message if time runs out.
    Pending(String),
    Failed(ApiError),
}

/// Why a wait ended without its check being satisfied.
#[derive(Debug)]
pub enum WaitError {
    /// The deadline passed; what the last list showed.
    TimedOut {
        last_seen: String,
    },
    /// Terraform asked the provider to stop.
    Cancelled,
    Failed(ApiError),
}

/// A list and when the request that fetched it went out.
type Stamped<T> = (Arc<Vec<T>>, Instant);

/// Every list of one kind (say, topics), one per key, shared by all readers and waiters.
pub struct ObjectList<Q: ListQuery> {
    client: Client,
    lists: SharedList<Vec<Q::Item>, ApiError>,
    poll_interval: Duration,
}

impl<Q: ListQuery> ObjectList<Q> {
    /// Lists of one key are fetched at most twice per `poll_interval`, however many
    /// resources wait on them and however high the read limit.
    fn new(client: &Client, poll_interval: Duration) -> ObjectList<Q> {
        ObjectList {
            client: client.clone(),
            lists: SharedList::spaced(poll_interval / 2),
            poll_interval,
        }
    }

    /// The list, from the cache if nothing was written to its key since it was fetched.
    pub async fn get(&self, query: &Q) -> Result<Arc<Vec<Q::Item>>, ApiError> {
        self.lists.get(query.key(), self.fetch(query)).await
    }

    /// Called on every write to the list's key (before and after the call): the next
    /// read fetches the list again.
    pub fn written(&self, query: &Q) {
        self.lists.invalidate(query.key());
    }

    /// Polls the list, each one fetched after `since` and after the previous one, until
    /// `check` decides, `deadline` passes or Terraform stops us.
    pub async fn wait<R>(
        &self,
        ctx: &Context,
        query: &Q,
        since: Instant,
        deadline: Instant,
        check: impl FnMut(Result<&[Q::Item], &ApiError>) -> Check<R>,
    ) -> Result<R, WaitError> {
        let fetch = |not_before: Instant| {
            self.lists
                .get_fresh_stamped(query.key(), not_before, self.fetch(query))
        };
        poll(ctx, self.poll_interval, since, deadline, fetch, check).await
    }

    /// The fetch of `query`, marking the send time when its first request leaves (after
    /// any rate-limit wait).
    fn fetch<'q>(
        &'q self,
        query: &'q Q,
    ) -> impl FnOnce(SendMark) -> BoxFuture<'static, Result<Vec<Q::Item>, ApiError>> + 'q {
        move |sent| {
            let client = self.client.with_send_hook(Arc::new(move || sent.mark()));
            query.fetch(client)
        }
    }
}

/// What of the provider configuration turns listed objects into state: its region (for
/// objects that report none) and its tag policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub region: String,
    pub tags: TagPolicy,
}

impl Scope {
    pub fn new(region: impl Into<String>) -> Scope {
        Scope {
            region: region.into(),
            tags: TagPolicy::default(),
        }
    }
}

/// Shared access to the service for all resources of one provider configuration.
pub struct Kafka {
    client: Client,
    scope: Scope,
    /// One [`ObjectList`] per kind of list, made when first asked for.
    lists: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    poll_interval: Duration,
    journal: Journal,
}

impl Kafka {
    pub fn new(client: Client) -> Kafka {
        Kafka::with_poll_interval(client, DEFAULT_POLL_INTERVAL)
    }

    /// Polls every `interval` (shorter ones for tests against an instant emulator).
    pub fn with_poll_interval(client: Client, interval: Duration) -> Kafka {
        Kafka {
            scope: Scope::new(client.region()),
            client,
            lists: Mutex::default(),
            poll_interval: interval,
            journal: Journal::disabled(),
        }
    }

    /// Applies the provider's `default_tags` and `ignore_tags`.
    pub fn with_tag_policy(mut self, tags: TagPolicy) -> Kafka {
        self.scope.tags = tags;
        self
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Keeps a journal of creations in flight (see [`Journal`]).
    pub fn with_journal(mut self, journal: Journal) -> Kafka {
        self.journal = journal;
        self
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The provider's region, e.g. `cn-hangzhou`.
    pub fn region(&self) -> &str {
        self.client.region()
    }

    /// The shared lists of kind `Q` (every instance's topics, say).
    pub fn lists<Q: ListQuery>(&self) -> Arc<ObjectList<Q>> {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        // The entry of `Q`'s TypeId only ever holds an `ObjectList<Q>`.
        if let Some(Ok(list)) = lists
            .get(&TypeId::of::<Q>())
            .map(|l| Arc::clone(l).downcast::<ObjectList<Q>>())
        {
            return list;
        }
        let list = Arc::new(ObjectList::<Q>::new(&self.client, self.poll_interval));
        lists.insert(TypeId::of::<Q>(), list.clone());
        list
    }

    /// Every topic of `instance_id`, from the shared list.
    pub async fn topics(&self, instance_id: &str) -> Result<Arc<Vec<TopicInfo>>, ApiError> {
        self.lists().get(&TopicsOf(instance_id.to_string())).await
    }

    /// Every consumer group of `instance_id`, from the shared list.
    pub async fn groups(&self, instance_id: &str) -> Result<Arc<Vec<ConsumerInfo>>, ApiError> {
        self.lists().get(&GroupsOf(instance_id.to_string())).await
    }

    /// Every instance of the provider's region, from the shared list.
    pub async fn instances(&self) -> Result<Arc<Vec<InstanceInfo>>, ApiError> {
        let region = InstancesOf(self.region().to_string());
        self.lists().get(&region).await
    }
}

/// Fetches lists with `fetch(not_before)` every `interval` until `check` decides.
async fn poll<T, R, F, Fut>(
    ctx: &Context,
    interval: Duration,
    since: Instant,
    deadline: Instant,
    fetch: F,
    mut check: impl FnMut(Result<&[T], &ApiError>) -> Check<R>,
) -> Result<R, WaitError>
where
    F: Fn(Instant) -> Fut,
    Fut: std::future::Future<Output = Result<Stamped<T>, ApiError>>,
{
    let mut last_seen = String::from("nothing yet (no answer in time)");
    let polling = async {
        let mut not_before = since;
        loop {
            let (outcome, fetched_at) = match fetch(not_before).await {
                Ok((list, started)) => (check(Ok(list.as_slice())), started),
                Err(error) => (check(Err(&error)), Instant::now()),
            };
            match outcome {
                Check::Done(result) => return Ok(result),
                Check::Failed(error) => return Err(WaitError::Failed(error)),
                Check::Pending(seen) => last_seen = seen,
            }
            // The next list must be newer than this one; any waiter's fetch will do.
            not_before = fetched_at + Duration::from_nanos(1);
            tokio::time::sleep(interval).await;
        }
    };
    let result = tokio::time::timeout_at(deadline, ctx.run(polling)).await;
    match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_cancelled)) => Err(WaitError::Cancelled),
        Err(_elapsed) => Err(WaitError::TimedOut { last_seen }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The poll interval of these tests.
    const TICK: Duration = Duration::from_millis(10);

    /// A fetch answering `lists` in turn (the last one forever), recording each
    /// `not_before` it was asked for.
    fn scripted<'a>(
        lists: Vec<Vec<&'static str>>,
        asked: &'a Mutex<Vec<Instant>>,
    ) -> impl Fn(
        Instant,
    ) -> futures::future::BoxFuture<'static, Result<Stamped<&'static str>, ApiError>>
           + 'a {
        let lists = Mutex::new(lists);
        move |not_before| {
            asked.lock().unwrap().push(not_before);
            let mut lists = lists.lock().unwrap();
            let list = if lists.len() > 1 {
                lists.remove(0)
            } else {
                lists[0].clone()
            };
            Box::pin(async move { Ok((Arc::new(list), Instant::now())) })
        }
    }

    fn until_listed(name: &'static str) -> impl FnMut(Result<&[&str], &ApiError>) -> Check<()> {
        move |list| match list {
            Ok(items) if items.contains(&name) => Check::Done(()),
            Ok(items) => Check::Pending(format!("{} listed", items.len())),
            Err(e) => Check::Failed(e.clone()),
        }
    }

    #[tokio::test]
    async fn each_poll_asks_for_a_list_newer_than_the_last_one_seen() {
        let asked = Mutex::new(Vec::new());
        let since = Instant::now();
        let fetch = scripted(vec![vec![], vec!["a"], vec!["a", "t"]], &asked);
        let deadline = Instant::now() + Duration::from_secs(5);
        poll(
            &Context::detached(),
            TICK,
            since,
            deadline,
            fetch,
            until_listed("t"),
        )
        .await
        .expect("found");
        let asked = asked.lock().unwrap();
        assert_eq!(asked.len(), 3);
        assert_eq!(asked[0], since);
        assert!(asked.windows(2).all(|w| w[1] > w[0]), "{asked:?}");
    }

    #[tokio::test]
    async fn a_wait_times_out_saying_what_it_saw() {
        let asked = Mutex::new(Vec::new());
        let fetch = scripted(vec![vec!["a", "b"]], &asked);
        let deadline = Instant::now() + Duration::from_millis(100);
        let err = poll(
            &Context::detached(),
            TICK,
            Instant::now(),
            deadline,
            fetch,
            until_listed("t"),
        )
        .await
        .unwrap_err();
        match err {
            WaitError::TimedOut { last_seen } => assert_eq!(last_seen, "2 listed"),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(
            asked.lock().unwrap().len() >= 2,
            "kept polling until the deadline"
        );
    }

    #[tokio::test]
    async fn a_wait_stops_when_terraform_cancels() {
        let asked = Mutex::new(Vec::new());
        let fetch = scripted(vec![vec![]], &asked);
        let ctx = Context::detached();
        let token = ctx.cancellation_token().clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            token.cancel();
        });
        let started = Instant::now();
        let deadline = Instant::now() + Duration::from_secs(60);
        let err = poll(
            &ctx,
            TICK,
            Instant::now(),
            deadline,
            fetch,
            until_listed("t"),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, WaitError::Cancelled), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn api_failures_end_the_wait_unless_the_check_accepts_them() {
        let failing = |_: Instant| {
            Box::pin(async {
                Err::<Stamped<&'static str>, _>(ApiError::new(
                    "GetTopicList",
                    Some(400),
                    "BIZ_INSTANCE_NOT_FOUND",
                    "gone",
                ))
            }) as futures::future::BoxFuture<'static, _>
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let err = poll(
            &Context::detached(),
            TICK,
            Instant::now(),
            deadline,
            failing,
            until_listed("t"),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, WaitError::Failed(ref e) if e.code == "BIZ_INSTANCE_NOT_FOUND"));
        // A delete's wait takes a vanished instance as "gone".
        let gone = |list: Result<&[&str], &ApiError>| match list {
            Err(e) if e.is_not_found() => Check::Done(()),
            _ => Check::Pending(String::new()),
        };
        poll(
            &Context::detached(),
            TICK,
            Instant::now(),
            deadline,
            failing,
            gone,
        )
        .await
        .expect("gone");
    }
}
