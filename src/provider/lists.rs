//! The lists the service answers, one type each: what identifies a list (its cache key in
//! the shared lists), how to fetch it whole, and, for lists that show the objects of
//! resources ([`Locates`]), which list shows an object and which item it is.

use futures::future::BoxFuture;

use super::lifecycle::ObjectKey;
use crate::api::{
    ApiError, Client, ConsumerInfo, GetConsumerListRequest, GetInstanceListRequest,
    GetTopicListRequest, InstanceInfo, TopicInfo,
};

/// One list the service answers, such as the topics of an instance: what identifies it
/// (its cache key) and how to fetch it whole.
pub trait ListQuery: Send + Sync + 'static {
    type Item: Clone + Send + Sync + 'static;

    /// The list's key in the cache: the instance ID for per-instance lists. Every write
    /// that may change the list names this key.
    fn key(&self) -> &str;

    /// Fetches the whole list (every page). `client` marks the send time itself.
    fn fetch(&self, client: Client) -> BoxFuture<'static, Result<Vec<Self::Item>, ApiError>>;
}

/// A list in which resources find their objects: which list shows an object, and which
/// item is it.
pub trait Locates: ListQuery {
    /// The list action and the code it answers for a missing object.
    const NOT_FOUND: (&'static str, &'static str);

    /// The list that shows the object `key` locates.
    fn for_key(key: &ObjectKey) -> Self;

    /// Whether a listed item is the object `key` locates.
    fn matches(item: &Self::Item, key: &ObjectKey) -> bool;
}

/// The topics of one instance: GetTopicList, all pages.
pub struct TopicsOf(pub String);

impl ListQuery for TopicsOf {
    type Item = TopicInfo;

    fn key(&self) -> &str {
        &self.0
    }

    fn fetch(&self, client: Client) -> BoxFuture<'static, Result<Vec<TopicInfo>, ApiError>> {
        let request = GetTopicListRequest {
            instance_id: self.0.clone(),
            ..Default::default()
        };
        Box::pin(async move { client.get_all_topics(&request, None).await })
    }
}

impl Locates for TopicsOf {
    const NOT_FOUND: (&'static str, &'static str) = ("GetTopicList", "BIZ_TOPIC_NOT_FOUND");

    fn for_key(key: &ObjectKey) -> Self {
        TopicsOf(key.instance_id.clone())
    }

    fn matches(item: &TopicInfo, key: &ObjectKey) -> bool {
        item.topic == key.name
    }
}

/// The consumer groups of one instance: GetConsumerList, all pages.
pub struct GroupsOf(pub String);

impl ListQuery for GroupsOf {
    type Item = ConsumerInfo;

    fn key(&self) -> &str {
        &self.0
    }

    fn fetch(&self, client: Client) -> BoxFuture<'static, Result<Vec<ConsumerInfo>, ApiError>> {
        let request = GetConsumerListRequest {
            instance_id: self.0.clone(),
            ..Default::default()
        };
        Box::pin(async move { client.get_all_consumer_groups(&request, None).await })
    }
}

impl Locates for GroupsOf {
    const NOT_FOUND: (&'static str, &'static str) =
        ("GetConsumerList", "BIZ_SUBSCRIPTION_NOT_FOUND");

    fn for_key(key: &ObjectKey) -> Self {
        GroupsOf(key.instance_id.clone())
    }

    fn matches(item: &ConsumerInfo, key: &ObjectKey) -> bool {
        item.consumer_id == key.name
    }
}

/// The instances of the provider's region: GetInstanceList.
pub struct InstancesOf(pub String);

impl ListQuery for InstancesOf {
    type Item = InstanceInfo;

    fn key(&self) -> &str {
        &self.0
    }

    fn fetch(&self, client: Client) -> BoxFuture<'static, Result<Vec<InstanceInfo>, ApiError>> {
        Box::pin(async move {
            client
                .get_instance_list(&GetInstanceListRequest::default(), None)
                .await
                .map(|r| r.instances)
        })
    }
}
