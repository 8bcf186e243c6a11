//! The API's actions: lookup by name and version, shared validation, dispatch.

pub mod access;
pub mod allowed_ip;
pub mod consumer_group;
pub mod consumer_offset;
pub mod instance;
pub mod tag;
pub mod topic;
pub mod topic_config;

use std::sync::Arc;

use super::errors::ApiError;
use super::params::{ParamMap, Params};
use super::response::Node;
use super::state::{App, Instance};

/// The guide's API version.
pub const VERSION_2018: &str = "2018-10-15";
/// The newer API version: ModifyTopicRemark, ModifyPartitionNum, UpdateConsumerOffset, topic
/// settings, tags, SASL users, ACLs and allowlists, and more fields in the answers.
pub const VERSION_2019: &str = "2019-09-16";

/// Topic and group names: 3 to 64 characters after truncation.
pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 64;
pub const REMARK_MAX: usize = 64;
pub const PARTITIONS_MIN: i64 = 1;
pub const PARTITIONS_MAX: i64 = 360;
pub const DEFAULT_PARTITIONS: i64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    GetInstanceList,
    CreateTopic,
    GetTopicList,
    GetTopicStatus,
    DeleteTopic,
    ModifyTopicRemark,
    ModifyPartitionNum,
    CreateConsumerGroup,
    GetConsumerList,
    GetConsumerProgress,
    DeleteConsumerGroup,
    UpdateConsumerOffset,
    UpdateTopicConfig,
    GetTopicSubscribeStatus,
    TagResources,
    UntagResources,
    ListTagResources,
    CreateSaslUser,
    DeleteSaslUser,
    DescribeSaslUsers,
    CreateAcl,
    DeleteAcl,
    DescribeAcls,
    GetAllowedIpList,
    UpdateAllowedIp,
}

impl Action {
    pub const ALL: [Action; 25] = [
        Action::GetInstanceList,
        Action::CreateTopic,
        Action::GetTopicList,
        Action::GetTopicStatus,
        Action::DeleteTopic,
        Action::ModifyTopicRemark,
        Action::ModifyPartitionNum,
        Action::CreateConsumerGroup,
        Action::GetConsumerList,
        Action::GetConsumerProgress,
        Action::DeleteConsumerGroup,
        Action::UpdateConsumerOffset,
        Action::UpdateTopicConfig,
        Action::GetTopicSubscribeStatus,
        Action::TagResources,
        Action::UntagResources,
        Action::ListTagResources,
        Action::CreateSaslUser,
        Action::DeleteSaslUser,
        Action::DescribeSaslUsers,
        Action::CreateAcl,
        Action::DeleteAcl,
        Action::DescribeAcls,
        Action::GetAllowedIpList,
        Action::UpdateAllowedIp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::GetInstanceList => "GetInstanceList",
            Action::CreateTopic => "CreateTopic",
            Action::GetTopicList => "GetTopicList",
            Action::GetTopicStatus => "GetTopicStatus",
            Action::DeleteTopic => "DeleteTopic",
            Action::ModifyTopicRemark => "ModifyTopicRemark",
            Action::ModifyPartitionNum => "ModifyPartitionNum",
            Action::CreateConsumerGroup => "CreateConsumerGroup",
            Action::GetConsumerList => "GetConsumerList",
            Action::GetConsumerProgress => "GetConsumerProgress",
            Action::DeleteConsumerGroup => "DeleteConsumerGroup",
            Action::UpdateConsumerOffset => "UpdateConsumerOffset",
            Action::UpdateTopicConfig => "UpdateTopicConfig",
            Action::GetTopicSubscribeStatus => "GetTopicSubscribeStatus",
            Action::TagResources => "TagResources",
            Action::UntagResources => "UntagResources",
            Action::ListTagResources => "ListTagResources",
            Action::CreateSaslUser => "CreateSaslUser",
            Action::DeleteSaslUser => "DeleteSaslUser",
            Action::DescribeSaslUsers => "DescribeSaslUsers",
            Action::CreateAcl => "CreateAcl",
            Action::DeleteAcl => "DeleteAcl",
            Action::DescribeAcls => "DescribeAcls",
            Action::GetAllowedIpList => "GetAllowedIpList",
            Action::UpdateAllowedIp => "UpdateAllowedIp",
        }
    }

    /// Only in API version 2019-09-16: all but the guide's nine actions (the official
    /// 2018-10-15 SDK has exactly those nine).
    fn is_2019_only(self) -> bool {
        !matches!(
            self,
            Action::GetInstanceList
                | Action::CreateTopic
                | Action::GetTopicList
                | Action::GetTopicStatus
                | Action::DeleteTopic
                | Action::CreateConsumerGroup
                | Action::GetConsumerList
                | Action::GetConsumerProgress
                | Action::DeleteConsumerGroup
        )
    }

    /// Checks the version, then finds the action in it.
    pub fn lookup(name: &str, version: &str) -> Result<Action, ApiError> {
        if version != VERSION_2018 && version != VERSION_2019 {
            return Err(ApiError::invalid_version());
        }
        Action::ALL
            .into_iter()
            .find(|a| a.name() == name && (version == VERSION_2019 || !a.is_2019_only()))
            .ok_or_else(ApiError::invalid_action)
    }
}

