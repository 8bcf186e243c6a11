//! The provider block: its schema, and turning it (plus the environment and the aliyun CLI
//! profile) into an API client's settings. Resolution itself is the API client's
//! ([`api::resolve_with`]); this module only maps the block onto it and words the errors
//! for a Terraform user.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::tags::TagPolicy;
use crate::api::ratelimit::{default_sharing_dir, valid_sharing_dir};
use crate::api::{
    self, ClientConfig, ConfigError, ConfigInputs, Credentials, RateLimitSharing, SecretString,
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
    pub default_tags: Option<DefaultTags>,
    pub ignore_tags: Option<IgnoreTags>,
    pub shared_rate_limits: Option<bool>,
    pub shared_rate_limits_dir: Option<String>,
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
    pub credentials: Credentials,
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
    Ok(Settings {
        client,
        credentials: resolved.credentials,
        credentials_source: resolved.credentials_source,
    })
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
        _ => (
            "Invalid alikafka provider configuration",
            format!("{error}."),
        ),
    };
    Diagnostics::error(summary, detail)
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
        assert_eq!(s.credentials.access_key_id, "ak-block");
        assert_eq!(s.credentials.access_key_secret.expose(), "sk-block");
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
        assert_eq!(s.credentials.access_key_id, "ak");
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
        assert_eq!(s.credentials.access_key_id, "STS.b");
        assert_eq!(
            s.credentials.security_token.as_ref().map(|t| t.expose()),
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
