//! Topic actions: CreateTopic, GetTopicList, GetTopicStatus, DeleteTopic,
//! ModifyTopicRemark, ModifyPartitionNum.

use std::collections::HashSet;

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::{lenient, push_opt, Action, EmptyResponse, VERSION_2019_09_16};
use crate::api::{ApiError, Client};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTopicRequest {
    pub instance_id: String,
    pub topic: String,
    pub remark: String,
    /// 1-360; the service's default when absent.
    pub partition_num: Option<u32>,
    pub local_topic: Option<bool>,
    pub compact_topic: Option<bool>,
}

impl Action for CreateTopicRequest {
    const NAME: &'static str = "CreateTopic";
    type Response = EmptyResponse;

    fn version(&self) -> &'static str {
        let uses_newer = self.partition_num.is_some()
            || self.local_topic.is_some()
            || self.compact_topic.is_some();
        if uses_newer {
            VERSION_2019_09_16
        } else {
            super::VERSION_2018_10_15
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("InstanceId", self.instance_id.clone()),
            ("Topic", self.topic.clone()),
            ("Remark", self.remark.clone()),
        ];
        push_opt(&mut params, "PartitionNum", self.partition_num);
        push_opt(&mut params, "LocalTopic", self.local_topic);
        push_opt(&mut params, "CompactTopic", self.compact_topic);
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetTopicListRequest {
    pub instance_id: String,
    /// 1-based page number.
    pub current_page: Option<u32>,
    pub page_size: Option<u32>,
    /// Topic name filter, applied by the service.
    pub topic: Option<String>,
}

impl Action for GetTopicListRequest {
    const NAME: &'static str = "GetTopicList";
    type Response = GetTopicListResponse;

    fn version(&self) -> &'static str {
        if self.current_page.is_some() || self.page_size.is_some() || self.topic.is_some() {
            VERSION_2019_09_16
        } else {
            super::VERSION_2018_10_15
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("InstanceId", self.instance_id.clone())];
        push_opt(&mut params, "CurrentPage", self.current_page);
        push_opt(&mut params, "PageSize", self.page_size);
        push_opt(&mut params, "Topic", self.topic.as_ref());
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTopicListResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub current_page: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub page_size: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
    #[serde(default, rename = "TopicList", deserialize_with = "topic_vo")]
    pub topics: Vec<TopicInfo>,
}

fn topic_vo<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TopicInfo>, D::Error> {
    lenient::wrapped_list(d, "TopicVO")
}

/// One `TopicVO`. `status`: 0 in service, 1 frozen, 2 paused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicInfo {
    #[serde(default, deserialize_with = "lenient::string")]
    pub topic: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub instance_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub region_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub remark: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub partition_num: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub compact_topic: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub local_topic: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetTopicStatusRequest {
    pub instance_id: String,
    pub topic: String,
}

impl Action for GetTopicStatusRequest {
    const NAME: &'static str = "GetTopicStatus";
    type Response = GetTopicStatusResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("InstanceId", self.instance_id.clone()),
            ("Topic", self.topic.clone()),
        ]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTopicStatusResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, deserialize_with = "lenient::object_or_default")]
    pub topic_status: TopicStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicStatus {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total_count: Option<i64>,
    /// Note the service's casing: `LastTimeStamp`.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_time_stamp: Option<i64>,
    #[serde(default, rename = "OffsetTable", deserialize_with = "offset_table")]
    pub offsets: Vec<PartitionOffsets>,
}

fn offset_table<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PartitionOffsets>, D::Error> {
    lenient::wrapped_list(d, "OffsetTable")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionOffsets {
    #[serde(default, deserialize_with = "lenient::string")]
    pub topic: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub partition: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub min_offset: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub max_offset: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_update_timestamp: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteTopicRequest {
    pub instance_id: String,
    pub topic: String,
}

impl Action for DeleteTopicRequest {
    const NAME: &'static str = "DeleteTopic";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("InstanceId", self.instance_id.clone()),
            ("Topic", self.topic.clone()),
        ]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModifyTopicRemarkRequest {
    pub instance_id: String,
    pub topic: String,
    pub remark: String,
}

impl Action for ModifyTopicRemarkRequest {
    const NAME: &'static str = "ModifyTopicRemark";
    type Response = EmptyResponse;

    fn version(&self) -> &'static str {
        VERSION_2019_09_16
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("InstanceId", self.instance_id.clone()),
            ("Topic", self.topic.clone()),
            ("Remark", self.remark.clone()),
        ]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModifyPartitionNumRequest {
    pub instance_id: String,
    pub topic: String,
    /// Partitions to add (partitions only grow).
    pub add_partition_num: u32,
}

impl Action for ModifyPartitionNumRequest {
    const NAME: &'static str = "ModifyPartitionNum";
    type Response = EmptyResponse;
    /// AddPartitionNum is relative: a repeat after a lost answer would add twice.
    const REPEATABLE: bool = false;

    fn version(&self) -> &'static str {
        VERSION_2019_09_16
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("InstanceId", self.instance_id.clone()),
            ("Topic", self.topic.clone()),
            ("AddPartitionNum", self.add_partition_num.to_string()),
        ]
    }
}

