//! Consumer group actions: CreateConsumerGroup, GetConsumerList, GetConsumerProgress,
//! DeleteConsumerGroup, UpdateConsumerOffset.

use std::collections::HashSet;

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::topic::Pager;
use super::{lenient, param, push_opt, push_tags, tag_vo, Action, EmptyResponse, Param, Tag};
use crate::api::{ApiError, Client};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateConsumerGroupRequest {
    pub instance_id: String,
    pub consumer_id: String,
    pub remark: Option<String>,
    /// At most [`super::tag_limits::MAX_TAGS`].
    pub tags: Vec<Tag>,
}

impl Action for CreateConsumerGroupRequest {
    const NAME: &'static str = "CreateConsumerGroup";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("ConsumerId", self.consumer_id.as_str()),
        ];
        push_opt(&mut params, "Remark", self.remark.as_ref());
        push_tags(&mut params, &self.tags);
        params
    }
}

/// Lists groups. Without paging parameters the emulator answers every group in one page
/// (unconfirmed for the service: its SDK documents no default page size).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetConsumerListRequest {
    pub instance_id: String,
    /// Group name filter, applied by the service.
    pub consumer_id: Option<String>,
    /// 1-based page number.
    pub current_page: Option<u32>,
    pub page_size: Option<u32>,
}

/// The largest GetConsumerList page asked for by [`Client::get_all_consumer_groups`]
/// (unconfirmed, as for topics).
pub const CONSUMER_LIST_MAX_PAGE_SIZE: u32 = 10_000;

impl Action for GetConsumerListRequest {
    const NAME: &'static str = "GetConsumerList";
    type Response = GetConsumerListResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![param("InstanceId", self.instance_id.as_str())];
        push_opt(&mut params, "ConsumerId", self.consumer_id.as_ref());
        push_opt(&mut params, "CurrentPage", self.current_page);
        push_opt(&mut params, "PageSize", self.page_size);
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetConsumerListResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub current_page: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub page_size: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
    #[serde(default, rename = "ConsumerList", deserialize_with = "consumer_vo")]
    pub consumers: Vec<ConsumerInfo>,
}

fn consumer_vo<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ConsumerInfo>, D::Error> {
    lenient::wrapped_list(d, "ConsumerVO")
}

/// One `ConsumerVO`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerInfo {
    #[serde(default, deserialize_with = "lenient::string")]
    pub consumer_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub instance_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub region_id: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub remark: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// Whether the service created the group itself (flexible group creation).
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub automatically_created_group: Option<bool>,
    #[serde(default, deserialize_with = "tag_vo")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetConsumerProgressRequest {
    pub instance_id: String,
    pub consumer_id: String,
}

impl Action for GetConsumerProgressRequest {
    const NAME: &'static str = "GetConsumerProgress";
    type Response = GetConsumerProgressResponse;

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("ConsumerId", self.consumer_id.as_str()),
        ]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetConsumerProgressResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, deserialize_with = "lenient::object_or_default")]
    pub consumer_progress: ConsumerProgress,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerProgress {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total_diff: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_timestamp: Option<i64>,
    #[serde(default, rename = "TopicList", deserialize_with = "topic_list")]
    pub topics: Vec<TopicProgress>,
}

fn topic_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TopicProgress>, D::Error> {
    lenient::wrapped_list(d, "TopicList")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicProgress {
    #[serde(default, deserialize_with = "lenient::string")]
    pub topic: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total_diff: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_timestamp: Option<i64>,
    #[serde(default, rename = "OffsetList", deserialize_with = "offset_list")]
    pub offsets: Vec<PartitionProgress>,
}

fn offset_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PartitionProgress>, D::Error> {
    lenient::wrapped_list(d, "OffsetList")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionProgress {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub partition: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub broker_offset: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub consumer_offset: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_timestamp: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteConsumerGroupRequest {
    pub instance_id: String,
    pub consumer_id: String,
}

impl Action for DeleteConsumerGroupRequest {
    const NAME: &'static str = "DeleteConsumerGroup";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("ConsumerId", self.consumer_id.as_str()),
        ]
    }
}

/// How UpdateConsumerOffset resets a group's offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetReset {
    /// `ResetType=timestamp`: to the first message at or after `Time` (ms since the
    /// epoch), or `-1` latest, `-2` earliest.
    Timestamp(i64),
    /// `ResetType=offset`: each listed partition to its offset.
    Offsets(Vec<PartitionOffset>),
}

impl Default for OffsetReset {
    fn default() -> Self {
        OffsetReset::Timestamp(Self::LATEST)
    }
}

