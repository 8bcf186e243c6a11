//! GetInstanceList.

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::{lenient, push_indexed, push_opt, push_tags, tag_vo, Action, Param, Tag};
use crate::api::{ApiError, Client};

/// Lists the instances of the client's region (`RegionId` is added by the client), all
/// of them unless filtered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetInstanceListRequest {
    /// Only these instances (`InstanceId.N`).
    pub instance_ids: Vec<String>,
    pub order_id: Option<String>,
    pub resource_group_id: Option<String>,
    /// `v2`, `v3` or `confluent`.
    pub series: Option<String>,
    /// Only instances carrying all these tags.
    pub tags: Vec<Tag>,
}

impl Action for GetInstanceListRequest {
    const NAME: &'static str = "GetInstanceList";
    type Response = GetInstanceListResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = Vec::new();
        push_indexed(&mut params, "InstanceId", &self.instance_ids);
        push_opt(&mut params, "OrderId", self.order_id.as_ref());
        push_opt(
            &mut params,
            "ResourceGroupId",
            self.resource_group_id.as_ref(),
        );
        push_opt(&mut params, "Series", self.series.as_ref());
        push_tags(&mut params, &self.tags);
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetInstanceListResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, rename = "InstanceList", deserialize_with = "instance_vo")]
    pub instances: Vec<InstanceInfo>,
}

fn instance_vo<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<InstanceInfo>, D::Error> {
    lenient::wrapped_list(d, "InstanceVO")
}

/// One `InstanceVO`: the guide's fields, then those of API version 2019-09-16. Times
/// are milliseconds since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceInfo {
    #[serde(default, deserialize_with = "lenient::string")]
    pub instance_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub region_id: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub expired_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub deploy_type: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub service_status: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub end_point: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ssl_end_point: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub vpc_id: Option<String>,
    #[serde(
        default,
        rename = "VSwitchId",
        deserialize_with = "lenient::opt_string"
    )]
    pub vswitch_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::object_or_default")]
    pub upgrade_service_detail_info: UpgradeServiceDetailInfo,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub zone_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub security_group: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub resource_group_id: Option<String>,
    /// 0 subscription, 1 pay-as-you-go, 3 serverless pay-as-you-go, 4 Confluent.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub paid_type: Option<i64>,
    /// `normal`, `professional`, `professionalForHighRead`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spec_type: Option<String>,
    /// `v2`, `v3` or `confluent`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub series: Option<String>,
    /// 0 ultra disk, 1 standard SSD.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub disk_type: Option<i64>,
    /// GB.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub disk_size: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub io_max: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub eip_max: Option<i64>,
    /// Message retention, hours.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub msg_retain: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub topic_num_limit: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub used_topic_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub used_group_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub used_partition_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub default_partition_num: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub auto_create_topic_enable: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub auto_create_group_enable: Option<bool>,
    /// The instance's own settings, a JSON object text (e.g. `{"enable.acl":"true"}`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub all_config: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub domain_endpoint: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ssl_domain_endpoint: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sasl_end_point: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sasl_domain_endpoint: Option<String>,
    /// 0 pending, 1 deploying, 2 running, 3 stopped, 5 expired, 6 released, ...
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub view_instance_status_code: Option<i64>,
    #[serde(default, deserialize_with = "tag_vo")]
    pub tags: Vec<Tag>,
}

impl InstanceInfo {
    /// `UpgradeServiceDetailInfo.Current2OpenSourceVersion`, the Kafka version served.
    pub fn open_source_version(&self) -> Option<&str> {
        self.upgrade_service_detail_info
            .current_to_open_source_version
            .as_deref()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UpgradeServiceDetailInfo {
    #[serde(
        default,
        rename = "Current2OpenSourceVersion",
        deserialize_with = "lenient::opt_string"
    )]
    pub current_to_open_source_version: Option<String>,
}

