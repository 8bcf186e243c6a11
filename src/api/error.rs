//! The one error type of API calls, its classification and human hints.

use std::fmt;

/// What kind of failure an [`ApiError`] is, for callers deciding what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Credentials, signature, clock or permission problems.
    Auth,
    /// The service's flow control rejected the request.
    Throttled,
    /// The topic, group or instance does not exist (or is not visible yet).
    NotFound,
    AlreadyExists,
    /// A parameter the service rejected.
    InvalidInput,
    /// Worth retrying: 5xx, network failures, timeouts.
    Transient,
    Other,
}

impl ErrorKind {
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

/// Client-side codes for failures that carry no service code.
pub mod codes {
    /// Connection refused/reset, DNS, TLS, a body cut short.
    pub const NETWORK_ERROR: &str = "NetworkError";
    /// One attempt exceeded the configured request timeout.
    pub const REQUEST_TIMEOUT: &str = "RequestTimeout";
    /// The caller's overall deadline passed.
    pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
    /// The caller stopped the call between attempts (see `Client::call_stoppable`).
    pub const CANCELLED: &str = "Cancelled";
    /// A body that is not JSON (a gateway's page, a body cut short): transient unless
    /// the status is 4xx.
    pub const MALFORMED_RESPONSE: &str = "MalformedResponse";
    /// JSON that does not have the expected shape.
    pub const UNEXPECTED_RESPONSE: &str = "UnexpectedResponse";
    /// An error answer without a `Code`.
    pub const UNKNOWN_ERROR: &str = "UnknownError";
}

/// A failed API call. Never contains the request signature, secret key or STS token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub action: &'static str,
    /// `None` when no HTTP answer arrived (network error, timeout).
    pub http_status: Option<u16>,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    /// Boxed to keep `ApiError` small: it travels by value in every `Result`.
    pub recommend: Option<Box<str>>,
    /// Attempts made, including the one that produced this error.
    pub attempts: u32,
    /// Whether some attempt of this call may have been carried out by the service although
    /// no success answer came back (the request was sent, then the connection broke, the
    /// answer timed out, was a 5xx or was garbled). A write failing with this set may have
    /// taken effect: look before repeating it.
    pub outcome_uncertain: bool,
}

impl ApiError {
    /// An error with its kind derived from `code` and `http_status`.
    pub fn new(
        action: &'static str,
        http_status: Option<u16>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let code = code.into();
        ApiError {
            action,
            http_status,
            code,
            message: message.into(),
            request_id: None,
            recommend: None,
            attempts: 1,
            outcome_uncertain: false,
        }
    }