/// Upper bound on pages fetched by [`Client::get_all_topics`], against a service that
/// never stops paging.
const MAX_PAGES: usize = 10_000;

impl Client {
    pub async fn create_topic(
        &self,
        req: &CreateTopicRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    /// One page (or, without paging parameters, the service's default page of 10000).
    pub async fn get_topic_list(
        &self,
        req: &GetTopicListRequest,
        deadline: Option<Instant>,
    ) -> Result<GetTopicListResponse, ApiError> {
        self.call(req, deadline).await
    }

    /// Every topic matching `req` (its `instance_id`, `topic` filter and `page_size`),
    /// following pages from `current_page` (default 1) until `Total` topics are in hand,
    /// a page is short or empty, or a page brings nothing new (defends against services
    /// that ignore paging). Topics are de-duplicated by name, in the order first seen.
    pub async fn get_all_topics(
        &self,
        req: &GetTopicListRequest,
        deadline: Option<Instant>,
    ) -> Result<Vec<TopicInfo>, ApiError> {
        let mut page_req = req.clone();
        let first_page = req.current_page.unwrap_or(1).max(1);
        let mut seen = HashSet::new();
        let mut topics = Vec::new();
        for page in (first_page..).take(MAX_PAGES) {
            page_req.current_page = Some(page);
            let response = self.get_topic_list(&page_req, deadline).await?;
            let received = response.topics.len();
            let mut new_items = 0;
            for topic in response.topics {
                if seen.insert(topic.topic.clone()) {
                    topics.push(topic);
                    new_items += 1;
                }
            }
            let page_size = req
                .page_size
                .map(i64::from)
                .or(response.page_size)
                .unwrap_or(i64::MAX);
            let total_reached = response
                .total
                .is_some_and(|total| topics.len() as i64 >= total);
            let short_page = (received as i64) < page_size;
            if received == 0 || new_items == 0 || total_reached || short_page {
                break;
            }
        }
        Ok(topics)
    }

    pub async fn get_topic_status(
        &self,
        req: &GetTopicStatusRequest,
        deadline: Option<Instant>,
    ) -> Result<GetTopicStatusResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn delete_topic(
        &self,
        req: &DeleteTopicRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn modify_topic_remark(
        &self,
        req: &ModifyTopicRemarkRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn modify_partition_num(
        &self,
        req: &ModifyPartitionNumRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::actions::VERSION_2018_10_15;

    #[test]
    fn create_topic_parameters_and_version() {
        let plain = CreateTopicRequest {
            instance_id: "i".into(),
            topic: "t".into(),
            remark: "r".into(),
            ..Default::default()
        };
        assert_eq!(
            plain.params(),
            vec![
                ("InstanceId", "i".to_owned()),
                ("Topic", "t".to_owned()),
                ("Remark", "r".to_owned())
            ]
        );
        assert_eq!(plain.version(), VERSION_2018_10_15);
        let full = CreateTopicRequest {
            partition_num: Some(24),
            local_topic: Some(false),
            compact_topic: Some(true),
            ..plain
        };
        let params = full.params();
        assert!(params.contains(&("PartitionNum", "24".to_owned())));
        assert!(params.contains(&("LocalTopic", "false".to_owned())));
        assert!(params.contains(&("CompactTopic", "true".to_owned())));
        assert_eq!(full.version(), VERSION_2019_09_16);
    }

    #[test]
    fn get_topic_list_parameters() {
        let req = GetTopicListRequest {
            instance_id: "i".into(),
            current_page: Some(2),
            page_size: Some(50),
            topic: Some("orders".into()),
        };
        let params = req.params();
        assert!(params.contains(&("CurrentPage", "2".to_owned())));
        assert!(params.contains(&("PageSize", "50".to_owned())));
        assert!(params.contains(&("Topic", "orders".to_owned())));
        assert_eq!(req.version(), VERSION_2019_09_16);
        let plain = GetTopicListRequest {
            instance_id: "i".into(),
            ..Default::default()
        };
        assert_eq!(plain.params().len(), 1);
        assert_eq!(plain.version(), VERSION_2018_10_15);
    }

    #[test]
    fn modify_actions_use_the_newer_version() {
        let remark = ModifyTopicRemarkRequest::default();
        assert_eq!(remark.version(), VERSION_2019_09_16);
        let grow = ModifyPartitionNumRequest {
            instance_id: "i".into(),
            topic: "t".into(),
            add_partition_num: 3,
        };
        assert_eq!(grow.version(), VERSION_2019_09_16);
        assert!(grow.params().contains(&("AddPartitionNum", "3".to_owned())));
        assert_eq!(DeleteTopicRequest::default().version(), VERSION_2018_10_15);
    }

    #[test]
    fn parses_get_topic_list() {
        let body = r#"{
          "Code": 200, "Message": "operation success.", "RequestId": "R1", "Success": true,
          "CurrentPage": 1, "PageSize": "10000", "Total": 2,
          "TopicList": {"TopicVO": [
            {"Topic": "orders", "InstanceId": "i1", "RegionId": "cn-hangzhou", "Remark": "r",
             "PartitionNum": 12, "CreateTime": 1566804394000, "Status": 0,
             "StatusName": "服务中", "CompactTopic": false, "LocalTopic": "true", "Tags": {"TagVO": []}},
            {"Topic": "bare", "PartitionNum": "6", "Status": "1"}
          ]}
        }"#;
        let parsed: GetTopicListResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.request_id, "R1");
        assert_eq!(
            (parsed.current_page, parsed.page_size, parsed.total),
            (Some(1), Some(10000), Some(2))
        );
        let first = &parsed.topics[0];
        assert_eq!(first.topic, "orders");
        assert_eq!(first.instance_id, "i1");
        assert_eq!(first.region_id, "cn-hangzhou");
        assert_eq!(first.remark, "r");
        assert_eq!(first.partition_num, Some(12));
        assert_eq!(first.create_time, Some(1_566_804_394_000));
        assert_eq!(first.status, Some(0));
        assert_eq!(first.status_name.as_deref(), Some("服务中"));
        assert_eq!(first.compact_topic, Some(false));
        assert_eq!(first.local_topic, Some(true));
        let second = &parsed.topics[1];
        assert_eq!((second.partition_num, second.status), (Some(6), Some(1)));
        assert_eq!((second.compact_topic, second.local_topic), (None, None));
        assert_eq!(second.remark, "");
    }

    #[test]
    fn parses_get_topic_status() {
        let body = r#"{
          "Code": 200, "Success": true, "RequestId": "R2", "Message": "operation success.",
          "TopicStatus": {
            "TotalCount": 1000, "LastTimeStamp": "1566804394000",
            "OffsetTable": {"OffsetTable": [
              {"Topic": "orders", "Partition": 0, "MinOffset": 0, "MaxOffset": 600, "LastUpdateTimestamp": 1566804394000},
              {"Topic": "orders", "Partition": "1", "MinOffset": "10", "MaxOffset": "400"}
            ]}
          }
        }"#;
        let parsed: GetTopicStatusResponse = serde_json::from_str(body).expect("parses");
        let status = &parsed.topic_status;
        assert_eq!(status.total_count, Some(1000));
        assert_eq!(status.last_time_stamp, Some(1_566_804_394_000));
        assert_eq!(status.offsets.len(), 2);
        assert_eq!(status.offsets[0].max_offset, Some(600));
        assert_eq!(
            status.offsets[0].last_update_timestamp,
            Some(1_566_804_394_000)
        );
        assert_eq!(status.offsets[1].partition, Some(1));
        assert_eq!(status.offsets[1].min_offset, Some(10));
        assert_eq!(status.offsets[1].last_update_timestamp, None);

        let empty: GetTopicStatusResponse = serde_json::from_str(
            r#"{"TopicStatus": {"TotalCount": 0, "OffsetTable": {"OffsetTable": []}}}"#,
        )
        .expect("parses");
        assert!(empty.topic_status.offsets.is_empty());
        let missing: GetTopicStatusResponse =
            serde_json::from_str(r#"{"RequestId":"x"}"#).expect("parses");
        assert_eq!(missing.topic_status, TopicStatus::default());
    }

    #[test]
    fn parses_empty_responses() {
        for body in [
            r#"{"Code":200,"Message":"operation success.","RequestId":"R3","Success":true}"#,
            r#"{"Code":"200","RequestId":"R3","Success":"true","Data":"whatever"}"#,
        ] {
            let parsed: EmptyResponse = serde_json::from_str(body).expect(body);
            assert_eq!(parsed.request_id, "R3");
        }
    }
}
