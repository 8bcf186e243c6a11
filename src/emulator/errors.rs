//! The service's error answers: code, HTTP status and message, as the gateway and the
//! alikafka backend send them. Messages never carry secrets.

use std::borrow::Cow;

/// One error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: Cow<'static, str>,
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            code: code.into(),
            status,
            message: message.into(),
        }
    }

    /// Whether this is a flow-control answer (counted as "throttled", not "failed").
    pub fn is_throttling(&self) -> bool {
        self.code.starts_with("Throttling")
    }

    // ----- gateway (POP) errors -----

    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            400,
            format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
        )
    }

    pub fn invalid_parameter(name: &str) -> Self {
        Self::new(
            "InvalidParameter",
            400,
            format!("The specified value of parameter \"{name}\" is not valid."),
        )
    }

    pub fn duplicate_parameter(name: &str) -> Self {
        Self::new(
            "InvalidParameter",
            400,
            format!("The parameter \"{name}\" is specified more than once."),
        )
    }

    pub fn invalid_action() -> Self {
        Self::new(
            "InvalidAction.NotFound",
            404,
            "Specified api is not found, please check your url and method.",
        )
    }

    pub fn invalid_version() -> Self {
        Self::new(
            "InvalidVersion",
            400,
            "Specified parameter Version is not valid.",
        )
    }

    pub fn incomplete_signature() -> Self {
        Self::new(
            "IncompleteSignature",
            400,
            "The request signature does not conform to Aliyun standards.",
        )
    }

    /// `string_to_sign` must already have any security token redacted.
    pub fn signature_does_not_match(string_to_sign: &str) -> Self {
        Self::new(
            "SignatureDoesNotMatch",
            400,
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        )
    }

    pub fn access_key_not_found() -> Self {
        Self::new(
            "InvalidAccessKeyId.NotFound",
            404,
            "Specified access key is not found.",
        )
    }

    pub fn access_key_inactive() -> Self {
        Self::new(
            "InvalidAccessKeyId.Inactive",
            400,
            "Specified access key is disabled.",
        )
    }

    pub fn security_token_missing() -> Self {
        Self::new(
            "MissingSecurityToken",
            400,
            "SecurityToken is mandatory for this action.",
        )
    }

    pub fn security_token_mismatch() -> Self {
        Self::new(
            "InvalidSecurityToken.MismatchWithAccessKey",
            400,
            "Specified SecurityToken mismatch with the AccessKey.",
        )
    }

    pub fn security_token_expired() -> Self {
        Self::new(
            "InvalidSecurityToken.Expired",
            400,
            "Specified SecurityToken is expired.",
        )
    }

    pub fn timestamp_expired() -> Self {
        Self::new(
            "InvalidTimeStamp.Expired",
            400,
            "Specified time stamp or date value is expired.",
        )
    }

    pub fn timestamp_format() -> Self {
        Self::new(
            "InvalidTimeStamp.Format",
            400,
            "Specified time stamp or date value is not well formatted.",
        )
    }

    pub fn nonce_used() -> Self {
        Self::new(
            "SignatureNonceUsed",
            400,
            "Specified signature nonce was used already.",
        )
    }

    pub fn throttled_user() -> Self {
        Self::new(
            "Throttling.User",
            400,
            "Request was denied due to user flow control.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            "InternalError",
            500,
            "An internal error occurred; please try again later.",
        )
    }

    pub fn service_unavailable() -> Self {
        Self::new(
            "ServiceUnavailable",
            503,
            "The request has failed due to a temporary failure of the server.",
        )
    }

    // ----- alikafka business errors (HTTP 400) -----

    pub fn field_invalid(field: &str, why: &str) -> Self {
        Self::new(
            "BIZ_FIELD_CHECK_INVALID",
            400,
            format!("The field \"{field}\" is invalid: {why}."),
        )
    }

    pub fn instance_not_found(instance_id: &str) -> Self {
        Self::new(
            "BIZ_INSTANCE_NOT_FOUND",
            400,
            format!("The instance {instance_id} is not found."),
        )
    }

    pub fn instance_status_error(instance_id: &str) -> Self {
        Self::new(
            "BIZ_INSTANCE_STATUS_ERROR",
            400,
            format!("The instance {instance_id} is not running."),
        )
    }

    pub fn topic_existed(topic: &str) -> Self {
        Self::new(
            "BIZ_TOPIC_EXISTED",
            400,
            format!("The topic {topic} already exists."),
        )
    }

    pub fn topic_not_found(topic: &str) -> Self {
        Self::new(
            "BIZ_TOPIC_NOT_FOUND",
            400,
            format!("The topic {topic} is not found."),
        )
    }

    pub fn topic_quota_exceeded(quota: u32) -> Self {
        Self::new(
            "BIZ_TOPIC_QUOTA_EXCEEDED",
            400,
            format!("The number of topics of this instance has reached its quota of {quota}."),
        )
    }

    pub fn subscription_existed(group: &str) -> Self {
        Self::new(
            "BIZ_SUBSCRIPTION_EXISTED",
            400,
            format!("The consumer group {group} already exists."),
        )
    }

    pub fn subscription_not_found(group: &str) -> Self {
        Self::new(
            "BIZ_SUBSCRIPTION_NOT_FOUND",
            400,
            format!("The consumer group {group} is not found."),
        )
    }

    /// CreateAcl on a group the service does not list (yet).
    pub fn group_info_not_found(group: &str) -> Self {
        Self::new(
            "BIZ_FIND_CONSUMER_GROUP_INFO_ERROR",
            400,
            format!("The consumer group {group} cannot be found."),
        )
    }

    pub fn subscription_quota_exceeded(quota: u32) -> Self {
        Self::new(
            "BIZ_SUBSCRIPTION_QUOTA_EXCEEDED",
            400,
            format!(
                "The number of consumer groups of this instance has reached its quota of {quota}."
            ),
        )
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        tracing::error!(%error, "storage error");
        ApiError::internal()
    }
}
