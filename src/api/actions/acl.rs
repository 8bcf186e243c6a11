//! ACL actions: CreateAcl, DeleteAcl, DescribeAcls. An ACL cannot be changed: it is
//! created and deleted whole, named by all its fields.

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::{lenient, param, push_opt, Action, EmptyResponse, Param};
use crate::api::{ApiError, Client};

/// Declares a closed set of documented values spelled exactly as the API takes them.
macro_rules! api_values {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every documented value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as the API spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The documented value spelled exactly `text`, if any.
            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }

            /// The documented value `text` names in any case, with or without `_` (the
            /// service answers `TRANSACTIONAL_ID` for `TransactionalId`); an exact
            /// spelling wins (`IdempotentWrite` and `IDEMPOTENT_WRITE` are two values).
            pub fn parse_loose(text: &str) -> Option<$name> {
                Self::parse(text).or_else(|| {
                    Self::ALL.iter().copied().find(|v| same_value(text, v.as_str()))
                })
            }

            /// Whether `listed` (as the service answered it) names this value.
            pub fn is(self, listed: &str) -> bool {
                same_value(listed, self.as_str())
            }

            /// Every documented spelling.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }
    };
}

/// Two spellings of one value: any case, with or without `_`.
fn same_value(a: &str, b: &str) -> bool {
    let plain = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    plain(a) == plain(b)
}

api_values! {
    /// `AclResourceType`.
    AclResourceType {
        Topic = "Topic",
        Group = "Group",
        Cluster = "Cluster",
        TransactionalId = "TransactionalId",
    }
}

api_values! {
    /// `AclResourcePatternType`.
    AclPatternType {
        /// The name exactly (or `*`).
        Literal = "LITERAL",
        /// Names starting with it.
        Prefixed = "PREFIXED",
    }
}

api_values! {
    /// `AclOperationType` (and the elements of `AclOperationTypes`).
    AclOperation {
        Write = "Write",
        Read = "Read",
        /// Reading a transactional ID.
        Describe = "Describe",
        /// Idempotent writes to the cluster (reserved instances).
        IdempotentWrite = "IdempotentWrite",
        /// Idempotent writes to the cluster, serverless instances' spelling.
        IdempotentWriteServerless = "IDEMPOTENT_WRITE",
        /// Reading configurations (serverless instances only).
        DescribeConfigs = "DESCRIBE_CONFIGS",
    }
}

api_values! {
    /// `AclPermissionType` (serverless instances only).
    AclPermission {
        Allow = "ALLOW",
        Deny = "DENY",
    }
}

/// Every field of one ACL, as CreateAcl and DeleteAcl take them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclSpec {
    pub instance_id: String,
    /// The SASL user, or `*` for all.
    pub username: String,
    pub resource_type: AclResourceType,
    /// A topic, group, cluster or transactional ID name, or `*` for all.
    pub resource_name: String,
    pub pattern_type: AclPatternType,
    pub operation_type: AclOperation,
    /// Serverless instances only: several operations at once (`AclOperationTypes`).
    pub operation_types: Vec<AclOperation>,
    /// Serverless instances only.
    pub permission_type: Option<AclPermission>,
    /// Serverless instances only: one IP address or `*`.
    pub host: Option<String>,
}

impl AclSpec {
    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Username", self.username.as_str()),
            param("AclResourceType", self.resource_type.as_str()),
            param("AclResourceName", self.resource_name.as_str()),
            param("AclResourcePatternType", self.pattern_type.as_str()),
            param("AclOperationType", self.operation_type.as_str()),
        ];
        if !self.operation_types.is_empty() {
            let joined: Vec<&str> = self.operation_types.iter().map(|o| o.as_str()).collect();
            params.push(param("AclOperationTypes", joined.join(",")));
        }
        push_opt(
            &mut params,
            "AclPermissionType",
            self.permission_type.map(AclPermission::as_str),
        );
        push_opt(&mut params, "Host", self.host.as_ref());
        params
    }
}

/// Creates an ACL. Repeatable: the same ACL twice is one ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAclRequest(pub AclSpec);

impl Action for CreateAclRequest {
    const NAME: &'static str = "CreateAcl";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        self.0.params()
    }
}

/// Deletes the ACL with exactly these fields. Repeatable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAclRequest(pub AclSpec);

impl Action for DeleteAclRequest {
    const NAME: &'static str = "DeleteAcl";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        self.0.params()
    }
}

/// The ACLs of one user on one resource name (both literal: `*` finds the ACLs granted
/// to `*`), optionally narrowed by the other fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeAclsRequest {
    pub instance_id: String,
    pub username: String,
    pub resource_type: AclResourceType,
    pub resource_name: String,
    pub pattern_type: Option<AclPatternType>,
    pub operation_type: Option<AclOperation>,
    pub permission_type: Option<AclPermission>,
    pub host: Option<String>,
}

