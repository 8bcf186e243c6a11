//! Client settings and the errors of configuration (credentials, endpoint, region).

use std::collections::HashMap;
use std::time::Duration;

use super::ratelimit::RateLimitSharing;

/// Requests per second allowed per action, per (access key, region), process-wide.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Rate for actions without an entry in `per_action`. A value that is not a
    /// positive finite number disables limiting for those actions.
    pub default_per_second: f64,
    /// Rates by action name (e.g. `"CreateTopic"`).
    pub per_action: HashMap<String, f64>,
}

impl RateLimits {
    /// The service's documented limits: 3 requests/s per action, 1/s for CreateTopic.
    pub fn service_defaults() -> Self {
        RateLimits {
            default_per_second: 3.0,
            per_action: HashMap::from([("CreateTopic".to_owned(), 1.0)]),
        }
    }

    /// The rate for `action`, or `None` when limiting is disabled for it.
    pub fn rate_for(&self, action: &str) -> Option<f64> {
        let rate = self
            .per_action
            .get(action)
            .copied()
            .unwrap_or(self.default_per_second);
        (rate.is_finite() && rate > 0.0).then_some(rate)
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::service_defaults()
    }
}

/// Everything the client needs besides credentials.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Region id, e.g. `cn-hangzhou`; also selects the default endpoint.
    pub region: String,
    /// `scheme://host[:port]` overriding `https://alikafka.<region>.aliyuncs.com`.
    pub endpoint: Option<String>,
    pub connect_timeout: Duration,
    /// Whole-request timeout for one attempt.
    pub request_timeout: Duration,
    /// Retries after the first attempt for retryable errors.
    pub max_retries: u32,
    pub rate_limits: RateLimits,
    /// Permit plain `http://` to hosts other than loopback.
    pub allow_insecure_http: bool,
    /// Whether rate limits are shared with the machine's other processes.
    pub rate_limit_sharing: RateLimitSharing,
}

impl ClientConfig {
    pub fn new(region: impl Into<String>) -> Self {
        ClientConfig {
            region: region.into(),
            ..Self::default()
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            region: String::new(),
            endpoint: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_retries: 5,
            rate_limits: RateLimits::default(),
            allow_insecure_http: false,
            rate_limit_sharing: RateLimitSharing::Off,
        }
    }
}

const CREDENTIAL_WAYS: &str = "set access_key and secret_key in the provider block, \
or ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY (or ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET) \
in the environment (plus ALICLOUD_SECURITY_TOKEN for STS credentials)";

/// A configuration problem, worded for the person who has to fix it. Never carries secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "No credentials: {CREDENTIAL_WAYS}; or an assume_role_with_oidc block (or \
         ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_ROLE_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE, \
         as ACK RRSA sets them); or a profile in {profile_file} (choose it with profile / \
         ALICLOUD_PROFILE; another file with shared_credentials_file / \
         ALICLOUD_SHARED_CREDENTIALS_FILE); or ecs_role_name (ALICLOUD_ECS_ROLE_NAME) on an ECS \
         instance; or credentials_uri (ALIBABA_CLOUD_CREDENTIALS_URI)"
    )]
    NoCredentials { profile_file: String },
    #[error("Incomplete credentials: the access key id comes from {source_of_id} but no secret key is set: {CREDENTIAL_WAYS}")]
    MissingSecretKey { source_of_id: String },
    #[error("Incomplete credentials: the secret key comes from {source_of_secret} but no access key id is set: {CREDENTIAL_WAYS}")]
    MissingAccessKeyId { source_of_secret: String },
    #[error(
        "No region: set region in the provider block, or ALICLOUD_REGION / ALIBABA_CLOUD_REGION \
         in the environment, or region_id in the profile of {profile_file}"
    )]
    NoRegion { profile_file: String },
    #[error("Invalid region {region:?}: a region id is lower-case letters, digits and '-', e.g. cn-hangzhou")]
    InvalidRegion { region: String },
    #[error("Cannot use the profile file {path}: {reason}")]
    ProfileFile { path: String, reason: String },
    #[error("Profile {name:?} is not in {path} (profiles there: {available})")]
    ProfileNotFound {
        name: String,
        path: String,
        available: String,
    },
    #[error(
        "profile {name} uses mode {mode}, which the provider does not support; use AK, StsToken, \
         RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC or CredentialsURI"
    )]
    UnsupportedProfileMode { name: String, mode: String },
    #[error("Profile {name:?} in {path} cannot be used: {reason}")]
    ProfileChain {
        name: String,
        path: String,
        reason: String,
    },
    #[error("Invalid {setting}: {reason}")]
    InvalidCredentialSetting { setting: String, reason: String },
    #[error("Missing {setting}: {ways}")]
    MissingCredentialSetting {
        setting: &'static str,
        ways: &'static str,
    },
    #[error(
        "The ECS role named by {named_by} needs the ECS metadata service, but \
         ALIBABA_CLOUD_ECS_METADATA_DISABLED is true"
    )]
    EcsMetadataDisabled { named_by: String },
    #[error("Profile {name:?} in {path} has mode {mode} but no {missing}")]
    IncompleteProfile {
        name: String,
        path: String,
        mode: String,
        missing: &'static str,
    },
    #[error("Invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },
    #[error("Cannot share rate limits with other processes through {path}: {reason}")]
    RateLimitDirectory { path: String, reason: String },
    #[error("Cannot build the HTTP client: {0}")]
    HttpClient(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rates_follow_the_service() {
        let limits = RateLimits::default();
        assert_eq!(limits.rate_for("GetTopicList"), Some(3.0));
        assert_eq!(limits.rate_for("CreateTopic"), Some(1.0));
    }

    #[test]
    fn non_positive_rates_disable_limiting() {
        let limits = RateLimits {
            default_per_second: 0.0,
            per_action: HashMap::from([
                ("A".to_owned(), f64::NAN),
                ("B".to_owned(), f64::INFINITY),
                ("C".to_owned(), 2.5),
            ]),
        };
        assert_eq!(limits.rate_for("Other"), None);
        assert_eq!(limits.rate_for("A"), None);
        assert_eq!(limits.rate_for("B"), None);
        assert_eq!(limits.rate_for("C"), Some(2.5));
    }

    #[test]
    fn client_config_defaults() {
        let config = ClientConfig::new("cn-hangzhou");
        assert_eq!(config.region, "cn-hangzhou");
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
        assert_eq!(config.request_timeout, Duration::from_secs(10));
        assert!(!config.allow_insecure_http);
    }

    #[test]
    fn no_credentials_lists_every_way() {
        let text = ConfigError::NoCredentials {
            profile_file: "~/.aliyun/config.json".into(),
        }
        .to_string();
        for needle in [
            "access_key",
            "ALICLOUD_ACCESS_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "~/.aliyun/config.json",
            "ALICLOUD_PROFILE",
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
    }
}
