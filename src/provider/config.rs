//! The provider block: its schema, and turning it (plus the environment and the aliyun CLI
//! profile) into an API client's settings. Resolution itself is the API client's
//! ([`api::resolve_with`]); this module only maps the block onto it and words the errors
//! for a Terraform user.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::tags::TagPolicy;
use crate::api::ratelimit::{default_sharing_dir, valid_sharing_dir};
use crate::api::{
    self, AssumeRoleInputs, ClientConfig, ConfigError, ConfigInputs, CredentialsError,
    CredentialsProvider, FetchSettings, OidcInputs, RateLimitSharing, SecretString,
};
use crate::tfplugin::cty::{AttributePath, Type, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::{self, parse_duration};
use crate::tfplugin::schema::{Attribute, Block, BlockNesting, Description, NestedBlock, Schema};

pub const DEFAULT_MAX_RETRIES: u32 = 5;
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 3.0;
pub const DEFAULT_CREATE_TOPIC_REQUESTS_PER_SECOND: f64 = 1.0;
/// Turns the sharing of rate limits between processes off (`false`) when the provider
/// block does not say.
pub const SHARED_RATE_LIMITS_ENV: &str = "ALIKAFKA_SHARED_RATE_LIMITS";
/// The directory of the shared rate limits when the provider block does not name one.
pub const SHARED_RATE_LIMITS_DIR_ENV: &str = "ALIKAFKA_SHARED_RATE_LIMITS_DIR";
/// Retries beyond this only prolong a failure: backoff is capped at a few seconds.
const MAX_RETRIES_LIMIT: i64 = 100;
/// STS session durations: its minimum, and the longest a role can be set to allow.
const SESSION_SECONDS_MIN: i64 = 900;
const SESSION_SECONDS_MAX: i64 = 43200;
const ROLE_ARN_PATTERN: &str = r"^acs:ram::[0-9]+:role/[A-Za-z0-9._-]+$";
const SESSION_NAME_PATTERN: &str = r"^[A-Za-z0-9.@_-]{2,64}$";

fn role_arn(name: &str, fallback: &str) -> Attribute {
    Attribute::string(name)
        .optional()
        .validator(validators::regex_match(
            ROLE_ARN_PATTERN,
            "must be a role ARN: acs:ram::<account-id>:role/<role-name>",
        ))
        .markdown_description(format!(
            "ARN of the RAM role to assume, `acs:ram::<account-id>:role/<role-name>`. {fallback}"
        ))
}

fn session_name(name: &str, fallback: &str) -> Attribute {
    Attribute::string(name)
        .optional()
        .validator(validators::regex_match(
            SESSION_NAME_PATTERN,
            "must be 2 to 64 letters, digits and . @ _ -",
        ))
        .markdown_description(format!(
            "Name of the role session (2 to 64 letters, digits and `.@_-`), shown in the \
             account's audit trail. {fallback}"
        ))
}

fn session_policy() -> Attribute {
    Attribute::string("policy")
        .optional()
        .validator(validators::string_length(1, 2048))
        .markdown_description(
            "A RAM policy (JSON) narrowing what the session may do: the session gets what both \
             the role and this policy allow.",
        )
}

fn session_expiration(fallback: &str) -> Attribute {
    Attribute::number("session_expiration")
        .optional()
        .validator(validators::int_between(
            SESSION_SECONDS_MIN,
            SESSION_SECONDS_MAX,
        ))
        .markdown_description(format!(
            "Lifetime of the temporary credentials in seconds, from 900 to the role's maximum \
             session duration (at most 43200). {fallback} The provider fetches new ones before \
             they expire, so a long apply never sees them lapse."
        ))
}

fn assume_role_block() -> NestedBlock {
    NestedBlock::new(
        "assume_role",
        BlockNesting::List,
        Block::new(vec![
            role_arn(
                "role_arn",
                "Falls back to `ALICLOUD_ASSUME_ROLE_ARN`, then `ALIBABA_CLOUD_ROLE_ARN`; required \
                 in one of these places.",
            ),
            session_name(
                "session_name",
                "Falls back to `ALICLOUD_ASSUME_ROLE_SESSION_NAME`, then \
                 `ALIBABA_CLOUD_ROLE_SESSION_NAME`, then `terraform`.",
            ),
            session_policy(),
            session_expiration(
                "Falls back to `ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION`, then `3600`.",
            ),
            Attribute::string("external_id")
                .optional()
                .validator(validators::string_length(2, 1224))
                .markdown_description(
                    "The external ID the role's trust policy asks for, if any (2 to 1224 \
                     characters).",
                ),
        ])
        .description(Description::markdown(
            "Assume a RAM role with the credentials found otherwise (any other source: keys, \
             profile, OIDC, ECS role, credentials URI) and sign every call with the role's \
             temporary credentials.",
        )),
    )
    .max_items(1)
}

fn assume_role_with_oidc_block() -> NestedBlock {
    NestedBlock::new(
        "assume_role_with_oidc",
        BlockNesting::List,
        Block::new(vec![
            Attribute::string("oidc_provider_arn")
                .optional()
                .validator(validators::regex_match(
                    r"^acs:ram::[0-9]+:oidc-provider/[A-Za-z0-9._-]+$",
                    "must be an OIDC provider ARN: acs:ram::<account-id>:oidc-provider/<name>",
                ))
                .markdown_description(
                    "ARN of the OIDC identity provider registered in RAM, \
                     `acs:ram::<account-id>:oidc-provider/<name>`. Falls back to \
                     `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`; required in one of these places.",
                ),
            role_arn(
                "role_arn",
                "Falls back to `ALIBABA_CLOUD_ROLE_ARN`; required in one of these places.",
            ),
            Attribute::string("oidc_token")
                .optional()
                .sensitive()
                .validator(validators::string_length(4, 20000))
                .markdown_description(
                    "The OIDC token (a JWT) itself, such as a CI job's identity token. Wins over \
                     `oidc_token_file`. Falls back to `ALIBABA_CLOUD_OIDC_TOKEN`.",
                ),
            Attribute::string("oidc_token_file")
                .optional()
                .markdown_description(
                    "Path of a file holding the OIDC token, read again at every refresh (ACK \
                     rotates it). Falls back to `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.",
                ),
            session_name(
                "role_session_name",
                "Falls back to `ALIBABA_CLOUD_ROLE_SESSION_NAME`, then `terraform`.",
            ),
            session_policy(),
            session_expiration("Defaults to `3600`."),
        ])
        .description(Description::markdown(
            "Exchange an OIDC token (GitHub Actions, GitLab CI, ACK RRSA) for temporary \
             credentials of a RAM role, with STS `AssumeRoleWithOIDC`. With all of \
             `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_ROLE_ARN` and \
             `ALIBABA_CLOUD_OIDC_TOKEN_FILE` set (as ACK RRSA sets them) the block is not needed.",
        )),
    )
    .max_items(1)
}

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(vec![
        Attribute::string("access_key").optional().markdown_description(
            "AccessKey ID. Falls back to `ALICLOUD_ACCESS_KEY`, then `ALIBABA_CLOUD_ACCESS_KEY_ID`, \
             then the profile's `access_key_id`.",
        ),
        Attribute::string("secret_key").optional().sensitive().markdown_description(
            "AccessKey secret. Falls back to `ALICLOUD_SECRET_KEY`, then \
             `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, then the profile's `access_key_secret`.",
        ),
        Attribute::string("security_token").optional().sensitive().markdown_description(
            "STS security token, for temporary credentials. Falls back to \
             `ALICLOUD_SECURITY_TOKEN`, then `ALIBABA_CLOUD_SECURITY_TOKEN`, then the profile's \
             `sts_token` (`StsToken` mode).",
        ),
        Attribute::string("region").optional().markdown_description(
            "Region of the instances, such as `cn-hangzhou`. Falls back to `ALICLOUD_REGION`, \
             then `ALIBABA_CLOUD_REGION`, then the profile's `region_id`.",
        ),
        Attribute::string("profile").optional().markdown_description(
            "Name of the profile to use in the shared credentials file. Falls back to \
             `ALICLOUD_PROFILE`, then `ALIBABA_CLOUD_PROFILE`, then the file's `current` profile.",
        ),
        Attribute::string("shared_credentials_file").optional().markdown_description(
            "Path of the aliyun CLI configuration file. Falls back to \
             `ALICLOUD_SHARED_CREDENTIALS_FILE`, then `~/.aliyun/config.json`.",
        ),
        Attribute::string("endpoint").optional().markdown_description(
            "URL of the alikafka API. Falls back to `ALIBABA_CLOUD_ENDPOINT_ALIKAFKA`, then \
             `https://alikafka.<region>.aliyuncs.com`. Plain `http://` is accepted only for a \
             loopback address unless `insecure_http` is `true`.",
        ),
        Attribute::bool("insecure_http").optional().markdown_description(
            "Allow a plain `http://` endpoint that is not on a loopback address. Defaults to \
             `false`; when set, a warning is shown.",
        ),
        Attribute::number("max_retries")
            .optional()
            .validator(validators::int_between(0, MAX_RETRIES_LIMIT))
            .markdown_description(
                "How many times a call that failed for a passing reason (network error, 5xx, \
                 throttling) is tried again. Defaults to `5`.",
            ),
        Attribute::string("request_timeout")
            .optional()
            .validator(validators::duration())
            .markdown_description(
                "Time limit of one HTTP attempt, as a duration such as `\"10s\"`. Defaults to \
                 `\"10s\"`.",
            ),
        Attribute::number("requests_per_second")
            .optional()
            .validator(positive_number)
            .markdown_description(
                "Client-side limit for calls of each action, per second. Defaults to `3`, the \
                 service's per-action limit.",
            ),
        Attribute::number("create_topic_requests_per_second")
            .optional()
            .validator(positive_number)
            .markdown_description(
                "Client-side limit for `CreateTopic` calls, per second. Defaults to `1`, the \
                 service's limit for that action.",
            ),
        Attribute::string("ecs_role_name")
            .optional()
            .validator(validators::regex_match(
                r"^[A-Za-z0-9._-]{1,64}$",
                "must be a RAM role name: letters, digits, . _ -",
            ))
            .markdown_description(
                "Name of the RAM role attached to the ECS instance Terraform runs on: \
                 credentials come from the instance metadata service (hardened mode first). \
                 Falls back to `ALICLOUD_ECS_ROLE_NAME`, then `ALIBABA_CLOUD_ECS_METADATA`.",
            ),
        Attribute::string("credentials_uri")
            .optional()
            .markdown_description(
                "URL of a local service that answers `GET` with temporary credentials \
                 (`{\"Code\": \"Success\", \"AccessKeyId\": ..., \"AccessKeySecret\": ..., \
                 \"SecurityToken\": ..., \"Expiration\": ...}`). Falls back to \
                 `ALICLOUD_CREDENTIALS_URI`, then `ALIBABA_CLOUD_CREDENTIALS_URI`.",
            ),
        Attribute::string("sts_endpoint")
            .optional()
            .markdown_description(
                "Endpoint of STS for `assume_role` and `assume_role_with_oidc`, such as \
                 `sts-vpc.cn-hangzhou.aliyuncs.com` (HTTPS unless a scheme is given; plain \
                 `http://` only for loopback unless `insecure_http`). Falls back to \
                 `ALIBABA_CLOUD_STS_ENDPOINT`, then `sts.<region>.aliyuncs.com` for the region in \
                 `ALIBABA_CLOUD_STS_REGION` (or a profile's `sts_region`; `sts-vpc.` with \
                 `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`), then `sts.aliyuncs.com`.",
            ),
        Attribute::bool("shared_rate_limits").optional().markdown_description(
            "Share the rate limits with the other processes of this machine that use the same \
             access key, region and endpoint (parallel Terraform runs, Terragrunt `run-all`). \
             Falls back to `ALIKAFKA_SHARED_RATE_LIMITS`; defaults to `true`.",
        ),
        Attribute::string("shared_rate_limits_dir")
            .optional()
            .validator(absolute_path)
            .markdown_description(
                "Absolute path of the directory through which processes share rate limits. \
                 Falls back to `ALIKAFKA_SHARED_RATE_LIMITS_DIR`, then \
                 `$XDG_RUNTIME_DIR/alikafka-rate-limits`, then \
                 `alikafka-rate-limits-<uid>` in the temporary directory.",
            ),
    ])
    .with_block(assume_role_block())
    .with_block(assume_role_with_oidc_block())
    .with_block(NestedBlock::new(
        "default_tags",
        BlockNesting::Single,
        Block::new(vec![Attribute::new("tags", Type::map(Type::String))
            .optional()
            .markdown_description(
                "Tags every taggable resource of this provider carries (topics, consumer \
                 groups), merged under each resource's own `tags` (a key set there wins); \
                 the result is the resource's `tags_all`.",
            )])
        .description(Description::markdown(
            "Tags applied to every taggable resource, as the most widely used providers do.",
        )),
    ))
    .with_block(NestedBlock::new(
        "ignore_tags",
        BlockNesting::Single,
        Block::new(vec![
            Attribute::new("keys", Type::set(Type::String))
                .optional()
                .markdown_description("Tag keys that other systems set: never read nor removed."),
            Attribute::new("key_prefixes", Type::set(Type::String))
                .optional()
                .markdown_description(
                    "Prefixes of tag keys that other systems set: never read nor removed.",
                ),
        ])
        .description(Description::markdown(
            "Tags that other systems manage: they never show in `tags` or `tags_all`, never \
             cause a change, and are never removed.",
        )),
    ))
    .description(Description::markdown(
        "Manages topics and consumer groups of Alibaba Cloud Message Queue for Apache Kafka.",
    ))
}