impl Action for DescribeAclsRequest {
    const NAME: &'static str = "DescribeAcls";
    type Response = DescribeAclsResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Username", self.username.as_str()),
            param("AclResourceType", self.resource_type.as_str()),
            param("AclResourceName", self.resource_name.as_str()),
        ];
        push_opt(
            &mut params,
            "AclResourcePatternType",
            self.pattern_type.map(AclPatternType::as_str),
        );
        push_opt(
            &mut params,
            "AclOperationType",
            self.operation_type.map(AclOperation::as_str),
        );
        push_opt(
            &mut params,
            "AclPermissionType",
            self.permission_type.map(AclPermission::as_str),
        );
        push_opt(&mut params, "Host", self.host.as_ref());
        params
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAclsResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, rename = "KafkaAclList", deserialize_with = "kafka_acl_vo")]
    pub acls: Vec<KafkaAcl>,
}

fn kafka_acl_vo<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<KafkaAcl>, D::Error> {
    lenient::wrapped_list(d, "KafkaAclVO")
}

/// One `KafkaAclVO`, as the service spells its values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KafkaAcl {
    #[serde(default, deserialize_with = "lenient::string")]
    pub username: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub acl_resource_type: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub acl_resource_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub acl_resource_pattern_type: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub acl_operation_type: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub acl_permission_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub host: Option<String>,
}

impl Client {
    pub async fn create_acl(
        &self,
        req: &CreateAclRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn delete_acl(
        &self,
        req: &DeleteAclRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn describe_acls(
        &self,
        req: &DescribeAclsRequest,
        deadline: Option<Instant>,
    ) -> Result<DescribeAclsResponse, ApiError> {
        self.call(req, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> AclSpec {
        AclSpec {
            instance_id: "i".into(),
            username: "svc".into(),
            resource_type: AclResourceType::Topic,
            resource_name: "orders".into(),
            pattern_type: AclPatternType::Prefixed,
            operation_type: AclOperation::Write,
            operation_types: Vec::new(),
            permission_type: None,
            host: None,
        }
    }

    fn owned(params: Vec<Param>) -> Vec<(String, String)> {
        params
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect()
    }

    #[test]
    fn create_and_delete_send_every_field() {
        let expected: Vec<(String, String)> = [
            ("InstanceId", "i"),
            ("Username", "svc"),
            ("AclResourceType", "Topic"),
            ("AclResourceName", "orders"),
            ("AclResourcePatternType", "PREFIXED"),
            ("AclOperationType", "Write"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        assert_eq!(owned(CreateAclRequest(spec()).params()), expected);
        assert_eq!(owned(DeleteAclRequest(spec()).params()), expected);
        let serverless = AclSpec {
            operation_types: vec![AclOperation::Read, AclOperation::DescribeConfigs],
            permission_type: Some(AclPermission::Deny),
            host: Some("10.0.0.1".into()),
            ..spec()
        };
        let params = owned(CreateAclRequest(serverless).params());
        assert!(params.contains(&("AclOperationTypes".into(), "Read,DESCRIBE_CONFIGS".into())));
        assert!(params.contains(&("AclPermissionType".into(), "DENY".into())));
        assert!(params.contains(&("Host".into(), "10.0.0.1".into())));
    }

    #[test]
    fn documented_values_round_trip() {
        for value in AclResourceType::ALL {
            assert_eq!(AclResourceType::parse(value.as_str()), Some(*value));
        }
        for value in AclOperation::ALL {
            assert_eq!(AclOperation::parse(value.as_str()), Some(*value));
        }
        assert_eq!(
            AclPatternType::parse("PREFIXED"),
            Some(AclPatternType::Prefixed)
        );
        assert_eq!(
            AclPatternType::parse("prefixed"),
            None,
            "exact spelling only"
        );
        assert_eq!(AclPermission::ALL.len(), 2);
        // As the service answers them.
        assert_eq!(
            AclResourceType::parse_loose("TRANSACTIONAL_ID"),
            Some(AclResourceType::TransactionalId)
        );
        assert_eq!(
            AclOperation::parse_loose("WRITE"),
            Some(AclOperation::Write)
        );
        assert_eq!(
            AclOperation::parse_loose("IDEMPOTENT_WRITE"),
            Some(AclOperation::IdempotentWriteServerless)
        );
        assert_eq!(
            AclOperation::parse_loose("idempotentwrite"),
            Some(AclOperation::IdempotentWrite)
        );
        assert!(AclPatternType::Literal.is("literal"));
        assert!(!AclPatternType::Literal.is("PREFIXED"));
        assert_eq!(AclPermission::names(), ["ALLOW", "DENY"]);
    }

    #[test]
    fn parses_describe_acls() {
        let body = r#"{"Code":200,"Success":true,"RequestId":"R","KafkaAclList":{"KafkaAclVO":[
            {"Username":"svc","AclResourceType":"Topic","AclResourceName":"orders",
             "AclResourcePatternType":"LITERAL","AclOperationType":"Write",
             "AclPermissionType":"ALLOW","Host":"*"}]}}"#;
        let parsed: DescribeAclsResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.acls.len(), 1);
        let acl = &parsed.acls[0];
        assert_eq!(
            (acl.username.as_str(), acl.acl_operation_type.as_str()),
            ("svc", "Write")
        );
        assert_eq!(acl.host.as_deref(), Some("*"));
        let describe = DescribeAclsRequest {
            instance_id: "i".into(),
            username: "*".into(),
            resource_type: AclResourceType::Group,
            resource_name: "billing".into(),
            pattern_type: Some(AclPatternType::Literal),
            operation_type: None,
            permission_type: None,
            host: None,
        };
        assert_eq!(describe.params().len(), 5);
    }
}