/// Runs an authenticated, admitted call; returns the action's response fields.
pub async fn execute(
    app: &Arc<App>,
    caller: &str,
    action: Action,
    version: &str,
    params: &ParamMap,
) -> Result<Vec<(&'static str, Node)>, ApiError> {
    let p = Params::with_version(params, version);
    match action {
        Action::GetInstanceList => instance::get_instance_list(app, caller, &p).await,
        Action::CreateTopic => topic::create(app, caller, &p).await,
        Action::GetTopicList => topic::list(app, caller, &p).await,
        Action::GetTopicStatus => topic::status(app, caller, &p).await,
        Action::DeleteTopic => topic::delete(app, caller, &p).await,
        Action::ModifyTopicRemark => topic::modify_remark(app, caller, &p).await,
        Action::ModifyPartitionNum => topic::modify_partitions(app, caller, &p).await,
        Action::CreateConsumerGroup => consumer_group::create(app, caller, &p).await,
        Action::GetConsumerList => consumer_group::list(app, caller, &p).await,
        Action::GetConsumerProgress => consumer_group::progress(app, caller, &p).await,
        Action::DeleteConsumerGroup => consumer_group::delete(app, caller, &p).await,
        Action::UpdateConsumerOffset => consumer_offset::update(app, caller, &p).await,
        Action::UpdateTopicConfig => topic::update_config(app, caller, &p).await,
        Action::GetTopicSubscribeStatus => topic::subscribe_status(app, caller, &p).await,
        Action::TagResources => tag::tag(app, caller, &p).await,
        Action::UntagResources => tag::untag(app, caller, &p).await,
        Action::ListTagResources => tag::list(app, caller, &p).await,
        Action::CreateSaslUser => access::create_user(app, caller, &p).await,
        Action::DeleteSaslUser => access::delete_user(app, caller, &p).await,
        Action::DescribeSaslUsers => access::describe_users(app, caller, &p).await,
        Action::CreateAcl => access::create_acl(app, caller, &p).await,
        Action::DeleteAcl => access::delete_acl(app, caller, &p).await,
        Action::DescribeAcls => access::describe_acls(app, caller, &p).await,
        Action::GetAllowedIpList => allowed_ip::list(app, caller, &p).await,
        Action::UpdateAllowedIp => allowed_ip::update(app, caller, &p).await,
    }
}

/// The instance named by `InstanceId` (and `RegionId`, required unless `region_optional`).
pub fn caller_instance<'a>(
    app: &'a App,
    caller: &str,
    p: &Params<'_>,
    region_optional: bool,
) -> Result<&'a Instance, ApiError> {
    let region = if region_optional {
        p.optional("RegionId")
    } else {
        Some(p.required("RegionId")?)
    };
    let instance_id = p.required("InstanceId")?;
    app.resolve_instance(caller, instance_id, region)
}

/// Write actions need a running instance.
pub fn require_running(instance: &Instance) -> Result<(), ApiError> {
    if instance.is_running() {
        Ok(())
    } else {
        Err(ApiError::instance_status_error(instance.id()))
    }
}

