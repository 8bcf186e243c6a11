//! IP allowlist actions: GetAllowedIpList, UpdateAllowedIp.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use tokio::time::Instant;

use super::{lenient, param, push_opt, Action, EmptyResponse, Param};
use crate::api::{ApiError, Client};

/// Which allowlist (`AllowedListType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AllowedListType {
    #[default]
    Vpc,
    Internet,
}

impl AllowedListType {
    pub const ALL: [AllowedListType; 2] = [AllowedListType::Vpc, AllowedListType::Internet];

    pub fn as_str(self) -> &'static str {
        match self {
            AllowedListType::Vpc => "vpc",
            AllowedListType::Internet => "internet",
        }
    }

    /// The list type spelled `text` (any case).
    pub fn parse(text: &str) -> Option<AllowedListType> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }

    /// The documented port ranges of this list.
    pub fn port_ranges(self) -> &'static [&'static str] {
        match self {
            // PLAINTEXT, SASL_PLAINTEXT, SASL_SSL.
            AllowedListType::Vpc => &["9092/9092", "9094/9094", "9095/9095"],
            // SASL_SSL.
            AllowedListType::Internet => &["9093/9093"],
        }
    }
}

/// Adds or removes allowlist entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateAllowedIpRequest {
    pub instance_id: String,
    pub list_type: AllowedListType,
    /// One of [`AllowedListType::port_ranges`].
    pub port_range: String,
    /// `true` adds `allowed_ips` (a comma list of addresses or CIDR blocks, stored by the
    /// service as one entry); `false` deletes one address.
    pub add: bool,
    pub allowed_ips: String,
    pub description: Option<String>,
}

impl Action for UpdateAllowedIpRequest {
    const NAME: &'static str = "UpdateAllowedIp";
    type Response = EmptyResponse;
    /// Neither add nor delete is safely repeatable: the service stores an added list as
    /// given, so a resend could store the same addresses twice; and a resent delete of
    /// one address could remove a second copy of it that another entry holds.
    const REPEATABLE: bool = false;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("AllowedListType", self.list_type.as_str()),
            param("PortRange", self.port_range.as_str()),
            param("UpdateType", if self.add { "add" } else { "delete" }),
            param("AllowedListIp", self.allowed_ips.as_str()),
        ];
        push_opt(&mut params, "Description", self.description.as_ref());
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetAllowedIpListRequest {
    pub instance_id: String,
}

impl Action for GetAllowedIpListRequest {
    const NAME: &'static str = "GetAllowedIpList";
    type Response = GetAllowedIpListResponse;

    fn params(&self) -> Vec<Param> {
        vec![param("InstanceId", self.instance_id.as_str())]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetAllowedIpListResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, deserialize_with = "lenient::object_or_default")]
    pub allowed_list: AllowedList,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllowedList {
    /// 4 Internet and VPC, 5 VPC only.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub deploy_type: Option<i64>,
    #[serde(default, deserialize_with = "port_lists")]
    pub vpc_list: Vec<PortRangeAllowlist>,
    #[serde(default, deserialize_with = "port_lists")]
    pub internet_list: Vec<PortRangeAllowlist>,
}

impl AllowedList {
    /// Every address or CIDR block of both lists, one item each (an entry the service
    /// stores as a comma list yields one item per address), in the order listed.
    pub fn entries(&self) -> Vec<AllowedIpEntry> {
        let lists = [
            (AllowedListType::Vpc, &self.vpc_list),
            (AllowedListType::Internet, &self.internet_list),
        ];
        let mut out = Vec::new();
        for (list_type, ranges) in lists {
            for range in ranges {
                for address in range.addresses() {
                    out.push(AllowedIpEntry {
                        list_type,
                        port_range: range.port_range.clone(),
                        address: address.to_string(),
                        description: range.description_of(address).map(str::to_string),
                    });
                }
            }
        }
        out
    }
}

/// One address or CIDR block allowed on one port range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedIpEntry {
    pub list_type: AllowedListType,
    pub port_range: String,
    pub address: String,
    /// The description of the entry that holds the address, if the service keeps one.
    pub description: Option<String>,
}

fn port_lists<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PortRangeAllowlist>, D::Error> {
    lenient::wrapped_list(d, "PortRangeAllowlist")
}

/// The allowlist of one port range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortRangeAllowlist {
    #[serde(default, deserialize_with = "lenient::string")]
    pub port_range: String,
    /// Entries as the service stores them: one entry may hold several comma-separated
    /// addresses (those added in one call). See [`PortRangeAllowlist::addresses`].
    #[serde(default, deserialize_with = "strings")]
    pub allowed_ip_list: Vec<String>,
    /// Entry → its description.
    #[serde(default, deserialize_with = "string_map")]
    pub allowed_ip_group: BTreeMap<String, String>,
}

