//! Tag actions: TagResources, UntagResources, ListTagResources; and the resource IDs
//! they take.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::tag_limits::MAX_RESOURCE_IDS;
use super::{lenient, param, push_indexed, push_opt, push_tags, Action, EmptyResponse, Param, Tag};
use crate::api::{ApiError, Client};

/// What a tag request is about (`ResourceType`; the service takes it in any case).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ResourceType {
    #[default]
    Instance,
    Topic,
    ConsumerGroup,
}

impl ResourceType {
    /// The value sent as `ResourceType`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Instance => "INSTANCE",
            ResourceType::Topic => "TOPIC",
            ResourceType::ConsumerGroup => "CONSUMERGROUP",
        }
    }
}

/// The tag resource ID of a topic: `Kafka_<instanceId>_<topic>`.
pub fn topic_resource_id(instance_id: &str, topic: &str) -> String {
    format!("Kafka_{instance_id}_{topic}")
}

/// The tag resource ID of a consumer group: `Kafka_<instanceId>_<group>`.
pub fn consumer_group_resource_id(instance_id: &str, consumer_id: &str) -> String {
    format!("Kafka_{instance_id}_{consumer_id}")
}

/// Attaches tags to resources (adding, or changing the value of, each key). Absolute,
/// so repeatable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagResourcesRequest {
    pub resource_type: ResourceType,
    /// At most [`MAX_RESOURCE_IDS`]; see [`topic_resource_id`].
    pub resource_ids: Vec<String>,
    /// At most [`super::tag_limits::MAX_TAGS`].
    pub tags: Vec<Tag>,
    /// The instance holding the resources (optional).
    pub instance_id: Option<String>,
}

impl Action for TagResourcesRequest {
    const NAME: &'static str = "TagResources";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![param("ResourceType", self.resource_type.as_str())];
        push_indexed(&mut params, "ResourceId", &self.resource_ids);
        push_tags(&mut params, &self.tags);
        push_opt(&mut params, "InstanceId", self.instance_id.as_ref());
        params
    }
}

/// Detaches tags by key (or all of them). Repeatable: removing an absent key is no change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UntagResourcesRequest {
    pub resource_type: ResourceType,
    pub resource_ids: Vec<String>,
    /// At most [`super::tag_limits::MAX_TAGS`].
    pub tag_keys: Vec<String>,
    /// Detach every tag; the service looks at it only when `tag_keys` is empty.
    pub all: bool,
}

impl Action for UntagResourcesRequest {
    const NAME: &'static str = "UntagResources";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![param("ResourceType", self.resource_type.as_str())];
        push_indexed(&mut params, "ResourceId", &self.resource_ids);
        push_indexed(&mut params, "TagKey", &self.tag_keys);
        if self.all {
            params.push(param("All", "true"));
        }
        params
    }
}

/// One page of (resource, tag) pairs: of the listed resources, or of every resource of
/// the type carrying all of `tags` (at least one of the two must be given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTagResourcesRequest {
    pub resource_type: ResourceType,
    /// At most [`MAX_RESOURCE_IDS`] per request ([`Client::list_all_tag_resources`]
    /// batches longer lists).
    pub resource_ids: Vec<String>,
    /// Filter: resources carrying every one of these (an empty value matches any value).
    pub tags: Vec<Tag>,
    /// The previous page's `NextToken`.
    pub next_token: Option<String>,
}

impl Action for ListTagResourcesRequest {
    const NAME: &'static str = "ListTagResources";
    type Response = ListTagResourcesResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![param("ResourceType", self.resource_type.as_str())];
        push_indexed(&mut params, "ResourceId", &self.resource_ids);
        push_tags(&mut params, &self.tags);
        push_opt(&mut params, "NextToken", self.next_token.as_ref());
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagResourcesResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    /// Absent or empty on the last page.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub next_token: Option<String>,
    #[serde(default, rename = "TagResources", deserialize_with = "tag_resource")]
    pub tag_resources: Vec<TagResource>,
}

fn tag_resource<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TagResource>, D::Error> {
    lenient::wrapped_list(d, "TagResource")
}

/// One tag of one resource. `resource_type` is as the service spells it in answers
/// (`Instance`, `Topic`, `Consumergroup`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResource {
    #[serde(default, deserialize_with = "lenient::string")]
    pub resource_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub resource_type: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub tag_key: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub tag_value: String,
}

/// The pairs grouped per resource ID: key → value.
pub fn tags_by_resource(pairs: &[TagResource]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for pair in pairs {
        out.entry(pair.resource_id.clone())
            .or_default()
            .insert(pair.tag_key.clone(), pair.tag_value.clone());
    }
    out
}

/// Upper bound on pages fetched for one batch by [`Client::list_all_tag_resources`].
const MAX_PAGES: usize = 10_000;

