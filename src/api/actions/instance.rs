//! GetInstanceList.

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::{lenient, Action};
use crate::api::{ApiError, Client};

/// Lists the instances of the client's region (`RegionId` is added by the client).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetInstanceListRequest {}

impl Action for GetInstanceListRequest {
    const NAME: &'static str = "GetInstanceList";
    type Response = GetInstanceListResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
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

/// One `InstanceVO`. Times are milliseconds since the epoch.
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
            "SpecType": "normal", "Tags": {"TagVO": []}
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
        let second = &parsed.instances[1];
        assert_eq!(second.instance_id, "second");
        assert_eq!(second.create_time, None);
        assert_eq!(second.open_source_version(), None);
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
    fn request_has_no_own_parameters() {
        assert!(GetInstanceListRequest::default().params().is_empty());
        assert_eq!(GetInstanceListRequest::NAME, "GetInstanceList");
    }
}