    /// The classification, derived from `code` and `http_status` (see [`classify`]).
    pub fn kind(&self) -> ErrorKind {
        classify(&self.code, self.http_status)
    }

    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    pub fn is_already_exists(&self) -> bool {
        self.kind() == ErrorKind::AlreadyExists
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        hint_for(&self.code, self.kind())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.action, self.code)?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(request_id) = &self.request_id {
            write!(f, " (RequestId: {request_id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Classifies a service (or client-side) error code, falling back on the HTTP status.
pub fn classify(code: &str, http_status: Option<u16>) -> ErrorKind {
    const AUTH_PREFIXES: [&str; 6] = [
        "Signature",
        "InvalidAccessKeyId",
        "InvalidSecurityToken",
        "InvalidTimeStamp",
        "Forbidden",
        "NoPermission",
    ];
    const AUTH_CODES: [&str; 5] = [
        "IncompleteSignature",
        "AUTH_RESOURCE_OWNER_ERROR",
        "AUTH_PERMISSION_CHECK_ERROR",
        "MissingSecurityToken",
        "InvalidAccessKeySecret",
    ];
    const NOT_FOUND_CODES: [&str; 7] = [
        "BIZ_TOPIC_NOT_FOUND",
        // CreateAcl on a group the service does not list yet (eventual consistency).
        "BIZ_FIND_CONSUMER_GROUP_INFO_ERROR",
        "BIZ_SUBSCRIPTION_NOT_FOUND",
        "BIZ_INSTANCE_NOT_FOUND",
        "BIZ_INSTANCE_NOT_EXIST",
        "BIZ_CONSUMER_NOT_FOUND",
        "INSTANCE_NOT_FOUND",
    ];
    const ALREADY_EXISTS_CODES: [&str; 3] = [
        "BIZ_TOPIC_EXISTED",
        "BIZ_SUBSCRIPTION_EXISTED",
        "BIZ_CONSUMER_EXISTED",
    ];
    const INVALID_INPUT_PREFIXES: [&str; 7] = [
        "MissingParameter",
        "InvalidParameter",
        // Tag keys and values, and tag or resource counts over the limits.
        "InvalidTag",
        "NumberExceed",
        "InvalidAction",
        "InvalidVersion",
        "UnsupportedSignature",
    ];
    const TRANSIENT_CODES: [&str; 7] = [
        "ServiceUnavailable",
        "InternalError",
        "InternalServerError",
        "ServiceTimeout",
        codes::NETWORK_ERROR,
        codes::REQUEST_TIMEOUT,
        codes::DEADLINE_EXCEEDED,
    ];

    let has_prefix = |prefixes: &[&str]| prefixes.iter().any(|p| code.starts_with(p));
    if code.starts_with("Throttling") || code == "ONS_SYSTEM_FLOW_CONTROL" {
        ErrorKind::Throttled
    } else if AUTH_CODES.contains(&code) || has_prefix(&AUTH_PREFIXES) {
        ErrorKind::Auth
    } else if NOT_FOUND_CODES.contains(&code)
        || (code.starts_with("InvalidInstanceId") && code.ends_with("NotFound"))
        || code.ends_with("NOT_FOUND")
    {
        ErrorKind::NotFound
    } else if ALREADY_EXISTS_CODES.contains(&code)
        || code.ends_with("_EXISTED")
        || code.ends_with(".AlreadyExists")
    {
        ErrorKind::AlreadyExists
    } else if code == "BIZ_FIELD_CHECK_INVALID" || has_prefix(&INVALID_INPUT_PREFIXES) {
        ErrorKind::InvalidInput
    } else if code == codes::MALFORMED_RESPONSE {
        if matches!(http_status, Some(400..=499)) {
            ErrorKind::Other
        } else {
            ErrorKind::Transient
        }
    } else if TRANSIENT_CODES.contains(&code) || matches!(http_status, Some(500..=599)) {
        ErrorKind::Transient
    } else {
        ErrorKind::Other
    }
}

fn hint_for(code: &str, kind: ErrorKind) -> Option<&'static str> {
    let specific = match code {
        "SignatureDoesNotMatch" => {
            Some("check the secret key: it does not match the access key id")
        }
        "IncompleteSignature" => Some("the request was not signed completely; check the endpoint and any proxy in between"),
        "SignatureNonceUsed" => Some("a request was replayed (nonce reused); retry the operation"),
        "InvalidAccessKeyId.NotFound" => Some("check the access key id: the service does not know it"),
        "InvalidAccessKeyId.Inactive" => Some("the access key is disabled; enable it in the RAM console or use another one"),
        "AUTH_RESOURCE_OWNER_ERROR" => Some("the instance belongs to another account, or the access key lacks permission for it"),
        "AUTH_PERMISSION_CHECK_ERROR" | "Forbidden.RAM" | "NoPermission" => Some("the RAM policies of these credentials (for a role: the role's, narrowed by any session policy) do not allow this action; grant it (for example with AliyunKafkaFullAccess) or use credentials that have it"),
        "InvalidAction.NotFound" => Some("the endpoint does not serve this action or API version; check the endpoint"),
        "BIZ_TOPIC_QUOTA_EXCEEDED" | "BIZ_SUBSCRIPTION_QUOTA_EXCEEDED" => Some("the instance's quota is used up; delete unused topics or groups, or upgrade the instance"),
        "BIZ_INSTANCE_STATUS_ERROR" => Some("the instance is not in a state that allows this operation (e.g. not running); try again once it is"),
        _ if code.starts_with("InvalidSecurityToken") => {
            Some("the STS security token is expired, malformed or belongs to another access key; obtain fresh STS credentials")
        }
        _ if code.starts_with("InvalidTimeStamp") => {
            Some("check the system clock: requests must be within 15 minutes of the service's time")
        }
        _ => None,
    };
    specific.or(match kind {
        ErrorKind::Auth => Some("check the access key id, secret key and security token"),
        ErrorKind::Throttled => Some("the service's rate limit was exceeded; reduce parallelism or lower the client's rate limits"),
        ErrorKind::NotFound => Some("it does not exist, or was created moments ago and is not visible yet"),
        ErrorKind::AlreadyExists => Some("it already exists; import it or choose another name"),
        ErrorKind::InvalidInput => Some("check the parameters: names are 3-64 characters of letters, digits, '_' and '-'; remarks at most 64 characters"),
        ErrorKind::Transient => Some("a temporary failure; try again later"),
        ErrorKind::Other => None,
    })
}

/// At most `max_chars` characters of `body`, control characters and runs of whitespace
/// collapsed to one space, with `…` when cut: safe to quote in a one-line error.
pub fn sanitized_prefix(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut count = 0;
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        if count == max_chars {
            out.push('…');
            return out;
        }
        last_space = c == ' ';
        out.push(c);
        count += 1;
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_of_every_reference_code() {
        let cases: &[(&str, u16, ErrorKind)] = &[
            ("SignatureDoesNotMatch", 400, ErrorKind::Auth),
            ("IncompleteSignature", 400, ErrorKind::Auth),
            ("InvalidAccessKeyId.NotFound", 404, ErrorKind::Auth),
            ("InvalidAccessKeyId.Inactive", 400, ErrorKind::Auth),
            ("InvalidSecurityToken.Expired", 400, ErrorKind::Auth),
            ("InvalidSecurityToken.Malformed", 400, ErrorKind::Auth),
            (
                "InvalidSecurityToken.MismatchWithAccessKey",
                400,
                ErrorKind::Auth,
            ),
            ("InvalidTimeStamp.Expired", 400, ErrorKind::Auth),
            ("SignatureNonceUsed", 400, ErrorKind::Auth),
            ("MissingParameter", 400, ErrorKind::InvalidInput),
            ("InvalidParameter", 400, ErrorKind::InvalidInput),
            ("Throttling", 400, ErrorKind::Throttled),
            ("Throttling.User", 400, ErrorKind::Throttled),
            ("Throttling.Api", 400, ErrorKind::Throttled),
            ("InvalidAction.NotFound", 404, ErrorKind::InvalidInput),
            ("ServiceUnavailable", 503, ErrorKind::Transient),
            ("InternalError", 500, ErrorKind::Transient),
            ("InternalServerError", 500, ErrorKind::Transient),
            ("BIZ_TOPIC_NOT_FOUND", 400, ErrorKind::NotFound),
            ("BIZ_SUBSCRIPTION_NOT_FOUND", 400, ErrorKind::NotFound),
            ("BIZ_TOPIC_EXISTED", 400, ErrorKind::AlreadyExists),
            ("BIZ_SUBSCRIPTION_EXISTED", 400, ErrorKind::AlreadyExists),
            ("BIZ_FIELD_CHECK_INVALID", 400, ErrorKind::InvalidInput),
            ("BIZ_INSTANCE_STATUS_ERROR", 400, ErrorKind::Other),
            ("ONS_SYSTEM_FLOW_CONTROL", 400, ErrorKind::Throttled),
            ("AUTH_RESOURCE_OWNER_ERROR", 400, ErrorKind::Auth),
            ("BIZ_INSTANCE_NOT_FOUND", 400, ErrorKind::NotFound),
            ("InvalidInstanceId.NotFound", 404, ErrorKind::NotFound),
            // Further codes the emulator documents.
            ("InvalidVersion", 400, ErrorKind::InvalidInput),
            ("MissingSecurityToken", 400, ErrorKind::Auth),
            ("InvalidTimeStamp.Format", 400, ErrorKind::Auth),
            ("BIZ_TOPIC_QUOTA_EXCEEDED", 400, ErrorKind::Other),
            (
                "BIZ_FIND_CONSUMER_GROUP_INFO_ERROR",
                400,
                ErrorKind::NotFound,
            ),
            ("InvalidTagKey.Malformed", 400, ErrorKind::InvalidInput),
            ("NumberExceed.Tags", 400, ErrorKind::InvalidInput),
            ("InvalidParameter.NotSupport", 400, ErrorKind::InvalidInput),
            ("BIZ_SUBSCRIPTION_QUOTA_EXCEEDED", 400, ErrorKind::Other),
        ];
        for (code, status, kind) in cases {
            assert_eq!(classify(code, Some(*status)), *kind, "{code}");
        }
    }

    #[test]
    fn client_side_codes_and_status_fallback() {
        assert_eq!(classify(codes::NETWORK_ERROR, None), ErrorKind::Transient);
        assert_eq!(classify(codes::REQUEST_TIMEOUT, None), ErrorKind::Transient);
        assert_eq!(classify("SomethingNew", Some(502)), ErrorKind::Transient);
        assert_eq!(classify("SomethingNew", Some(400)), ErrorKind::Other);
        assert_eq!(
            classify(codes::MALFORMED_RESPONSE, Some(200)),
            ErrorKind::Transient
        );
        assert_eq!(
            classify(codes::MALFORMED_RESPONSE, Some(502)),
            ErrorKind::Transient
        );
        assert_eq!(
            classify(codes::MALFORMED_RESPONSE, Some(403)),
            ErrorKind::Other
        );
        assert_eq!(
            classify(codes::UNEXPECTED_RESPONSE, Some(200)),
            ErrorKind::Other
        );
        // A body cut short after a 4xx status line is still a network failure.
        assert_eq!(
            classify(codes::NETWORK_ERROR, Some(400)),
            ErrorKind::Transient
        );
        // A code decides before the status: throttling is often sent with 400 or 503.
        assert_eq!(classify("Throttling.User", Some(503)), ErrorKind::Throttled);
    }

    #[test]
    fn retryable_kinds() {
        assert!(ErrorKind::Throttled.is_retryable());
        assert!(ErrorKind::Transient.is_retryable());
        for kind in [
            ErrorKind::Auth,
            ErrorKind::NotFound,
            ErrorKind::AlreadyExists,
            ErrorKind::InvalidInput,
            ErrorKind::Other,
        ] {
            assert!(!kind.is_retryable(), "{kind:?}");
        }
    }

    #[test]
    fn display_reads_like_one_sentence() {
        let mut err = ApiError::new(
            "GetTopicList",
            Some(400),
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
        err.request_id = Some("X".into());
        assert_eq!(
            err.to_string(),
            "GetTopicList failed: SignatureDoesNotMatch (HTTP 400): Specified signature is not \
             matched with our calculation. (RequestId: X)"
        );
        let net = ApiError::new(
            "DeleteTopic",
            None,
            codes::NETWORK_ERROR,
            "connection refused",
        );
        assert_eq!(
            net.to_string(),
            "DeleteTopic failed: NetworkError: connection refused"
        );
    }

    #[test]
    fn hints() {
        let hint = |code: &str, status| ApiError::new("A", Some(status), code, "m").hint();
        assert!(
            hint("SignatureDoesNotMatch", 400).is_some_and(|h| h.contains("check the secret key"))
        );
        assert!(hint("InvalidTimeStamp.Expired", 400).is_some_and(|h| h.contains("clock")));
        assert!(hint("InvalidSecurityToken.Expired", 400).is_some_and(|h| h.contains("STS")));
        assert!(hint("Throttling.User", 400).is_some_and(|h| h.contains("rate limit")));
        assert!(hint("BIZ_TOPIC_NOT_FOUND", 400).is_some_and(|h| h.contains("not visible yet")));
        assert!(hint("BIZ_TOPIC_EXISTED", 400).is_some_and(|h| h.contains("import")));
        assert!(hint("InvalidParameter", 400).is_some_and(|h| h.contains("64")));
        assert!(hint("ServiceUnavailable", 503).is_some_and(|h| h.contains("temporary")));
        assert!(hint("BIZ_TOPIC_QUOTA_EXCEEDED", 400).is_some_and(|h| h.contains("quota")));
        assert_eq!(hint("Whatever", 400), None);
    }

    #[test]
    fn sanitized_prefix_is_short_and_single_line() {
        let html = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\n\n\t<body>";
        assert_eq!(
            sanitized_prefix(html, 120),
            "<html> <head><title>502 Bad Gateway</title></head> <body>"
        );
        let long = "x".repeat(500);
        let cut = sanitized_prefix(long.as_bytes(), 120);
        assert_eq!(cut.chars().count(), 121);
        assert!(cut.ends_with('…'));
        assert_eq!(
            sanitized_prefix(b"\xff\xfe{\x00\"a", 120),
            "\u{fffd}\u{fffd}{ \"a"
        );
        assert_eq!(sanitized_prefix("é".repeat(200).as_bytes(), 3), "ééé…");
        assert_eq!(sanitized_prefix(b"", 120), "");
    }
}
