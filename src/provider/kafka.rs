//! The one place every read and write of the provider goes through, per configured provider.
//!
//! Reads of an instance's topics or groups, and of a region's instances, are shared lists
//! ([`SharedList`]): one GetTopicList (all pages) / GetConsumerList / GetInstanceList answers
//! every concurrent read, later reads reuse it, and each write to an instance forgets that
//! instance's list. Waits after a write poll lists fetched after the write, so many
//! resources waiting on one instance share each poll.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::journal::Journal;
use super::shared_list::{SendMark, SharedList};
use crate::api::{
    ApiError, Client, ConsumerInfo, GetConsumerListRequest, GetInstanceListRequest,
    GetTopicListRequest, InstanceInfo, TopicInfo,
};
use crate::tfplugin::framework::Context;

/// How often a wait asks the service again.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Shared access to the service for all resources of one provider configuration.
pub struct Kafka {
    client: Client,
    topics: SharedList<Vec<TopicInfo>, ApiError>,
    groups: SharedList<Vec<ConsumerInfo>, ApiError>,
    instances: SharedList<Vec<InstanceInfo>, ApiError>,
    poll_interval: Duration,
    journal: Journal,
}

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

impl Kafka {
    pub fn new(client: Client) -> Kafka {
        Kafka::with_poll_interval(client, DEFAULT_POLL_INTERVAL)
    }

    /// Polls every `interval` (shorter ones for tests against an instant emulator). Lists
    /// of one instance are fetched at most twice per interval, however many resources
    /// wait on them and however high the read limit.
    pub fn with_poll_interval(client: Client, interval: Duration) -> Kafka {
        let spacing = interval / 2;
        Kafka {
            client,
            topics: SharedList::spaced(spacing),
            groups: SharedList::spaced(spacing),
            instances: SharedList::spaced(spacing),
            poll_interval: interval,
            journal: Journal::disabled(),
        }
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

    /// Every topic of `instance_id`, from the shared list.
    pub async fn topics(&self, instance_id: &str) -> Result<Arc<Vec<TopicInfo>>, ApiError> {
        self.topics
            .get(instance_id, topic_fetch(&self.client, instance_id))
            .await
    }

    /// Every consumer group of `instance_id`, from the shared list.
    pub async fn groups(&self, instance_id: &str) -> Result<Arc<Vec<ConsumerInfo>>, ApiError> {
        self.groups
            .get(instance_id, group_fetch(&self.client, instance_id))
            .await
    }

    /// Every instance of the provider's region, from the shared list.
    pub async fn instances(&self) -> Result<Arc<Vec<InstanceInfo>>, ApiError> {
        let client = self.client.clone();
        self.instances
            .get(self.client.region(), move |sent| async move {
                marking(&client, sent)
                    .get_instance_list(&GetInstanceListRequest::default(), None)
                    .await
                    .map(|r| r.instances)
            })
            .await
    }

    /// Called on every topic write to `instance_id` (before and after the call): the next
    /// read fetches the list again.
    pub fn topics_written(&self, instance_id: &str) {
        self.topics.invalidate(instance_id);
    }

    /// Called on every consumer group write to `instance_id`.
    pub fn groups_written(&self, instance_id: &str) {
        self.groups.invalidate(instance_id);
    }

    /// Polls the topics of `instance_id`, each list fetched after `since` and after the
    /// previous one, until `check` decides, `deadline` passes or Terraform stops us.
    pub async fn wait_for_topics<R>(
        &self,
        ctx: &Context,
        instance_id: &str,
        since: Instant,
        deadline: Instant,
        check: impl FnMut(Result<&[TopicInfo], &ApiError>) -> Check<R>,
    ) -> Result<R, WaitError> {
        let fetch = |not_before: Instant| {
            self.topics.get_fresh_stamped(
                instance_id,
                not_before,
                topic_fetch(&self.client, instance_id),
            )
        };
        self.poll(ctx, since, deadline, fetch, check).await
    }

    /// [`Kafka::wait_for_topics`] for consumer groups.
    pub async fn wait_for_groups<R>(
        &self,
        ctx: &Context,
        instance_id: &str,
        since: Instant,
        deadline: Instant,
        check: impl FnMut(Result<&[ConsumerInfo], &ApiError>) -> Check<R>,
    ) -> Result<R, WaitError> {
        let fetch = |not_before: Instant| {
            self.groups.get_fresh_stamped(
                instance_id,
                not_before,
                group_fetch(&self.client, instance_id),
            )
        };
        self.poll(ctx, since, deadline, fetch, check).await
    }

    async fn poll<T, R, F, Fut>(
        &self,
        ctx: &Context,
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
                tokio::time::sleep(self.poll_interval).await;
            }
        };
        let result = tokio::time::timeout_at(deadline, ctx.run(polling)).await;
        match result {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_cancelled)) => Err(WaitError::Cancelled),
            Err(_elapsed) => Err(WaitError::TimedOut { last_seen }),
        }
    }
}