impl Client {
    pub async fn get_instance_list(
        &self,
        req: &GetInstanceListRequest,
        deadline: Option<Instant>,
    ) -> Result<GetInstanceListResponse, ApiError> {
        self.call(req, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_guide_shape() {
        let body = r#"{
          "Code": 200, "Message": "operation success.", "RequestId": "A-1", "Success": true,
          "InstanceList": {"InstanceVO": [{
            "InstanceId": "alikafka_post-cn-mp919o4v****", "Name": "inst", "RegionId": "cn-hangzhou",
            "CreateTime": 1566215995000, "ExpiredTime": "1568908800000", "DeployType": 5,
            "ServiceStatus": "5", "EndPoint": "192.168.0.1:9092,192.168.0.2:9092",
            "SslEndPoint": "47.0.0.1:9093", "VpcId": "vpc-1", "VSwitchId": "vsw-1",
            "UpgradeServiceDetailInfo": {"Current2OpenSourceVersion": "0.10.2"},
            "SpecType": "normal", "Tags": {"TagVO": [{"Key": "env", "Value": "prod"}]},
            "ZoneId": "cn-hangzhou-k", "SecurityGroup": "sg-1", "ResourceGroupId": "rg-1",
            "PaidType": 1, "Series": "v2", "DiskType": "1", "DiskSize": 500, "IoMax": 20,
            "EipMax": 0, "MsgRetain": 72, "TopicNumLimit": "50", "UsedTopicCount": 3,
            "UsedGroupCount": 1, "UsedPartitionCount": 36, "DefaultPartitionNum": 12,
            "AutoCreateTopicEnable": false, "AutoCreateGroupEnable": "true",
            "AllConfig": "{\"enable.acl\":\"true\"}", "DomainEndpoint": "d:9092",
            "SslDomainEndpoint": "d:9093", "SaslEndPoint": "s:9094",
            "SaslDomainEndpoint": "sd:9094", "ViewInstanceStatusCode": 2
          }, {"InstanceId": "second"}]}
        }"#;
        let parsed: GetInstanceListResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.request_id, "A-1");
        assert_eq!(parsed.instances.len(), 2);
        let first = &parsed.instances[0];
        assert_eq!(first.instance_id, "alikafka_post-cn-mp919o4v****");
        assert_eq!(first.name, "inst");
        assert_eq!(first.region_id, "cn-hangzhou");
        assert_eq!(first.create_time, Some(1_566_215_995_000));
        assert_eq!(first.expired_time, Some(1_568_908_800_000));
        assert_eq!(first.deploy_type, Some(5));
        assert_eq!(first.service_status, Some(5));
        assert_eq!(
            first.end_point.as_deref(),
            Some("192.168.0.1:9092,192.168.0.2:9092")
        );
        assert_eq!(first.ssl_end_point.as_deref(), Some("47.0.0.1:9093"));
        assert_eq!(first.vpc_id.as_deref(), Some("vpc-1"));
        assert_eq!(first.vswitch_id.as_deref(), Some("vsw-1"));
        assert_eq!(first.open_source_version(), Some("0.10.2"));
        assert_eq!(first.tags, [Tag::new("env", "prod")]);
        assert_eq!(first.zone_id.as_deref(), Some("cn-hangzhou-k"));
        assert_eq!(first.security_group.as_deref(), Some("sg-1"));
        assert_eq!(first.resource_group_id.as_deref(), Some("rg-1"));
        assert_eq!(
            (first.paid_type, first.series.as_deref()),
            (Some(1), Some("v2"))
        );
        assert_eq!(first.spec_type.as_deref(), Some("normal"));
        assert_eq!((first.disk_type, first.disk_size), (Some(1), Some(500)));
        assert_eq!(
            (first.io_max, first.eip_max, first.msg_retain),
            (Some(20), Some(0), Some(72))
        );
        assert_eq!(
            (
                first.topic_num_limit,
                first.used_topic_count,
                first.used_group_count
            ),
            (Some(50), Some(3), Some(1))
        );
        assert_eq!(
            (first.used_partition_count, first.default_partition_num),
            (Some(36), Some(12))
        );
        assert_eq!(
            (
                first.auto_create_topic_enable,
                first.auto_create_group_enable
            ),
            (Some(false), Some(true))
        );
        assert_eq!(
            first.all_config.as_deref(),
            Some(r#"{"enable.acl":"true"}"#)
        );
        assert_eq!(first.domain_endpoint.as_deref(), Some("d:9092"));
        assert_eq!(first.ssl_domain_endpoint.as_deref(), Some("d:9093"));
        assert_eq!(first.sasl_end_point.as_deref(), Some("s:9094"));
        assert_eq!(first.sasl_domain_endpoint.as_deref(), Some("sd:9094"));
        assert_eq!(first.view_instance_status_code, Some(2));
        let second = &parsed.instances[1];
        assert_eq!(second.instance_id, "second");
        assert_eq!(second.create_time, None);
        assert_eq!(second.open_source_version(), None);
        assert!(second.tags.is_empty());
        assert_eq!(second.series, None);
    }

    #[test]
    fn empty_list_shapes() {
        for body in [
            r#"{"InstanceList": {"InstanceVO": []}}"#,
            r#"{"InstanceList": {}}"#,
            r#"{"InstanceList": null}"#,
            r#"{}"#,
        ] {
            let parsed: GetInstanceListResponse = serde_json::from_str(body).expect(body);
            assert!(parsed.instances.is_empty(), "{body}");
        }
    }

    #[test]
    fn request_parameters() {
        assert!(GetInstanceListRequest::default().params().is_empty());
        assert_eq!(GetInstanceListRequest::NAME, "GetInstanceList");
        let filtered = GetInstanceListRequest {
            instance_ids: vec!["a".into(), "b".into()],
            series: Some("v2".into()),
            tags: vec![Tag::new("env", "prod")],
            ..Default::default()
        };
        let params: Vec<(String, String)> = filtered
            .params()
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect();
        let expected: Vec<(String, String)> = [
            ("InstanceId.1", "a"),
            ("InstanceId.2", "b"),
            ("Series", "v2"),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "prod"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        assert_eq!(params, expected);
    }
}
