//! Consumer group actions: CreateConsumerGroup, GetConsumerList, GetConsumerProgress,
//! DeleteConsumerGroup.

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::{lenient, push_opt, Action, EmptyResponse, VERSION_2018_10_15, VERSION_2019_09_16};
use crate::api::{ApiError, Client};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateConsumerGroupRequest {
    pub instance_id: String,
    pub consumer_id: String,
    pub remark: Option<String>,
}

impl Action for CreateConsumerGroupRequest {
    const NAME: &'static str = "CreateConsumerGroup";
    type Response = EmptyResponse;

    fn version(&self) -> &'static str {
        if self.remark.is_some() {
            VERSION_2019_09_16
        } else {
            VERSION_2018_10_15
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("InstanceId", self.instance_id.clone()),
            ("ConsumerId", self.consumer_id.clone()),
        ];
        push_opt(&mut params, "Remark", self.remark.as_ref());
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetConsumerListRequest {
    pub instance_id: String,
}

impl Action for GetConsumerListRequest {
    const NAME: &'static str = "GetConsumerList";
    type Response = GetConsumerListResponse;

    /// The newer version, because only it returns each group's `Remark`.
    fn version(&self) -> &'static str {
        VERSION_2019_09_16
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("InstanceId", self.instance_id.clone())]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetConsumerListResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
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
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetConsumerProgressRequest {
    pub instance_id: String,
    pub consumer_id: String,
}

impl Action for GetConsumerProgressRequest {
    const NAME: &'static str = "GetConsumerProgress";
    type Response = GetConsumerProgressResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("InstanceId", self.instance_id.clone()),
            ("ConsumerId", self.consumer_id.clone()),
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

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("InstanceId", self.instance_id.clone()),
            ("ConsumerId", self.consumer_id.clone()),
        ]
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_consumer_group_parameters_and_version() {
        let plain = CreateConsumerGroupRequest {
            instance_id: "i".into(),
            consumer_id: "CID-a".into(),
            remark: None,
        };
        assert_eq!(
            plain.params(),
            vec![
                ("InstanceId", "i".to_owned()),
                ("ConsumerId", "CID-a".to_owned())
            ]
        );
        assert_eq!(plain.version(), VERSION_2018_10_15);
        let with_remark = CreateConsumerGroupRequest {
            remark: Some("for billing".into()),
            ..plain
        };
        assert!(with_remark
            .params()
            .contains(&("Remark", "for billing".to_owned())));
        assert_eq!(with_remark.version(), VERSION_2019_09_16);
        assert_eq!(DeleteConsumerGroupRequest::default().params().len(), 2);
    }

    #[test]
    fn parses_get_consumer_list() {
        let body = r#"{
          "Code": 200, "Success": true, "RequestId": "R4", "Message": "operation success.",
          "ConsumerList": {"ConsumerVO": [
            {"ConsumerId": "CID_a", "InstanceId": "i1", "RegionId": "cn-hangzhou", "Remark": "r", "Tags": {"TagVO": []}},
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
