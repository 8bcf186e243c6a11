//! Emulator configuration: the embedded default, the TOML file format and validation.
//!
//! Precedence (applied by [`crate::emulator::cli`]): command-line flags, then the TOML
//! file, then the embedded default. A file that lists `accounts` or `instances` replaces
//! the embedded ones of that kind.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::sts::config::{
    demo_oidc_providers, demo_roles, OidcProviderConfig, RoleConfig, StsConfig, DEMO_ACCOUNT_ID,
};

/// Default listen address of `alikafka-emulator` with no arguments.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9120";
/// AccessKeyId of the embedded demo account.
pub const DEMO_ACCESS_KEY_ID: &str = "emulator-demo-ak";
/// AccessKeySecret of the embedded demo account.
pub const DEMO_ACCESS_KEY_SECRET: &str = "emulator-demo-sk";
/// The embedded demo instance in cn-hangzhou.
pub const DEMO_INSTANCE_HANGZHOU: &str = "alikafka_post-cn-emulator01";
/// The embedded demo instance in cn-shanghai.
pub const DEMO_INSTANCE_SHANGHAI: &str = "alikafka_post-cn-emulator02";
/// Default delay before a created or deleted object shows in reads.
pub const DEFAULT_VISIBILITY_DELAY_MS: u64 = 1000;
/// Kafka's default is 5 minutes; a minute keeps a local log closer to its retention.
pub const DEFAULT_RETENTION_CHECK_INTERVAL_MS: u64 = 60_000;
/// Default per-account, per-action rate limit (the guide's 3 QPS).
pub const DEFAULT_QPS: u32 = 3;
/// Default CreateTopic rate limit (the guide's 1 QPS).
pub const DEFAULT_CREATE_TOPIC_QPS: u32 = 1;
/// Quotas of the embedded instances: generous, so 1,000-topic benchmarks fit.
pub const DEMO_QUOTA: u32 = 2000;

/// A string that must never be printed: its `Debug` is redacted and it has no `Display`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret value, for signing and comparison only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where the state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLocation {
    /// A SQLite file (WAL mode); survives restarts.
    File(PathBuf),
    /// An in-memory SQLite database, lost on exit (`--data :memory:`).
    Memory,
}

impl DataLocation {
    /// Parses a `--data` value: `:memory:` or a path.
    pub fn parse(value: &str) -> DataLocation {
        if value == ":memory:" {
            DataLocation::Memory
        } else {
            DataLocation::File(PathBuf::from(value))
        }
    }

    /// `dirs::data_dir()/alikafka-emulator/state.db`, if the platform has a data directory.
    pub fn default_file() -> Option<DataLocation> {
        dirs::data_dir().map(|d| DataLocation::File(d.join("alikafka-emulator").join("state.db")))
    }
}

/// One account: an AccessKey pair, optionally an STS key that requires a security token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// When set, this is an STS key: every request must carry exactly this token.
    #[serde(default)]
    pub security_token: Option<Secret>,
    /// RFC 3339 time after which the STS token is expired.
    #[serde(default)]
    pub security_token_expires_at: Option<String>,
    /// A disabled key is answered with `InvalidAccessKeyId.Inactive`.
    #[serde(default)]
    pub disabled: bool,
    /// The account's ID (digits), as role ARNs name it: its keys may assume the roles that
    /// trust it, and role sessions of that account see this key's instances.
    #[serde(default)]
    pub account_id: Option<String>,
}