impl PortRangeAllowlist {
    /// Every address or CIDR block of every entry, each once, in the order listed.
    pub fn addresses(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for entry in &self.allowed_ip_list {
            for address in entry.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                if !out.contains(&address) {
                    out.push(address);
                }
            }
        }
        out
    }

    /// The description of the entry holding `address`, if the service keeps one.
    pub fn description_of(&self, address: &str) -> Option<&str> {
        self.allowed_ip_list
            .iter()
            .find(|entry| entry.split(',').map(str::trim).any(|a| a == address))
            .and_then(|entry| self.allowed_ip_group.get(entry))
            .map(String::as_str)
    }
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items: Vec<Value> = lenient::wrapped_list(d, "AllowedIpList")?;
    Ok(items
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect())
}

fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Number(n) => Some((k, n.to_string())),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    })
}

impl Client {
    pub async fn get_allowed_ip_list(
        &self,
        req: &GetAllowedIpListRequest,
        deadline: Option<Instant>,
    ) -> Result<GetAllowedIpListResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn update_allowed_ip(
        &self,
        req: &UpdateAllowedIpRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_parameters() {
        let req = UpdateAllowedIpRequest {
            instance_id: "i".into(),
            list_type: AllowedListType::Vpc,
            port_range: "9092/9092".into(),
            add: true,
            allowed_ips: "10.0.0.0/8,192.168.1.1".into(),
            description: Some("apps".into()),
        };
        let params: Vec<(String, String)> = req
            .params()
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect();
        let expected: Vec<(String, String)> = [
            ("InstanceId", "i"),
            ("AllowedListType", "vpc"),
            ("PortRange", "9092/9092"),
            ("UpdateType", "add"),
            ("AllowedListIp", "10.0.0.0/8,192.168.1.1"),
            ("Description", "apps"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        assert_eq!(params, expected);
        const { assert!(!UpdateAllowedIpRequest::REPEATABLE) };
        assert_eq!(AllowedListType::Internet.port_ranges(), ["9093/9093"]);
    }

    #[test]
    fn parses_get_allowed_ip_list() {
        let body = r#"{"Code":200,"Success":true,"RequestId":"R","AllowedList":{"DeployType":4,
            "VpcList":[{"PortRange":"9092/9092","AllowedIpList":["10.0.0.0/8,192.168.1.1","172.16.0.1"],
                        "AllowedIpGroup":{"10.0.0.0/8,192.168.1.1":"apps","172.16.0.1":""}},
                       {"PortRange":"9094/9094","AllowedIpList":[]}],
            "InternetList":[{"PortRange":"9093/9093","AllowedIpList":["0.0.0.0/0"]}]}}"#;
        let parsed: GetAllowedIpListResponse = serde_json::from_str(body).expect("parses");
        let list = &parsed.allowed_list;
        assert_eq!(list.deploy_type, Some(4));
        assert_eq!(list.vpc_list.len(), 2);
        let vpc = &list.vpc_list[0];
        assert_eq!(vpc.addresses(), ["10.0.0.0/8", "192.168.1.1", "172.16.0.1"]);
        assert_eq!(vpc.description_of("192.168.1.1"), Some("apps"));
        assert_eq!(vpc.description_of("172.16.0.1"), Some(""));
        assert_eq!(vpc.description_of("1.2.3.4"), None);
        assert!(list.vpc_list[1].addresses().is_empty());
        assert_eq!(list.internet_list[0].addresses(), ["0.0.0.0/0"]);
        let entries = list.entries();
        let shown: Vec<(&str, &str, &str, Option<&str>)> = entries
            .iter()
            .map(|e| {
                (
                    e.list_type.as_str(),
                    e.port_range.as_str(),
                    e.address.as_str(),
                    e.description.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("vpc", "9092/9092", "10.0.0.0/8", Some("apps")),
                ("vpc", "9092/9092", "192.168.1.1", Some("apps")),
                ("vpc", "9092/9092", "172.16.0.1", Some("")),
                ("internet", "9093/9093", "0.0.0.0/0", None),
            ]
        );
        assert_eq!(AllowedListType::parse("VPC"), Some(AllowedListType::Vpc));
        assert_eq!(AllowedListType::parse("public"), None);
        let empty: GetAllowedIpListResponse =
            serde_json::from_str(r#"{"AllowedList":{}}"#).expect("parses");
        assert!(empty.allowed_list.vpc_list.is_empty());
    }
}