fn positive_number(value: &Value) -> Result<(), String> {
    match value.as_f64() {
        Some(n) if n.is_finite() && n > 0.0 => Ok(()),
        Some(_) => Err("must be a number greater than 0".to_string()),
        None => Err(format!("expected a number, got a {}", value.kind_name())),
    }
}

fn absolute_path(value: &Value) -> Result<(), String> {
    match value.as_str() {
        Some(path) if valid_sharing_dir(Path::new(path)) => Ok(()),
        Some(path) => Err(format!(
            "must be an absolute path (every Terraform run, in whatever directory, must name \
             the same one), not {path:?}"
        )),
        None => Err(format!("expected a string, got a {}", value.kind_name())),
    }
}

/// The provider block as written (every attribute optional). No `Debug`: it holds secrets.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ProviderConfig {
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub security_token: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_credentials_file: Option<String>,
    pub endpoint: Option<String>,
    pub insecure_http: Option<bool>,
    pub max_retries: Option<i64>,
    pub request_timeout: Option<String>,
    pub requests_per_second: Option<f64>,
    pub create_topic_requests_per_second: Option<f64>,
    pub ecs_role_name: Option<String>,
    pub credentials_uri: Option<String>,
    pub sts_endpoint: Option<String>,
    pub assume_role: Vec<AssumeRoleBlock>,
    pub assume_role_with_oidc: Vec<AssumeRoleWithOidcBlock>,
    pub default_tags: Option<DefaultTags>,
    pub ignore_tags: Option<IgnoreTags>,
    pub shared_rate_limits: Option<bool>,
    pub shared_rate_limits_dir: Option<String>,
}