/// One instance, owned by one account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceConfig {
    pub instance_id: String,
    /// AccessKeyId of the owning account.
    pub account: String,
    pub region_id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Answered verbatim as `EndPoint` instead of the Kafka listener's address.
    #[serde(default)]
    pub end_point: Option<String>,
    /// `SslEndPoint` (SASL_SSL): answered as given; the emulator serves no TLS.
    #[serde(default)]
    pub ssl_end_point: Option<String>,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub vswitch_id: Option<String>,
    /// 4: Internet and VPC; 5: VPC only.
    #[serde(default = "default_deploy_type")]
    pub deploy_type: i64,
    /// 5 is "running"; any other value makes write actions fail with BIZ_INSTANCE_STATUS_ERROR.
    #[serde(default = "default_service_status")]
    pub service_status: i64,
    #[serde(default = "default_quota")]
    pub topic_quota: u32,
    #[serde(default = "default_quota")]
    pub group_quota: u32,
    /// The Kafka PLAINTEXT listener, `HOST:PORT`, advertised as `EndPoint` (port 0: a free
    /// port). Default: derived from the emulator's `kafka_listen` (see `EmulatorConfig`).
    #[serde(default)]
    pub kafka_listen: Option<String>,
    /// A Kafka SASL_PLAINTEXT listener, `HOST:PORT` (port 0: a free port), advertised as
    /// `SaslEndPoint`: clients log in as the instance's SASL users (CreateSaslUser) and are
    /// held to its ACLs (CreateAcl).
    #[serde(default)]
    pub kafka_sasl_listen: Option<String>,
    /// `AutoCreateTopicEnable`: a client asking for an unknown topic creates it (the
    /// service's default: off).
    #[serde(default)]
    pub auto_create_topic_enable: bool,
    /// `AutoCreateGroupEnable`: an unknown consumer group is created on first use (the
    /// service's default: off, and an unknown group is refused).
    #[serde(default)]
    pub auto_create_group_enable: bool,
    /// `DefaultPartitionNum`: partitions of an automatically created topic.
    #[serde(default = "default_partition_num")]
    pub default_partition_num: i64,
    /// Message retention in hours (GetInstanceList's `MsgRetain`; the default
    /// `retention.ms` of topics).
    #[serde(default = "default_msg_retain_hours")]
    pub msg_retain_hours: i64,
    /// `normal`, `professional` or `professionalForHighRead` (GetInstanceList's `SpecType`).
    #[serde(default = "default_spec_type")]
    pub spec_type: String,
}

fn default_msg_retain_hours() -> i64 {
    72
}
fn default_spec_type() -> String {
    "normal".to_owned()
}

fn default_deploy_type() -> i64 {
    5
}
fn default_service_status() -> i64 {
    5
}
fn default_quota() -> u32 {
    DEMO_QUOTA
}
fn default_partition_num() -> i64 {
    12
}

impl InstanceConfig {
    /// The display name (defaults to the instance id).
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.instance_id)
    }
}

/// Rate limits, per account and per action, in requests per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    #[serde(default = "default_qps")]
    pub qps: u32,
    #[serde(default = "default_create_topic_qps")]
    pub create_topic_qps: u32,
}

fn default_qps() -> u32 {
    DEFAULT_QPS
}
fn default_create_topic_qps() -> u32 {
    DEFAULT_CREATE_TOPIC_QPS
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            qps: DEFAULT_QPS,
            create_topic_qps: DEFAULT_CREATE_TOPIC_QPS,
        }
    }
}

/// Everything the emulator needs to run.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub listen: String,
    pub allow_remote: bool,
    pub data: DataLocation,
    pub accounts: Vec<AccountConfig>,
    pub instances: Vec<InstanceConfig>,
    pub rate_limits: RateLimits,
    pub visibility_delay_ms: u64,
    /// Where the first instance's Kafka listener goes, `HOST:PORT`; the next instances take
    /// the following ports (port 0: a free port each). Default: the HTTP host, the HTTP port
    /// plus one (a free port when the HTTP port is 0). An instance's own `kafka_listen` wins.
    pub kafka_listen: Option<String>,
    /// How often expired messages are deleted (Kafka's `log.retention.check.interval.ms`).
    pub retention_check_interval_ms: u64,
    /// RAM roles, OIDC providers and STS settings (see [`crate::emulator::sts`]).
    pub roles: Vec<RoleConfig>,
    pub oidc_providers: Vec<OidcProviderConfig>,
    pub sts: StsConfig,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("no default data directory on this platform; pass --data PATH or --data :memory:")]
    NoDataDir,
}

/// The TOML file format.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<String>,
    pub data: Option<String>,
    pub allow_remote: Option<bool>,
    pub visibility_delay_ms: Option<u64>,
    pub rate_limits: Option<RateLimits>,
    pub accounts: Option<Vec<AccountConfig>>,
    pub instances: Option<Vec<InstanceConfig>>,
    pub kafka_listen: Option<String>,
    pub retention_check_interval_ms: Option<u64>,
    pub roles: Option<Vec<RoleConfig>>,
    pub oidc_providers: Option<Vec<OidcProviderConfig>>,
    pub sts: Option<StsConfig>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ConfigFile::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

