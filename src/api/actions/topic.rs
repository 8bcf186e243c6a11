//! Topic actions: CreateTopic, GetTopicList, GetTopicStatus, DeleteTopic,
//! ModifyTopicRemark, ModifyPartitionNum, UpdateTopicConfig, GetTopicSubscribeStatus.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use tokio::time::Instant;

use super::{lenient, param, push_opt, push_tags, tag_vo, Action, EmptyResponse, Param, Tag};
use crate::api::{ApiError, Client};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTopicRequest {
    pub instance_id: String,
    pub topic: String,
    pub remark: String,
    /// 1-360; the service's default when absent.
    pub partition_num: Option<u32>,
    /// `false` (the service's default) is cloud storage, `true` local storage.
    pub local_topic: Option<bool>,
    pub compact_topic: Option<bool>,
    /// Topic settings (`retention.ms`, ...), sent as the `Config` JSON object with string
    /// values; empty means not sent. The service takes them for local-storage topics.
    pub config: BTreeMap<String, String>,
    /// 1-3, local-storage topics only.
    pub replication_factor: Option<u32>,
    /// 1-3 and less than the replication factor, local-storage topics only.
    pub min_insync_replicas: Option<u32>,
    /// At most [`super::tag_limits::MAX_TAGS`].
    pub tags: Vec<Tag>,
}

impl Action for CreateTopicRequest {
    const NAME: &'static str = "CreateTopic";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Topic", self.topic.as_str()),
            param("Remark", self.remark.as_str()),
        ];
        push_opt(&mut params, "PartitionNum", self.partition_num);
        push_opt(&mut params, "LocalTopic", self.local_topic);
        push_opt(&mut params, "CompactTopic", self.compact_topic);
        if !self.config.is_empty() {
            params.push(param("Config", config_json(&self.config)));
        }
        push_opt(&mut params, "ReplicationFactor", self.replication_factor);
        push_opt(&mut params, "MinInsyncReplicas", self.min_insync_replicas);
        push_tags(&mut params, &self.tags);
        params
    }
}

/// A settings map as the JSON object text `Config` takes (values are strings, as the
/// service documents and answers them).
pub fn config_json(config: &BTreeMap<String, String>) -> String {
    let object: serde_json::Map<String, Value> = config
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(object).to_string()
}

/// The settings in a `TopicConfig` text: a JSON object whose values the service sends as
/// strings; numbers and booleans are taken as their text, `null` values are skipped. An
/// empty text is no settings. Anything else is an error describing the text's shape (never
/// quoting it).
pub fn parse_topic_config(text: &str) -> Result<BTreeMap<String, String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "TopicConfig is not JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(object) = value else {
        return Err("TopicConfig is JSON but not an object".to_owned());
    };
    let mut out = BTreeMap::new();
    for (key, value) in object {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(format!("TopicConfig value of {key:?} is not a scalar"))
            }
        };
        out.insert(key, text);
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetTopicListRequest {
    pub instance_id: String,
    /// 1-based page number.
    pub current_page: Option<u32>,
    /// Page size; the service's default is 10 in this API version.
    pub page_size: Option<u32>,
    /// Topic name filter, applied by the service (the emulator matches names containing it).
    pub topic: Option<String>,
}

/// The largest GetTopicList page asked for by [`Client::get_all_topics`] (unconfirmed: the
/// guide's API answered pages of 10,000; the paging loop copes with a service that caps
/// lower, since it follows `Total`).
pub const TOPIC_LIST_MAX_PAGE_SIZE: u32 = 10_000;

impl Action for GetTopicListRequest {
    const NAME: &'static str = "GetTopicList";
    type Response = GetTopicListResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![param("InstanceId", self.instance_id.as_str())];
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
    /// Whether the service created the topic itself (automatic topic creation).
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub auto_create: Option<bool>,
    /// Every setting the service reports, as it sent them: a JSON object text with string
    /// values, including keys the service adds by itself. See [`TopicInfo::config`].
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub topic_config: Option<String>,
    #[serde(default, deserialize_with = "tag_vo")]
    pub tags: Vec<Tag>,
}