/// The `assume_role` block.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct AssumeRoleBlock {
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub policy: Option<String>,
    pub session_expiration: Option<i64>,
    pub external_id: Option<String>,
}

/// The `assume_role_with_oidc` block. No `Debug`: it may hold a token.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct AssumeRoleWithOidcBlock {
    pub oidc_provider_arn: Option<String>,
    pub role_arn: Option<String>,
    pub oidc_token: Option<String>,
    pub oidc_token_file: Option<String>,
    pub role_session_name: Option<String>,
    pub policy: Option<String>,
    pub session_expiration: Option<i64>,
}

/// The `default_tags` block.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DefaultTags {
    pub tags: Option<BTreeMap<String, String>>,
}

/// The `ignore_tags` block.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct IgnoreTags {
    pub keys: Option<Vec<String>>,
    pub key_prefixes: Option<Vec<String>>,
}

impl ProviderConfig {
    /// The tag policy of `default_tags` and `ignore_tags`.
    pub fn tag_policy(&self) -> TagPolicy {
        let ignore = self.ignore_tags.as_ref();
        TagPolicy {
            default_tags: self
                .default_tags
                .as_ref()
                .and_then(|d| d.tags.clone())
                .unwrap_or_default(),
            ignore_keys: ignore.and_then(|i| i.keys.clone()).unwrap_or_default(),
            ignore_key_prefixes: ignore
                .and_then(|i| i.key_prefixes.clone())
                .unwrap_or_default(),
        }
    }
}