impl EmulatorConfig {
    /// The embedded default: one demo account owning two running instances.
    pub fn embedded(data: DataLocation) -> EmulatorConfig {
        EmulatorConfig {
            listen: DEFAULT_LISTEN.to_string(),
            allow_remote: false,
            data,
            accounts: vec![AccountConfig {
                access_key_id: DEMO_ACCESS_KEY_ID.to_string(),
                access_key_secret: Secret::new(DEMO_ACCESS_KEY_SECRET),
                security_token: None,
                security_token_expires_at: None,
                disabled: false,
                account_id: Some(DEMO_ACCOUNT_ID.to_string()),
            }],
            instances: vec![
                demo_instance(DEMO_INSTANCE_HANGZHOU, "cn-hangzhou", "emulator-hangzhou"),
                demo_instance(DEMO_INSTANCE_SHANGHAI, "cn-shanghai", "emulator-shanghai"),
            ],
            rate_limits: RateLimits::default(),
            visibility_delay_ms: DEFAULT_VISIBILITY_DELAY_MS,
            kafka_listen: None,
            retention_check_interval_ms: DEFAULT_RETENTION_CHECK_INTERVAL_MS,
            roles: demo_roles(),
            oidc_providers: demo_oidc_providers(),
            sts: StsConfig::default(),
        }
    }

    /// Applies a parsed file over this configuration.
    pub fn apply_file(&mut self, file: ConfigFile) {
        if let Some(listen) = file.listen {
            self.listen = listen;
        }
        if let Some(data) = file.data {
            self.data = DataLocation::parse(&data);
        }
        if let Some(allow) = file.allow_remote {
            self.allow_remote = allow;
        }
        if let Some(delay) = file.visibility_delay_ms {
            self.visibility_delay_ms = delay;
        }
        if let Some(limits) = file.rate_limits {
            self.rate_limits = limits;
        }
        if let Some(accounts) = file.accounts {
            self.accounts = accounts;
        }
        if let Some(instances) = file.instances {
            self.instances = instances;
        }
        if let Some(kafka_listen) = file.kafka_listen {
            self.kafka_listen = Some(kafka_listen);
        }
        if let Some(interval) = file.retention_check_interval_ms {
            self.retention_check_interval_ms = interval;
        }
        if let Some(roles) = file.roles {
            self.roles = roles;
        }
        if let Some(providers) = file.oidc_providers {
            self.oidc_providers = providers;
        }
        if let Some(sts) = file.sts {
            self.sts = sts;
        }
    }

    /// Checks cross-references and values.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.rate_limits.qps == 0 || self.rate_limits.create_topic_qps == 0 {
            return invalid("rate limits must be at least 1 request per second".into());
        }
        if self.retention_check_interval_ms == 0 {
            return invalid("retention_check_interval_ms must be at least 1".into());
        }
        let mut keys = HashSet::new();
        for account in &self.accounts {
            if account.access_key_id.is_empty() || account.access_key_secret.expose().is_empty() {
                return invalid(
                    "every account needs a non-empty access_key_id and access_key_secret".into(),
                );
            }
            if !keys.insert(account.access_key_id.as_str()) {
                return invalid(format!("duplicate account {}", account.access_key_id));
            }
            if let Some(id) = &account.account_id {
                if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
                    return invalid(format!(
                        "account {}: account_id must be digits",
                        account.access_key_id
                    ));
                }
            }
            if let Some(at) = &account.security_token_expires_at {
                if chrono::DateTime::parse_from_rfc3339(at).is_err() {
                    return invalid(format!(
                        "account {}: security_token_expires_at is not an RFC 3339 time",
                        account.access_key_id
                    ));
                }
            }
        }
        let mut ids = HashSet::new();
        for instance in &self.instances {
            if instance.instance_id.is_empty() || instance.region_id.is_empty() {
                return invalid(
                    "every instance needs a non-empty instance_id and region_id".into(),
                );
            }
            if !ids.insert(instance.instance_id.as_str()) {
                return invalid(format!("duplicate instance {}", instance.instance_id));
            }
            // A topic's default retention.ms is this many hours, which must lie in the
            // documented range of retention.ms (1 hour to 365 days).
            if !(1..=8760).contains(&instance.msg_retain_hours) {
                return invalid(format!(
                    "instance {}: msg_retain_hours must be from 1 to 8760",
                    instance.instance_id
                ));
            }
            if !keys.contains(instance.account.as_str()) {
                return invalid(format!(
                    "instance {} belongs to unknown account {}",
                    instance.instance_id, instance.account
                ));
            }
            if !(1..=360).contains(&instance.default_partition_num) {
                return invalid(format!(
                    "instance {}: default_partition_num must be from 1 to 360",
                    instance.instance_id
                ));
            }
        }
        super::sts::config::validate(&self.roles, &self.oidc_providers, &self.sts)
            .map_err(ConfigError::Invalid)
    }
}