impl TopicInfo {
    /// [`TopicInfo::topic_config`] as a map (empty when the service reported none).
    pub fn config(&self) -> Result<BTreeMap<String, String>, String> {
        parse_topic_config(self.topic_config.as_deref().unwrap_or(""))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetTopicStatusRequest {
    pub instance_id: String,
    pub topic: String,
}

impl Action for GetTopicStatusRequest {
    const NAME: &'static str = "GetTopicStatus";
    type Response = GetTopicStatusResponse;

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Topic", self.topic.as_str()),
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

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Topic", self.topic.as_str()),
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

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Topic", self.topic.as_str()),
            param("Remark", self.remark.as_str()),
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

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Topic", self.topic.as_str()),
            param("AddPartitionNum", self.add_partition_num.to_string()),
        ]
    }
}

/// Sets one topic setting (one key per call: several keys are several calls). Absolute,
/// so repeatable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateTopicConfigRequest {
    pub instance_id: String,
    pub topic: String,
    /// The setting's key, e.g. `retention.ms`.
    pub config: String,
    /// Its value, as text (`"86400000"`).
    pub value: String,
}

impl Action for UpdateTopicConfigRequest {
    const NAME: &'static str = "UpdateTopicConfig";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Topic", self.topic.as_str()),
            param("Config", self.config.as_str()),
            param("Value", self.value.as_str()),
        ]
    }
}

/// The consumer groups subscribed to a topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetTopicSubscribeStatusRequest {
    pub instance_id: String,
    pub topic: String,
}

impl Action for GetTopicSubscribeStatusRequest {
    const NAME: &'static str = "GetTopicSubscribeStatus";
    type Response = GetTopicSubscribeStatusResponse;

    fn params(&self) -> Vec<Param> {
        vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Topic", self.topic.as_str()),
        ]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTopicSubscribeStatusResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, deserialize_with = "lenient::object_or_default")]
    pub topic_subscribe_status: TopicSubscribeStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicSubscribeStatus {
    #[serde(default, deserialize_with = "lenient::string")]
    pub topic: String,
    #[serde(default, deserialize_with = "consumer_group_names")]
    pub consumer_groups: Vec<String>,
}