/// Validates a topic or group name: `[A-Za-z0-9_-]`, at least 3 characters; longer than
/// 64 is silently truncated to its first 64 characters, as the service does. This is the
/// guide's rule (API version 2018-10-15); see [`normalize_name_in`].
pub fn normalize_name(field: &str, raw: &str) -> Result<String, ApiError> {
    normalize(field, raw, false)
}

/// [`normalize_name`] as the call's API version documents it: the 2019-09-16 SDK also
/// allows `.` in topic and group names of reserved instances.
pub fn normalize_name_in(p: &Params<'_>, field: &str, raw: &str) -> Result<String, ApiError> {
    normalize(field, raw, p.is_2019())
}

fn normalize(field: &str, raw: &str, dots: bool) -> Result<String, ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || (dots && c == '.');
    if !raw.chars().all(allowed) {
        let why = if dots {
            "only letters, digits, \"_\", \"-\" and \".\" are allowed"
        } else {
            "only letters, digits, \"_\" and \"-\" are allowed"
        };
        return Err(ApiError::field_invalid(field, why));
    }
    if raw.len() < NAME_MIN {
        return Err(ApiError::field_invalid(
            field,
            "the length must be 3 to 64 characters",
        ));
    }
    Ok(raw.chars().take(NAME_MAX).collect())
}

/// A remark: at most 64 characters, no control characters.
pub fn validate_remark(raw: &str) -> Result<String, ApiError> {
    if raw.chars().count() > REMARK_MAX {
        return Err(ApiError::field_invalid(
            "Remark",
            "the length must be at most 64 characters",
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(ApiError::field_invalid(
            "Remark",
            "control characters are not allowed",
        ));
    }
    Ok(raw.to_string())
}

/// Tags of a create or TagResources call (`Tag.N.Key`, `Tag.N.Value`), validated.
pub fn tags_param(p: &Params<'_>) -> Result<Vec<(String, String)>, ApiError> {
    tag::tags_param(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_checks_version_then_action() {
        assert_eq!(
            Action::lookup("CreateTopic", VERSION_2018).unwrap(),
            Action::CreateTopic
        );
        assert_eq!(
            Action::lookup("CreateTopic", VERSION_2019).unwrap(),
            Action::CreateTopic
        );
        assert_eq!(
            Action::lookup("ModifyTopicRemark", VERSION_2019).unwrap(),
            Action::ModifyTopicRemark
        );
        assert_eq!(
            Action::lookup("ModifyTopicRemark", VERSION_2018)
                .unwrap_err()
                .code,
            "InvalidAction.NotFound"
        );
        for action in [
            "CreateSaslUser",
            "TagResources",
            "UpdateAllowedIp",
            "DescribeAcls",
        ] {
            assert!(Action::lookup(action, VERSION_2019).is_ok(), "{action}");
            assert_eq!(
                Action::lookup(action, VERSION_2018).unwrap_err().code,
                "InvalidAction.NotFound",
                "{action}"
            );
        }
        assert_eq!(
            Action::lookup("Nope", VERSION_2018).unwrap_err().status,
            404
        );
        assert_eq!(
            Action::lookup("CreateTopic", "2020-01-01")
                .unwrap_err()
                .code,
            "InvalidVersion"
        );
    }

    #[test]
    fn names_are_validated_and_truncated() {
        assert_eq!(normalize_name("Topic", "ab-c_1").unwrap(), "ab-c_1");
        assert_eq!(
            normalize_name("Topic", "ab").unwrap_err().code,
            "BIZ_FIELD_CHECK_INVALID"
        );
        assert_eq!(
            normalize_name("Topic", "a.b.c").unwrap_err().code,
            "BIZ_FIELD_CHECK_INVALID"
        );
        assert_eq!(
            normalize_name("Topic", "话题话题").unwrap_err().code,
            "BIZ_FIELD_CHECK_INVALID"
        );
        let long = "x".repeat(70);
        assert_eq!(normalize_name("Topic", &long).unwrap(), "x".repeat(64));
    }

    #[test]
    fn remarks_are_limited() {
        assert_eq!(
            validate_remark(&"é".repeat(64)).unwrap().chars().count(),
            64
        );
        assert!(validate_remark(&"a".repeat(65)).is_err());
        assert!(validate_remark("a\u{0}b").is_err());
    }
}