fn demo_instance(id: &str, region: &str, name: &str) -> InstanceConfig {
    let host = id.replace('_', "-");
    InstanceConfig {
        instance_id: id.to_string(),
        account: DEMO_ACCESS_KEY_ID.to_string(),
        region_id: region.to_string(),
        name: Some(name.to_string()),
        // EndPoint is the instance's Kafka listener.
        end_point: None,
        ssl_end_point: Some(format!(
            "{host}-1.alikafka.aliyuncs.com:9093,{host}-2.alikafka.aliyuncs.com:9093,{host}-3.alikafka.aliyuncs.com:9093"
        )),
        vpc_id: Some(format!("vpc-{}", region.replace("cn-", "emu"))),
        vswitch_id: Some(format!("vsw-{}", region.replace("cn-", "emu"))),
        deploy_type: 4,
        service_status: 5,
        topic_quota: DEMO_QUOTA,
        group_quota: DEMO_QUOTA,
        kafka_listen: None,
        kafka_sasl_listen: None,
        auto_create_topic_enable: false,
        auto_create_group_enable: false,
        default_partition_num: default_partition_num(),
        msg_retain_hours: default_msg_retain_hours(),
        spec_type: default_spec_type(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_has_the_documented_account_and_instances() {
        let config = EmulatorConfig::embedded(DataLocation::Memory);
        config.validate().unwrap();
        assert_eq!(config.listen, "127.0.0.1:9120");
        assert_eq!(config.accounts[0].access_key_id, "emulator-demo-ak");
        assert_eq!(
            config.accounts[0].access_key_secret.expose(),
            "emulator-demo-sk"
        );
        let pairs: Vec<_> = config
            .instances
            .iter()
            .map(|i| (i.instance_id.as_str(), i.region_id.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("alikafka_post-cn-emulator01", "cn-hangzhou"),
                ("alikafka_post-cn-emulator02", "cn-shanghai")
            ]
        );
        assert!(config
            .instances
            .iter()
            .all(|i| i.topic_quota >= 2000 && i.group_quota >= 2000));
    }

    #[test]
    fn file_replaces_accounts_and_keeps_unset_values() {
        let file = ConfigFile::parse(
            r#"
            visibility_delay_ms = 0
            [rate_limits]
            qps = 50
            [[accounts]]
            access_key_id = "a"
            access_key_secret = "s"
            security_token = "t"
            [[instances]]
            instance_id = "i-1"
            account = "a"
            region_id = "cn-beijing"
            topic_quota = 2
            "#,
        )
        .unwrap();
        let mut config = EmulatorConfig::embedded(DataLocation::Memory);
        config.apply_file(file);
        config.validate().unwrap();
        assert_eq!(config.visibility_delay_ms, 0);
        assert_eq!(
            config.rate_limits,
            RateLimits {
                qps: 50,
                create_topic_qps: 1
            }
        );
        assert_eq!(config.accounts.len(), 1);
        assert_eq!(config.instances[0].topic_quota, 2);
        assert_eq!(config.instances[0].group_quota, DEMO_QUOTA);
        assert_eq!(config.listen, DEFAULT_LISTEN);
    }

    #[test]
    fn validation_rejects_dangling_owner_and_typos() {
        let mut config = EmulatorConfig::embedded(DataLocation::Memory);
        config.instances[0].account = "nobody".into();
        assert!(config.validate().is_err());
        assert!(ConfigFile::parse("visiblity_delay_ms = 3").is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = EmulatorConfig::embedded(DataLocation::Memory);
        let printed = format!("{config:?}");
        assert!(!printed.contains(DEMO_ACCESS_KEY_SECRET));
        assert!(printed.contains("Secret(***)"));
    }
}