/// `client`, marking `sent` when its first request leaves (after any rate-limit wait).
fn marking(client: &Client, sent: SendMark) -> Client {
    client.with_send_hook(Arc::new(move || sent.mark()))
}

fn topic_fetch(
    client: &Client,
    instance_id: &str,
) -> impl FnOnce(SendMark) -> futures::future::BoxFuture<'static, Result<Vec<TopicInfo>, ApiError>>
{
    let client = client.clone();
    let request = GetTopicListRequest {
        instance_id: instance_id.to_string(),
        ..Default::default()
    };
    move |sent| {
        let client = marking(&client, sent);
        Box::pin(async move { client.get_all_topics(&request, None).await })
    }
}

fn group_fetch(
    client: &Client,
    instance_id: &str,
) -> impl FnOnce(SendMark) -> futures::future::BoxFuture<'static, Result<Vec<ConsumerInfo>, ApiError>>
{
    let client = client.clone();
    let request = GetConsumerListRequest {
        instance_id: instance_id.to_string(),
        ..Default::default()
    };
    move |sent| {
        let client = marking(&client, sent);
        Box::pin(async move {
            client
                .get_consumer_list(&request, None)
                .await
                .map(|r| r.consumers)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ClientConfig, Credentials};
    use std::sync::Mutex;

    /// A Kafka whose client is never called: these tests drive `poll` with fake fetches.
    fn kafka(interval_ms: u64) -> Kafka {
        let client = Client::new(
            ClientConfig::new("cn-hangzhou"),
            Credentials::new("ak", "sk", None),
        )
        .expect("client");
        Kafka::with_poll_interval(client, Duration::from_millis(interval_ms))
    }

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
        let k = kafka(10);
        let asked = Mutex::new(Vec::new());
        let since = Instant::now();
        let fetch = scripted(vec![vec![], vec!["a"], vec!["a", "t"]], &asked);
        let deadline = Instant::now() + Duration::from_secs(5);
        k.poll(
            &Context::detached(),
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
        let k = kafka(10);
        let asked = Mutex::new(Vec::new());
        let fetch = scripted(vec![vec!["a", "b"]], &asked);
        let deadline = Instant::now() + Duration::from_millis(100);
        let err = k
            .poll(
                &Context::detached(),
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
        let k = kafka(10);
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
        let err = k
            .poll(&ctx, Instant::now(), deadline, fetch, until_listed("t"))
            .await
            .unwrap_err();
        assert!(matches!(err, WaitError::Cancelled), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn api_failures_end_the_wait_unless_the_check_accepts_them() {
        let k = kafka(10);
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
        let err = k
            .poll(
                &Context::detached(),
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
        k.poll(
            &Context::detached(),
            Instant::now(),
            deadline,
            failing,
            gone,
        )
        .await
        .expect("gone");
    }
}