/// A plain list of names (also accepted wrapped, or as a single name).
fn consumer_group_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    lenient::wrapped_list(d, "ConsumerGroups")
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

    /// One page (the service's default page size is 10: see [`Client::get_all_topics`]).
    pub async fn get_topic_list(
        &self,
        req: &GetTopicListRequest,
        deadline: Option<Instant>,
    ) -> Result<GetTopicListResponse, ApiError> {
        self.call(req, deadline).await
    }

    /// Every topic matching `req` (its `instance_id`, `topic` filter and `page_size`,
    /// default [`TOPIC_LIST_MAX_PAGE_SIZE`]), following pages from `current_page`
    /// (default 1) until `Total` topics are in hand, a page is empty, or a page brings
    /// nothing new (defends against services that ignore paging). Without `Total`, a page
    /// shorter than the page size is the last. Topics are de-duplicated by name, in the
    /// order first seen.
    pub async fn get_all_topics(
        &self,
        req: &GetTopicListRequest,
        deadline: Option<Instant>,
    ) -> Result<Vec<TopicInfo>, ApiError> {
        let mut page_req = req.clone();
        page_req.page_size = Some(req.page_size.unwrap_or(TOPIC_LIST_MAX_PAGE_SIZE));
        let first_page = req.current_page.unwrap_or(1).max(1);
        let mut seen = HashSet::new();
        let mut topics = Vec::new();
        for page in (first_page..).take(MAX_PAGES) {
            page_req.current_page = Some(page);
            let response = self.get_topic_list(&page_req, deadline).await?;
            let pager = Pager::of(&response, page_req.page_size);
            let received = response.topics.len();
            let mut new_items = 0;
            for topic in response.topics {
                if seen.insert(topic.topic.clone()) {
                    topics.push(topic);
                    new_items += 1;
                }
            }
            if pager.is_last(received, new_items, topics.len()) {
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

    pub async fn update_topic_config(
        &self,
        req: &UpdateTopicConfigRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn get_topic_subscribe_status(
        &self,
        req: &GetTopicSubscribeStatusRequest,
        deadline: Option<Instant>,
    ) -> Result<GetTopicSubscribeStatusResponse, ApiError> {
        self.call(req, deadline).await
    }
}

/// When a paged list is complete: shared by the topic and group list helpers.
pub(crate) struct Pager {
    total: Option<i64>,
    page_size: i64,
}

impl Pager {
    /// What the answer says of the list; the page size the service applied wins over the
    /// one asked for (a service that caps pages must not end the list early).
    pub(crate) fn of_parts(total: Option<i64>, answered: Option<i64>, asked: Option<u32>) -> Pager {
        Pager {
            total,
            page_size: answered
                .filter(|n| *n > 0)
                .or(asked.map(i64::from))
                .unwrap_or(i64::MAX),
        }
    }

    fn of(response: &GetTopicListResponse, asked: Option<u32>) -> Pager {
        Pager::of_parts(response.total, response.page_size, asked)
    }

    /// After a page of `received` items, `new_items` of them unseen, `held` in all.
    pub(crate) fn is_last(&self, received: usize, new_items: usize, held: usize) -> bool {
        if received == 0 || new_items == 0 {
            return true;
        }
        match self.total {
            Some(total) => held as i64 >= total,
            None => (received as i64) < self.page_size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::actions::VERSION_2019_09_16;

    fn names(params: &[Param]) -> Vec<&str> {
        params.iter().map(|(n, _)| n.as_ref()).collect()
    }

    fn value<'a>(params: &'a [Param], name: &str) -> Option<&'a str> {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn create_topic_parameters() {
        let plain = CreateTopicRequest {
            instance_id: "i".into(),
            topic: "t".into(),
            remark: "r".into(),
            ..Default::default()
        };
        assert_eq!(names(&plain.params()), ["InstanceId", "Topic", "Remark"]);
        assert_eq!(plain.version(), VERSION_2019_09_16);
        let full = CreateTopicRequest {
            partition_num: Some(24),
            local_topic: Some(true),
            compact_topic: Some(true),
            config: BTreeMap::from([
                ("retention.ms".to_owned(), "86400000".to_owned()),
                ("max.message.bytes".to_owned(), "1048576".to_owned()),
            ]),
            replication_factor: Some(3),
            min_insync_replicas: Some(2),
            tags: vec![Tag::new("team", "payments"), Tag::new("cost", "")],
            ..plain
        };
        let params = full.params();
        assert_eq!(value(&params, "PartitionNum"), Some("24"));
        assert_eq!(value(&params, "LocalTopic"), Some("true"));
        assert_eq!(value(&params, "CompactTopic"), Some("true"));
        assert_eq!(value(&params, "ReplicationFactor"), Some("3"));
        assert_eq!(value(&params, "MinInsyncReplicas"), Some("2"));
        assert_eq!(
            value(&params, "Config"),
            Some(r#"{"max.message.bytes":"1048576","retention.ms":"86400000"}"#)
        );
        assert_eq!(value(&params, "Tag.1.Key"), Some("team"));
        assert_eq!(value(&params, "Tag.1.Value"), Some("payments"));
        assert_eq!(value(&params, "Tag.2.Key"), Some("cost"));
        assert_eq!(value(&params, "Tag.2.Value"), Some(""));
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
        assert_eq!(value(&params, "CurrentPage"), Some("2"));
        assert_eq!(value(&params, "PageSize"), Some("50"));
        assert_eq!(value(&params, "Topic"), Some("orders"));
        let plain = GetTopicListRequest {
            instance_id: "i".into(),
            ..Default::default()
        };
        assert_eq!(plain.params().len(), 1);
    }

    #[test]
    fn every_action_uses_the_newer_version() {
        assert_eq!(
            ModifyTopicRemarkRequest::default().version(),
            VERSION_2019_09_16
        );
        assert_eq!(DeleteTopicRequest::default().version(), VERSION_2019_09_16);
        assert_eq!(
            GetTopicStatusRequest::default().version(),
            VERSION_2019_09_16
        );
        let grow = ModifyPartitionNumRequest {
            instance_id: "i".into(),
            topic: "t".into(),
            add_partition_num: 3,
        };
        assert_eq!(value(&grow.params(), "AddPartitionNum"), Some("3"));
        const { assert!(!ModifyPartitionNumRequest::REPEATABLE) };
        const { assert!(UpdateTopicConfigRequest::REPEATABLE) };
    }

    #[test]
    fn update_topic_config_sends_one_key() {
        let req = UpdateTopicConfigRequest {
            instance_id: "i".into(),
            topic: "t".into(),
            config: "retention.ms".into(),
            value: "86400000".into(),
        };
        assert_eq!(
            req.params()
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v))
                .collect::<Vec<_>>(),
            [
                ("InstanceId".to_owned(), "i".to_owned()),
                ("Topic".to_owned(), "t".to_owned()),
                ("Config".to_owned(), "retention.ms".to_owned()),
                ("Value".to_owned(), "86400000".to_owned())
            ]
        );
    }

    #[test]
    fn topic_config_text_is_parsed_leniently() {
        let parsed = parse_topic_config(
            r#"{"retention.ms":"86400000","max.message.bytes":1048576,"x":true,"gone":null}"#,
        )
        .expect("object");
        assert_eq!(parsed["retention.ms"], "86400000");
        assert_eq!(parsed["max.message.bytes"], "1048576");
        assert_eq!(parsed["x"], "true");
        assert!(!parsed.contains_key("gone"));
        assert!(parse_topic_config("").expect("empty").is_empty());
        assert!(parse_topic_config("  ").expect("blank").is_empty());
        for bad in ["[1]", "{\"a\":[1]}", "{not json", "\"text\""] {
            let err = parse_topic_config(bad).expect_err(bad);
            assert!(!err.contains("not json"), "never quotes the text: {err}");
        }
        let map = BTreeMap::from([("a.b".to_owned(), "1".to_owned())]);
        assert_eq!(
            parse_topic_config(&config_json(&map)).expect("round trip"),
            map
        );
    }

    #[test]
    fn pager_follows_total_then_short_pages() {
        // Total known: a page shorter than asked for (a capping service) is not the end.
        let capped = Pager::of_parts(Some(250), Some(100), Some(10_000));
        assert!(!capped.is_last(100, 100, 100));
        assert!(capped.is_last(50, 50, 250));
        // Without Total: a short page ends the list.
        let bare = Pager::of_parts(None, None, Some(3));
        assert!(!bare.is_last(3, 3, 3));
        assert!(bare.is_last(2, 2, 5));
        // Nothing new or nothing at all ends it too.
        assert!(bare.is_last(3, 0, 3));
        assert!(capped.is_last(0, 0, 100));
    }

    #[test]
    fn parses_get_topic_subscribe_status() {
        let body = r#"{"Code":200,"Success":true,"RequestId":"R9",
            "TopicSubscribeStatus":{"Topic":"orders","ConsumerGroups":["billing","audit"]}}"#;
        let parsed: GetTopicSubscribeStatusResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.topic_subscribe_status.topic, "orders");
        assert_eq!(
            parsed.topic_subscribe_status.consumer_groups,
            ["billing", "audit"]
        );
        let empty: GetTopicSubscribeStatusResponse =
            serde_json::from_str(r#"{"TopicSubscribeStatus":{"Topic":"t"}}"#).expect("parses");
        assert!(empty.topic_subscribe_status.consumer_groups.is_empty());
    }

    #[test]
    fn parses_get_topic_list() {
        let body = r#"{
          "Code": 200, "Message": "operation success.", "RequestId": "R1", "Success": true,
          "CurrentPage": 1, "PageSize": "10000", "Total": 2,
          "TopicList": {"TopicVO": [
            {"Topic": "orders", "InstanceId": "i1", "RegionId": "cn-hangzhou", "Remark": "r",
             "PartitionNum": 12, "CreateTime": 1566804394000, "Status": 0,
             "StatusName": "服务中", "CompactTopic": false, "LocalTopic": "true", "AutoCreate": false,
             "TopicConfig": "{\"retention.ms\":\"86400000\",\"replication-factor\":\"3\"}",
             "Tags": {"TagVO": [{"Key": "team", "Value": "payments"}]}},
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
        assert_eq!(first.auto_create, Some(false));
        let config = first.config().expect("config object");
        assert_eq!(config["retention.ms"], "86400000");
        assert_eq!(config["replication-factor"], "3");
        assert_eq!(first.tags, [Tag::new("team", "payments")]);
        let second = &parsed.topics[1];
        assert_eq!((second.partition_num, second.status), (Some(6), Some(1)));
        assert_eq!((second.compact_topic, second.local_topic), (None, None));
        assert_eq!(second.remark, "");
        assert_eq!(
            (second.auto_create, second.topic_config.as_deref()),
            (None, None)
        );
        assert!(second.config().expect("absent is empty").is_empty());
        assert!(second.tags.is_empty());
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