impl Client {
    pub async fn tag_resources(
        &self,
        req: &TagResourcesRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn untag_resources(
        &self,
        req: &UntagResourcesRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    /// One page.
    pub async fn list_tag_resources(
        &self,
        req: &ListTagResourcesRequest,
        deadline: Option<Instant>,
    ) -> Result<ListTagResourcesResponse, ApiError> {
        self.call(req, deadline).await
    }

    /// Every pair `req` selects: its resource IDs in batches of at most
    /// [`MAX_RESOURCE_IDS`] (one request sequence per batch, or one for a tag-only
    /// query), each followed through its `NextToken`s until the token is absent, empty or
    /// repeats. Pairs come in the service's order, batch after batch, without duplicates.
    pub async fn list_all_tag_resources(
        &self,
        req: &ListTagResourcesRequest,
        deadline: Option<Instant>,
    ) -> Result<Vec<TagResource>, ApiError> {
        let batches: Vec<Vec<String>> = if req.resource_ids.is_empty() {
            vec![Vec::new()]
        } else {
            req.resource_ids
                .chunks(MAX_RESOURCE_IDS)
                .map(<[String]>::to_vec)
                .collect()
        };
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for resource_ids in batches {
            let mut page_req = ListTagResourcesRequest {
                resource_ids,
                ..req.clone()
            };
            let mut tokens = HashSet::new();
            for _ in 0..MAX_PAGES {
                let response = self.list_tag_resources(&page_req, deadline).await?;
                for pair in response.tag_resources {
                    if seen.insert((pair.resource_id.clone(), pair.tag_key.clone())) {
                        out.push(pair);
                    }
                }
                match response.next_token.filter(|t| !t.is_empty()) {
                    Some(token) if tokens.insert(token.clone()) => {
                        page_req.next_token = Some(token);
                    }
                    _ => break,
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(params: Vec<Param>) -> Vec<(String, String)> {
        params
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn resource_ids_follow_the_documented_form() {
        assert_eq!(
            topic_resource_id("alikafka_post-cn-v0h1fgs2xxxx", "test-topic"),
            "Kafka_alikafka_post-cn-v0h1fgs2xxxx_test-topic"
        );
        assert_eq!(
            consumer_group_resource_id("alikafka_post-cn-v0h1fgs2xxxx", "test-consumer-group"),
            "Kafka_alikafka_post-cn-v0h1fgs2xxxx_test-consumer-group"
        );
    }

    #[test]
    fn request_parameters() {
        let tag = TagResourcesRequest {
            resource_type: ResourceType::Topic,
            resource_ids: vec!["Kafka_i_t".into()],
            tags: vec![Tag::new("team", "pay")],
            instance_id: Some("i".into()),
        };
        assert_eq!(
            owned(tag.params()),
            pairs(&[
                ("ResourceType", "TOPIC"),
                ("ResourceId.1", "Kafka_i_t"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "pay"),
                ("InstanceId", "i")
            ])
        );
        let untag = UntagResourcesRequest {
            resource_type: ResourceType::ConsumerGroup,
            resource_ids: vec!["Kafka_i_g".into()],
            tag_keys: vec!["a".into(), "b".into()],
            all: false,
        };
        assert_eq!(
            owned(untag.params()),
            pairs(&[
                ("ResourceType", "CONSUMERGROUP"),
                ("ResourceId.1", "Kafka_i_g"),
                ("TagKey.1", "a"),
                ("TagKey.2", "b")
            ])
        );
        let all = UntagResourcesRequest {
            resource_type: ResourceType::Instance,
            resource_ids: vec!["i".into()],
            all: true,
            ..Default::default()
        };
        assert!(owned(all.params()).contains(&("All".into(), "true".into())));
        let list = ListTagResourcesRequest {
            resource_type: ResourceType::Topic,
            tags: vec![Tag::new("team", "")],
            next_token: Some("tok".into()),
            ..Default::default()
        };
        assert_eq!(
            owned(list.params()),
            pairs(&[
                ("ResourceType", "TOPIC"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", ""),
                ("NextToken", "tok")
            ])
        );
    }

    #[test]
    fn parses_list_tag_resources() {
        let body = r#"{"RequestId":"R","NextToken":"abc","TagResources":{"TagResource":[
            {"ResourceId":"Kafka_i_t","ResourceType":"Topic","TagKey":"team","TagValue":"pay"},
            {"ResourceId":"Kafka_i_t","ResourceType":"Topic","TagKey":"empty"}]}}"#;
        let parsed: ListTagResourcesResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.next_token.as_deref(), Some("abc"));
        assert_eq!(parsed.tag_resources.len(), 2);
        assert_eq!(parsed.tag_resources[1].tag_value, "");
        let grouped = tags_by_resource(&parsed.tag_resources);
        assert_eq!(grouped["Kafka_i_t"]["team"], "pay");
        assert_eq!(grouped["Kafka_i_t"]["empty"], "");
        let last: ListTagResourcesResponse =
            serde_json::from_str(r#"{"RequestId":"R","TagResources":{"TagResource":[]}}"#)
                .expect("parses");
        assert_eq!((last.next_token, last.tag_resources.len()), (None, 0));
    }
}
