//! The lists the service answers, one type each: what identifies a list (its cache key in
//! the shared lists), how to fetch it whole, and, for lists that show the objects of
//! resources ([`Locates`]), which list shows an object and which item it is.

use futures::future::BoxFuture;

use super::access::{AclKey, AllowedIpKey, UserKey};
use super::lifecycle::ObjectKey;
use crate::api::{
    AclPatternType, AclResourceType, AllowedIpEntry, ApiError, Client, ConsumerInfo,
    DescribeAclsRequest, DescribeSaslUsersRequest, GetAllowedIpListRequest, GetConsumerListRequest,
    GetInstanceListRequest, GetTopicListRequest, InstanceInfo, KafkaAcl, SaslUser, TopicInfo,
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

/// The SASL users of one instance: DescribeSaslUsers (passwords included: see
/// [`SaslUser`]).
pub struct SaslUsersOf(pub String);

impl ListQuery for SaslUsersOf {
    type Item = SaslUser;

    fn key(&self) -> &str {
        &self.0
    }

    fn fetch(&self, client: Client) -> BoxFuture<'static, Result<Vec<SaslUser>, ApiError>> {
        let request = DescribeSaslUsersRequest {
            instance_id: self.0.clone(),
        };
        Box::pin(async move {
            client
                .describe_sasl_users(&request, None)
                .await
                .map(|r| r.users)
        })
    }
}

impl Locates for SaslUsersOf {
    const NOT_FOUND: (&'static str, &'static str) = ("DescribeSaslUsers", "SASL_USER_NOT_FOUND");

    fn for_key(key: &ObjectKey) -> Self {
        SaslUsersOf(key.instance_id.clone())
    }

    fn matches(item: &SaslUser, key: &ObjectKey) -> bool {
        UserKey::parse(&key.name).matches(
            &item.username,
            &item.user_type,
            item.mechanism.as_deref(),
        )
    }
}

/// What DescribeAcls is asked: a user, a resource type and name, and optionally a pattern
/// type (without one, the service wants a topic or group of that name to exist).
pub struct AclQuery {
    pub username: String,
    pub resource_type: AclResourceType,
    pub resource_name: String,
    pub pattern_type: Option<AclPatternType>,
}

/// The ACLs of one user on one resource name and type (and pattern type): DescribeAcls
/// asks for exactly that (there is no list of an instance's ACLs), so each is a list of
/// its own.
pub struct AclsOf {
    pub instance_id: String,
    /// `None` for a key that names no ACL (an empty list).
    pub query: Option<AclQuery>,
    cache_key: String,
}

impl AclsOf {
    pub fn new(instance_id: &str, query: AclQuery) -> AclsOf {
        // NUL cannot occur in any of the fields.
        let cache_key = format!(
            "{instance_id}\0{}\0{}\0{}\0{}",
            query.username,
            query.resource_type.as_str(),
            query.resource_name,
            query.pattern_type.map_or("", AclPatternType::as_str)
        );
        AclsOf {
            instance_id: instance_id.to_string(),
            query: Some(query),
            cache_key,
        }
    }
}

impl ListQuery for AclsOf {
    type Item = KafkaAcl;

    fn key(&self) -> &str {
        &self.cache_key
    }

    fn fetch(&self, client: Client) -> BoxFuture<'static, Result<Vec<KafkaAcl>, ApiError>> {
        let request = self.query.as_ref().map(|q| DescribeAclsRequest {
            instance_id: self.instance_id.clone(),
            username: q.username.clone(),
            resource_type: q.resource_type,
            resource_name: q.resource_name.clone(),
            pattern_type: q.pattern_type,
            operation_type: None,
            permission_type: None,
            host: None,
        });
        Box::pin(async move {
            match request {
                Some(request) => client.describe_acls(&request, None).await.map(|r| r.acls),
                None => Ok(Vec::new()),
            }
        })
    }
}

impl Locates for AclsOf {
    const NOT_FOUND: (&'static str, &'static str) = ("DescribeAcls", "ACL_NOT_FOUND");

    fn for_key(key: &ObjectKey) -> Self {
        match AclKey::parse(&key.name) {
            Ok(acl) => AclsOf::new(
                &key.instance_id,
                AclQuery {
                    username: acl.username,
                    resource_type: acl.resource_type,
                    resource_name: acl.resource_name,
                    pattern_type: Some(acl.pattern_type),
                },
            ),
            Err(_) => AclsOf {
                instance_id: key.instance_id.clone(),
                query: None,
                cache_key: String::new(),
            },
        }
    }

    fn matches(item: &KafkaAcl, key: &ObjectKey) -> bool {
        AclKey::parse(&key.name).is_ok_and(|acl| acl.matches(item))
    }
}

/// Every allowlist entry of one instance, one item per address: GetAllowedIpList.
pub struct AllowedIpsOf(pub String);

impl ListQuery for AllowedIpsOf {
    type Item = AllowedIpEntry;

    fn key(&self) -> &str {
        &self.0
    }

    fn fetch(&self, client: Client) -> BoxFuture<'static, Result<Vec<AllowedIpEntry>, ApiError>> {
        let request = GetAllowedIpListRequest {
            instance_id: self.0.clone(),
        };
        Box::pin(async move {
            client
                .get_allowed_ip_list(&request, None)
                .await
                .map(|r| r.allowed_list.entries())
        })
    }
}

impl Locates for AllowedIpsOf {
    const NOT_FOUND: (&'static str, &'static str) = ("GetAllowedIpList", "ALLOWED_IP_NOT_FOUND");

    fn for_key(key: &ObjectKey) -> Self {
        AllowedIpsOf(key.instance_id.clone())
    }

    fn matches(item: &AllowedIpEntry, key: &ObjectKey) -> bool {
        AllowedIpKey::parse(&key.name).is_ok_and(|k| k.matches(item))
    }
}