impl OffsetReset {
    pub const LATEST: i64 = -1;
    pub const EARLIEST: i64 = -2;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffset {
    pub partition: i32,
    pub offset: i64,
}

/// Resets a group's consumer offsets (the group must have no active consumers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateConsumerOffsetRequest {
    pub instance_id: String,
    pub consumer_id: String,
    /// The topic; empty resets every topic the group consumes.
    pub topic: String,
    pub reset: OffsetReset,
}

impl Action for UpdateConsumerOffsetRequest {
    const NAME: &'static str = "UpdateConsumerOffset";
    type Response = EmptyResponse;
    /// Not repeatable although absolute: once applied, consumers resume from the reset
    /// point, and a resend seconds later would move them back again (messages consumed
    /// twice). After an uncertain attempt the caller decides.
    const REPEATABLE: bool = false;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("ConsumerId", self.consumer_id.as_str()),
            param("Topic", self.topic.as_str()),
        ];
        match &self.reset {
            OffsetReset::Timestamp(time) => {
                params.push(param("ResetType", "timestamp"));
                params.push(param("Time", time.to_string()));
            }
            OffsetReset::Offsets(offsets) => {
                params.push(param("ResetType", "offset"));
                // The SDK sends the list as one JSON parameter.
                let list: Vec<serde_json::Value> = offsets
                    .iter()
                    .map(|o| serde_json::json!({"Offset": o.offset, "Partition": o.partition}))
                    .collect();
                params.push(param("Offsets", serde_json::Value::Array(list).to_string()));
            }
        }
        params
    }
}