/// Names of the provider block's attributes whose values are not known yet (they come from
/// resources not yet created); the provider waits for them instead of failing the plan.
pub fn unknown_attributes(config: &Value) -> Vec<String> {
    config
        .as_entries()
        .map(|attrs| {
            attrs
                .iter()
                .filter(|(_, v)| !v.is_wholly_known())
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// What an API client needs, resolved from the block, the environment and the profile.
pub struct Settings {
    pub client: ClientConfig,
    /// Shared by every provider configuration of the process with the same source.
    pub credentials: Arc<CredentialsProvider>,
    /// Where the credentials came from, for the log (never the values).
    pub credentials_source: String,
}

/// Resolves the provider block against `env` and the profile file under `home`.
pub fn settings(
    config: &ProviderConfig,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Settings, Diagnostics> {
    let inputs = ConfigInputs {
        access_key: config.access_key.clone(),
        secret_key: config.secret_key.clone().map(SecretString::from),
        security_token: config.security_token.clone().map(SecretString::from),
        region: config.region.clone(),
        profile: config.profile.clone(),
        shared_credentials_file: config.shared_credentials_file.as_ref().map(PathBuf::from),
        endpoint: config.endpoint.clone(),
        assume_role: config.assume_role.first().map(|b| AssumeRoleInputs {
            role_arn: b.role_arn.clone(),
            session_name: b.session_name.clone(),
            policy: b.policy.clone(),
            session_expiration: b.session_expiration,
            external_id: b.external_id.clone(),
        }),
        assume_role_with_oidc: config.assume_role_with_oidc.first().map(|b| OidcInputs {
            oidc_provider_arn: b.oidc_provider_arn.clone(),
            role_arn: b.role_arn.clone(),
            oidc_token: b.oidc_token.clone().map(SecretString::from),
            oidc_token_file: b.oidc_token_file.as_ref().map(PathBuf::from),
            role_session_name: b.role_session_name.clone(),
            policy: b.policy.clone(),
            session_expiration: b.session_expiration,
        }),
        ecs_role_name: config.ecs_role_name.clone(),
        credentials_uri: config.credentials_uri.clone(),
        sts_endpoint: config.sts_endpoint.clone(),
    };
    let resolved = api::resolve_with(&inputs, env, home)
        .map_err(|e| resolution_error(&e, &inputs, env, home))?;

    let request_timeout = match &config.request_timeout {
        Some(text) => parse_duration(text).map_err(|message| {
            Diagnostic::error("Invalid provider configuration", message)
                .at(AttributePath::attr("request_timeout"))
        })?,
        None => DEFAULT_REQUEST_TIMEOUT,
    };
    let max_retries = match config.max_retries {
        Some(n) => u32::try_from(n.clamp(0, MAX_RETRIES_LIMIT)).unwrap_or(DEFAULT_MAX_RETRIES),
        None => DEFAULT_MAX_RETRIES,
    };
    let mut client = ClientConfig::new(resolved.region);
    client.endpoint = resolved.endpoint;
    client.request_timeout = request_timeout;
    client.max_retries = max_retries;
    client.allow_insecure_http = config.insecure_http.unwrap_or(false);
    client.rate_limits.default_per_second = config
        .requests_per_second
        .unwrap_or(DEFAULT_REQUESTS_PER_SECOND);
    client.rate_limits.per_action.insert(
        "CreateTopic".to_string(),
        config
            .create_topic_requests_per_second
            .unwrap_or(DEFAULT_CREATE_TOPIC_REQUESTS_PER_SECOND),
    );
    client.rate_limit_sharing = rate_limit_sharing(config, env)?;
    let fetch = FetchSettings {
        allow_insecure_http: client.allow_insecure_http,
        ..FetchSettings::default()
    };
    let credentials =
        CredentialsProvider::shared(resolved.source, resolved.credentials_source.clone(), fetch)
            .map_err(|e| client_error(&e))?;
    Ok(Settings {
        client,
        credentials,
        credentials_source: resolved.credentials_source,
    })
}

/// The error of credentials that could not be obtained when the provider was configured.
pub fn credentials_error(error: &CredentialsError) -> Diagnostics {
    let hint = match error.code.as_str() {
        "NoPermission" | "AuthenticationFail.NoPermission" => {
            " The role's trust policy does not let these credentials (or this OIDC provider) \
             assume it, or the caller lacks sts:AssumeRole."
        }
        "EntityNotExist.Role" => " Check the role ARN: the account has no such role.",
        code if code.starts_with("AuthenticationFail.OIDCToken") => {
            " The OIDC token was refused: check that it is fresh, and that its issuer and \
             audience are the ones the OIDC provider in RAM expects."
        }
        code if code.starts_with("InvalidParameter") => {
            " Check the session name, duration and policy of the role settings."
        }
        _ if error.is_transient() => " A passing failure: run again.",
        _ => "",
    };
    Diagnostics::error("Cannot get alikafka credentials", format!("{error}.{hint}"))
}

/// Shared through the chosen directory, else the per-user default, unless turned off.
fn rate_limit_sharing(
    config: &ProviderConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RateLimitSharing, Diagnostics> {
    let invalid = |detail: String| Diagnostic::error("Invalid provider configuration", detail);
    let enabled = match (config.shared_rate_limits, env(SHARED_RATE_LIMITS_ENV)) {
        (Some(enabled), _) => enabled,
        (None, None) => true,
        (None, Some(text)) => match text.trim().to_ascii_lowercase().as_str() {
            "" | "true" | "1" | "on" | "yes" => true,
            "false" | "0" | "off" | "no" => false,
            _ => {
                return Err(invalid(format!(
                    "{SHARED_RATE_LIMITS_ENV} must be true or false, not {text:?}."
                ))
                .into())
            }
        },
    };
    if !enabled {
        return Ok(RateLimitSharing::Off);
    }
    if let Some(dir) = &config.shared_rate_limits_dir {
        // Checked at plan time already (absolute_path); also when set by a variable.
        absolute_path(&Value::from(dir.as_str()))
            .map_err(|e| invalid(e).at(AttributePath::attr("shared_rate_limits_dir")))?;
        return Ok(RateLimitSharing::Directory {
            path: PathBuf::from(dir),
            chosen: true,
        });
    }
    match env(SHARED_RATE_LIMITS_DIR_ENV).filter(|d| !d.is_empty()) {
        Some(dir) if !valid_sharing_dir(Path::new(&dir)) => Err(invalid(format!(
            "{SHARED_RATE_LIMITS_DIR_ENV} must be an absolute path, not {dir:?}."
        ))
        .into()),
        Some(dir) => Ok(RateLimitSharing::Directory {
            path: PathBuf::from(dir),
            chosen: true,
        }),
        None => Ok(RateLimitSharing::Directory {
            path: default_sharing_dir(env),
            chosen: false,
        }),
    }
}

/// One diagnostic per resolution failure. When credentials are missing, the region is
/// checked too, so that a user missing both learns of both at once.
fn resolution_error(
    error: &ConfigError,
    inputs: &ConfigInputs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Diagnostics {
    let (summary, detail) = match error {
        ConfigError::NoCredentials { .. } => {
            // Resolve again as if keys were given: does the region resolve?
            let with_keys = ConfigInputs {
                access_key: Some("probe".to_string()),
                secret_key: Some(SecretString::from("probe")),
                ..inputs.clone()
            };
            match api::resolve_with(&with_keys, env, home) {
                Err(region_error @ ConfigError::NoRegion { .. }) => (
                    "Missing alikafka credentials and region",
                    format!("{error}.\n\n{region_error}."),
                ),
                _ => ("Missing alikafka credentials", format!("{error}.")),
            }
        }
        ConfigError::MissingSecretKey { .. } | ConfigError::MissingAccessKeyId { .. } => {
            ("Incomplete alikafka credentials", format!("{error}."))
        }
        ConfigError::NoRegion { .. } => ("Missing alikafka region", format!("{error}.")),
        ConfigError::InvalidCredentialSetting { setting, .. } => {
            let diagnostic =
                Diagnostic::error("Invalid alikafka credentials setting", format!("{error}."));
            return match setting_path(setting) {
                Some(path) => diagnostic.at(path).into(),
                None => diagnostic.into(),
            };
        }
        ConfigError::MissingCredentialSetting { .. } => (
            "Incomplete alikafka credentials settings",
            format!("{error}."),
        ),
        _ => (
            "Invalid alikafka provider configuration",
            format!("{error}."),
        ),
    };
    Diagnostics::error(summary, detail)
}

/// `assume_role.session_name` as the attribute path into the (single) block.
fn setting_path(setting: &str) -> Option<AttributePath> {
    let (block, attribute) = setting.split_once('.')?;
    let known = matches!(block, "assume_role" | "assume_role_with_oidc")
        && attribute
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_');
    known.then(|| AttributePath::attr(block).index(0).attribute(attribute))
}

/// The error of a client that could not be built (bad region or endpoint), with the
/// provider attribute to change.
pub fn client_error(error: &ConfigError) -> Diagnostics {
    let mut detail = format!("{error}.");
    match error {
        ConfigError::InvalidEndpoint { .. } => {
            detail.push_str(
                " Set endpoint (or ALIBABA_CLOUD_ENDPOINT_ALIKAFKA) to a URL such as \
                 https://alikafka.cn-hangzhou.aliyuncs.com; to accept plain http to a host that \
                 is not loopback, set insecure_http = true.",
            );
        }
        ConfigError::InvalidRegion { .. } => {
            detail.push_str(" Set region (or ALICLOUD_REGION) to a region id.");
        }
        ConfigError::RateLimitDirectory { .. } => {
            detail.push_str(
                " Set shared_rate_limits_dir (or ALIKAFKA_SHARED_RATE_LIMITS_DIR) to a directory \
                 this user can write, or shared_rate_limits = false to limit within each run only.",
            );
        }
        _ => {}
    }
    Diagnostics::error("Invalid alikafka provider configuration", detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn keys(s: &Settings) -> &crate::api::Credentials {
        s.credentials.source().as_static().expect("fixed keys")
    }

    fn detail(d: &Diagnostics) -> String {
        d.iter()
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn schema_is_sound_and_secrets_are_sensitive() {
        let schema = schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        for name in ["secret_key", "security_token"] {
            assert!(
                schema.attribute(name).is_some_and(|a| a.sensitive),
                "{name}"
            );
        }
        assert!(schema
            .block
            .attributes
            .iter()
            .all(|a| !a.description.text.is_empty()));
    }

    #[test]
    fn explicit_values_win_and_defaults_fill_the_rest() {
        let config = ProviderConfig {
            access_key: Some("ak-block".into()),
            secret_key: Some("sk-block".into()),
            region: Some("cn-shanghai".into()),
            endpoint: Some("http://127.0.0.1:9120".into()),
            ..Default::default()
        };
        let env = env_of(&[
            ("ALICLOUD_ACCESS_KEY", "ak-env"),
            ("ALICLOUD_SECRET_KEY", "sk-env"),
            ("ALICLOUD_REGION", "cn-beijing"),
        ]);
        let s = settings(&config, &env, None).unwrap_or_else(|d| panic!("{}", detail(&d)));
        assert_eq!(keys(&s).access_key_id, "ak-block");
        assert_eq!(keys(&s).access_key_secret.expose(), "sk-block");
        assert_eq!(s.client.region, "cn-shanghai");
        assert_eq!(s.client.endpoint.as_deref(), Some("http://127.0.0.1:9120"));
        assert_eq!(s.client.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(s.client.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(s.client.rate_limits.rate_for("GetTopicList"), Some(3.0));
        assert_eq!(s.client.rate_limits.rate_for("CreateTopic"), Some(1.0));
        assert!(!s.client.allow_insecure_http);
        assert_eq!(s.credentials_source, "provider block");
    }

    #[test]
    fn environment_fills_in_and_tuning_attributes_apply() {
        let config = ProviderConfig {
            max_retries: Some(0),
            request_timeout: Some("1m30s".into()),
            requests_per_second: Some(10.0),
            create_topic_requests_per_second: Some(0.5),
            insecure_http: Some(true),
            ..Default::default()
        };
        let env = env_of(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ak"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sk"),
            ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
            ("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA", "http://127.0.0.1:1"),
        ]);
        let s = settings(&config, &env, None).unwrap_or_else(|d| panic!("{}", detail(&d)));
        assert_eq!(keys(&s).access_key_id, "ak");
        assert_eq!(s.client.region, "cn-hangzhou");
        assert_eq!(s.client.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(s.client.max_retries, 0);
        assert_eq!(s.client.request_timeout, Duration::from_secs(90));
        assert_eq!(s.client.rate_limits.rate_for("DeleteTopic"), Some(10.0));
        assert_eq!(s.client.rate_limits.rate_for("CreateTopic"), Some(0.5));
        assert!(s.client.allow_insecure_http);
    }

    #[test]
    fn nothing_anywhere_is_one_error_listing_every_way() {
        let home = tempfile::tempdir().expect("home");
        let d = settings(&ProviderConfig::default(), &env_of(&[]), Some(home.path()))
            .err()
            .expect("no credentials");
        assert_eq!(d.len(), 1, "{}", detail(&d));
        let text = detail(&d);
        for way in [
            "Missing alikafka credentials and region",
            "access_key",
            "ALICLOUD_ACCESS_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "~/.aliyun/config.json",
            "ALICLOUD_PROFILE",
            "ALICLOUD_REGION",
            "ALIBABA_CLOUD_REGION",
            "region_id",
        ] {
            assert!(text.contains(way), "{way} missing from: {text}");
        }
    }

    #[test]
    fn only_the_region_missing_says_so() {
        let home = tempfile::tempdir().expect("home");
        let env = env_of(&[("ALICLOUD_ACCESS_KEY", "ak"), ("ALICLOUD_SECRET_KEY", "sk")]);
        let d = settings(&ProviderConfig::default(), &env, Some(home.path()))
            .err()
            .expect("no region");
        let text = detail(&d);
        assert!(text.starts_with("Missing alikafka region:"), "{text}");
        assert!(text.contains("ALICLOUD_REGION"), "{text}");
        // Credentials present, region missing: the credentials are not blamed.
        let env = env_of(&[("ALICLOUD_REGION", "cn-hangzhou")]);
        let d = settings(&ProviderConfig::default(), &env, Some(home.path()))
            .err()
            .expect("no credentials");
        assert!(detail(&d).starts_with("Missing alikafka credentials:"));
    }

    #[test]
    fn a_profile_file_supplies_keys_and_region() {
        let home = tempfile::tempdir().expect("home");
        let file = home.path().join("creds.json");
        std::fs::write(
            &file,
            r#"{"current":"a","profiles":[
                {"name":"a","mode":"AK","access_key_id":"ak-a","access_key_secret":"sk-a","region_id":"cn-hangzhou"},
                {"name":"b","mode":"StsToken","access_key_id":"STS.b","access_key_secret":"sk-b","sts_token":"tok","region_id":"cn-shanghai"}]}"#,
        )
        .expect("write profile");
        let config = ProviderConfig {
            shared_credentials_file: Some(file.display().to_string()),
            profile: Some("b".into()),
            ..Default::default()
        };
        let s = settings(&config, &env_of(&[]), Some(home.path()))
            .unwrap_or_else(|d| panic!("{}", detail(&d)));
        assert_eq!(keys(&s).access_key_id, "STS.b");
        assert_eq!(
            keys(&s).security_token.as_ref().map(|t| t.expose()),
            Some("tok")
        );
        assert_eq!(s.client.region, "cn-shanghai");
    }

    #[test]
    fn errors_never_show_secrets() {
        let config = ProviderConfig {
            secret_key: Some("very-secret-value".into()),
            region: Some("cn-hangzhou".into()),
            ..Default::default()
        };
        let d = settings(&config, &env_of(&[]), None)
            .err()
            .expect("no access key id");
        let text = detail(&d);
        assert!(
            text.starts_with("Incomplete alikafka credentials"),
            "{text}"
        );
        assert!(!text.contains("very-secret-value"), "{text}");
    }

    #[test]
    fn unknown_values_are_found() {
        let config = Value::object([
            ("region", Value::Unknown),
            ("access_key", Value::from("ak")),
            ("secret_key", Value::Null),
        ]);
        assert_eq!(unknown_attributes(&config), vec!["region".to_string()]);
        assert!(unknown_attributes(&Value::object([("region", Value::from("x"))])).is_empty());
    }

    #[test]
    fn rate_limits_are_shared_by_default_and_can_be_moved_or_turned_off() {
        let keys = [
            ("ALICLOUD_ACCESS_KEY", "ak"),
            ("ALICLOUD_SECRET_KEY", "sk"),
            ("ALICLOUD_REGION", "cn-hangzhou"),
        ];
        let with = |extra: &[(&str, &str)], config: ProviderConfig| {
            let env = env_of(&[&keys[..], extra].concat());
            settings(&config, &env, None).map(|s| s.client.rate_limit_sharing)
        };
        let default = with(&[("XDG_RUNTIME_DIR", "/run/user/1000")], Default::default());
        assert_eq!(
            default.ok(),
            Some(RateLimitSharing::Directory {
                path: PathBuf::from("/run/user/1000/alikafka-rate-limits"),
                chosen: false
            })
        );
        let chosen = RateLimitSharing::Directory {
            path: PathBuf::from("/srv/limits"),
            chosen: true,
        };
        let from_env = with(
            &[(SHARED_RATE_LIMITS_DIR_ENV, "/srv/limits")],
            Default::default(),
        );
        assert_eq!(from_env.ok(), Some(chosen.clone()));
        let block = ProviderConfig {
            shared_rate_limits_dir: Some("/srv/limits".into()),
            ..Default::default()
        };
        let from_block = with(&[(SHARED_RATE_LIMITS_DIR_ENV, "/elsewhere")], block);
        assert_eq!(from_block.ok(), Some(chosen));
        for off in ["false", "0", "OFF", "no"] {
            let sharing = with(&[(SHARED_RATE_LIMITS_ENV, off)], Default::default());
            assert_eq!(sharing.ok(), Some(RateLimitSharing::Off), "{off}");
        }
        // The block wins over the environment, both ways.
        let on = ProviderConfig {
            shared_rate_limits: Some(true),
            ..Default::default()
        };
        let sharing = with(&[(SHARED_RATE_LIMITS_ENV, "false")], on);
        assert!(matches!(sharing, Ok(RateLimitSharing::Directory { .. })));
        let off = ProviderConfig {
            shared_rate_limits: Some(false),
            shared_rate_limits_dir: Some("/srv/limits".into()),
            ..Default::default()
        };
        assert_eq!(with(&[], off).ok(), Some(RateLimitSharing::Off));
    }

    #[test]
    fn bad_sharing_settings_are_clear_errors() {
        let keys = [
            ("ALICLOUD_ACCESS_KEY", "ak"),
            ("ALICLOUD_SECRET_KEY", "sk"),
            ("ALICLOUD_REGION", "cn-hangzhou"),
        ];
        let env = env_of(&[&keys[..], &[(SHARED_RATE_LIMITS_ENV, "maybe")]].concat());
        let d = settings(&ProviderConfig::default(), &env, None)
            .err()
            .expect("not a switch");
        assert!(detail(&d).contains("ALIKAFKA_SHARED_RATE_LIMITS must be true or false"));
        let env = env_of(&[&keys[..], &[(SHARED_RATE_LIMITS_DIR_ENV, "limits")]].concat());
        let d = settings(&ProviderConfig::default(), &env, None)
            .err()
            .expect("relative");
        assert!(
            detail(&d).contains("must be an absolute path"),
            "{}",
            detail(&d)
        );
        assert!(absolute_path(&Value::from("/tmp/x")).is_ok());
        let relative = absolute_path(&Value::from("../limits")).expect_err("relative");
        assert!(relative.contains("absolute"), "{relative}");
    }

    #[test]
    fn rates_must_be_positive() {
        assert!(positive_number(&Value::from(1)).is_ok());
        assert!(positive_number(&Value::from(0)).is_err());
        assert!(positive_number(&Value::from(-2)).is_err());
    }
}