impl Client {
    pub async fn create_consumer_group(
        &self,
        req: &CreateConsumerGroupRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn get_consumer_list(
        &self,
        req: &GetConsumerListRequest,
        deadline: Option<Instant>,
    ) -> Result<GetConsumerListResponse, ApiError> {
        self.call(req, deadline).await
    }

    /// Every group matching `req` (its filter and `page_size`, default
    /// [`CONSUMER_LIST_MAX_PAGE_SIZE`]), following pages as [`Client::get_all_topics`]
    /// does. Groups are de-duplicated by name, in the order first seen.
    pub async fn get_all_consumer_groups(
        &self,
        req: &GetConsumerListRequest,
        deadline: Option<Instant>,
    ) -> Result<Vec<ConsumerInfo>, ApiError> {
        let mut page_req = req.clone();
        page_req.page_size = Some(req.page_size.unwrap_or(CONSUMER_LIST_MAX_PAGE_SIZE));
        let first_page = req.current_page.unwrap_or(1).max(1);
        let mut seen = HashSet::new();
        let mut groups = Vec::new();
        for page in (first_page..).take(MAX_PAGES) {
            page_req.current_page = Some(page);
            let response = self.get_consumer_list(&page_req, deadline).await?;
            let pager = Pager::of_parts(response.total, response.page_size, page_req.page_size);
            let received = response.consumers.len();
            let mut new_items = 0;
            for group in response.consumers {
                if seen.insert(group.consumer_id.clone()) {
                    groups.push(group);
                    new_items += 1;
                }
            }
            if pager.is_last(received, new_items, groups.len()) {
                break;
            }
        }
        Ok(groups)
    }

    pub async fn get_consumer_progress(
        &self,
        req: &GetConsumerProgressRequest,
        deadline: Option<Instant>,
    ) -> Result<GetConsumerProgressResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn delete_consumer_group(
        &self,
        req: &DeleteConsumerGroupRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn update_consumer_offset(
        &self,
        req: &UpdateConsumerOffsetRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }
}

/// Upper bound on pages fetched by [`Client::get_all_consumer_groups`].
const MAX_PAGES: usize = 10_000;

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
    fn create_consumer_group_parameters() {
        let plain = CreateConsumerGroupRequest {
            instance_id: "i".into(),
            consumer_id: "CID-a".into(),
            ..Default::default()
        };
        assert_eq!(
            owned(plain.params()),
            pairs(&[("InstanceId", "i"), ("ConsumerId", "CID-a")])
        );
        assert_eq!(plain.version(), super::super::VERSION_2019_09_16);
        let full = CreateConsumerGroupRequest {
            remark: Some("for billing".into()),
            tags: vec![Tag::new("team", "pay")],
            ..plain
        };
        assert_eq!(
            owned(full.params()),
            pairs(&[
                ("InstanceId", "i"),
                ("ConsumerId", "CID-a"),
                ("Remark", "for billing"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "pay")
            ])
        );
        assert_eq!(DeleteConsumerGroupRequest::default().params().len(), 2);
        let list = GetConsumerListRequest {
            instance_id: "i".into(),
            consumer_id: Some("g".into()),
            current_page: Some(2),
            page_size: Some(50),
        };
        assert_eq!(
            owned(list.params()),
            pairs(&[
                ("InstanceId", "i"),
                ("ConsumerId", "g"),
                ("CurrentPage", "2"),
                ("PageSize", "50")
            ])
        );
    }

    #[test]
    fn update_consumer_offset_parameters() {
        let by_time = UpdateConsumerOffsetRequest {
            instance_id: "i".into(),
            consumer_id: "g".into(),
            topic: String::new(),
            reset: OffsetReset::Timestamp(OffsetReset::EARLIEST),
        };
        assert_eq!(
            owned(by_time.params()),
            pairs(&[
                ("InstanceId", "i"),
                ("ConsumerId", "g"),
                ("Topic", ""),
                ("ResetType", "timestamp"),
                ("Time", "-2")
            ])
        );
        let by_offset = UpdateConsumerOffsetRequest {
            topic: "orders".into(),
            reset: OffsetReset::Offsets(vec![PartitionOffset {
                partition: 0,
                offset: 5,
            }]),
            ..by_time
        };
        let params = owned(by_offset.params());
        assert!(params.contains(&("ResetType".into(), "offset".into())));
        assert!(params.contains(&("Offsets".into(), r#"[{"Offset":5,"Partition":0}]"#.into())));
        const { assert!(!UpdateConsumerOffsetRequest::REPEATABLE) };
    }

    #[test]
    fn parses_get_consumer_list() {
        let body = r#"{
          "Code": 200, "Success": true, "RequestId": "R4", "Message": "operation success.",
          "CurrentPage": 1, "PageSize": "10000", "Total": 2,
          "ConsumerList": {"ConsumerVO": [
            {"ConsumerId": "CID_a", "InstanceId": "i1", "RegionId": "cn-hangzhou", "Remark": "r",
             "CreateTime": "1700000000000", "AutomaticallyCreatedGroup": false,
             "Tags": {"TagVO": [{"Key": "team", "Value": "pay"}]}},
            {"ConsumerId": "CID_b", "InstanceId": "i1", "RegionId": "cn-hangzhou"}
          ]}
        }"#;
        let parsed: GetConsumerListResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.request_id, "R4");
        assert_eq!(parsed.consumers.len(), 2);
        assert_eq!(parsed.consumers[0].consumer_id, "CID_a");
        assert_eq!(parsed.consumers[0].instance_id, "i1");
        assert_eq!(parsed.consumers[0].region_id, "cn-hangzhou");
        assert_eq!(parsed.consumers[0].remark.as_deref(), Some("r"));
        assert_eq!(parsed.consumers[1].remark, None);
        assert_eq!(
            (parsed.current_page, parsed.page_size, parsed.total),
            (Some(1), Some(10000), Some(2))
        );
        let first = &parsed.consumers[0];
        assert_eq!(first.create_time, Some(1_700_000_000_000));
        assert_eq!(first.automatically_created_group, Some(false));
        assert_eq!(first.tags, [Tag::new("team", "pay")]);
        let second = &parsed.consumers[1];
        assert_eq!(
            (second.create_time, second.automatically_created_group),
            (None, None)
        );
        assert!(second.tags.is_empty());
    }

    #[test]
    fn parses_get_consumer_progress() {
        let body = r#"{
          "Code": 200, "Success": true, "RequestId": "R5", "Message": "operation success.",
          "ConsumerProgress": {
            "TotalDiff": 120, "LastTimestamp": 1566874931671,
            "TopicList": {"TopicList": [{
              "Topic": "orders", "TotalDiff": "120", "LastTimestamp": 1566874931649,
              "OffsetList": {"OffsetList": [
                {"Partition": 0, "BrokerOffset": 500, "ConsumerOffset": 450, "LastTimestamp": 1566874931649},
                {"Partition": "1", "BrokerOffset": "100", "ConsumerOffset": "30"}
              ]}
            }]}
          }
        }"#;
        let parsed: GetConsumerProgressResponse = serde_json::from_str(body).expect("parses");
        let progress = &parsed.consumer_progress;
        assert_eq!(progress.total_diff, Some(120));
        assert_eq!(progress.last_timestamp, Some(1_566_874_931_671));
        assert_eq!(progress.topics.len(), 1);
        let topic = &progress.topics[0];
        assert_eq!(topic.topic, "orders");
        assert_eq!(topic.total_diff, Some(120));
        assert_eq!(topic.offsets.len(), 2);
        assert_eq!(
            topic.offsets[0],
            PartitionProgress {
                partition: Some(0),
                broker_offset: Some(500),
                consumer_offset: Some(450),
                last_timestamp: Some(1_566_874_931_649)
            }
        );
        assert_eq!(topic.offsets[1].broker_offset, Some(100));
        assert_eq!(topic.offsets[1].last_timestamp, None);

        let empty: GetConsumerProgressResponse = serde_json::from_str(
            r#"{"ConsumerProgress": {"TotalDiff": 0, "TopicList": {"TopicList": []}}}"#,
        )
        .expect("parses");
        assert!(empty.consumer_progress.topics.is_empty());
    }
}
