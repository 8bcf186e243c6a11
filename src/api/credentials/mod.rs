//! Credentials: where they come from ([`resolve_with`] picks one [`Source`]), and getting
//! them from it, refreshed before they expire ([`CredentialsProvider`]).
//!
//! The order (docs/index.md has the table): keys, from the block or the environment; then
//! what the provider block names — `assume_role_with_oidc`, `ecs_role_name`,
//! `credentials_uri`, `profile`; then the environment and the profile file in the order of
//! Alibaba's credentials library: the three OIDC variables, the aliyun CLI profile, the ECS
//! role name, the credentials URI. `assume_role` then assumes a role with whatever was found.
//!
//! [`resolve_with`] is pure apart from reading the profile file: the environment comes in
//! as a lookup closure so tests never touch the real one.

mod ecs;
pub(crate) mod profile;
mod provider;
mod source;
mod sts;
mod uri;

use std::fmt;
use std::path::{Path, PathBuf};

use super::config::ConfigError;
use super::secret::SecretString;
use profile::{Profile, ProfileFile};

pub use provider::{CredentialsError, CredentialsProvider, FetchSettings};
pub use source::{
    AssumeRoleSpec, EcsSpec, OidcSpec, OidcToken, Source, StsEndpoint, DEFAULT_SESSION_NAME,
    DEFAULT_SESSION_SECONDS, ECS_METADATA_ENDPOINT,
};

/// An access key pair, optionally with an STS token. Debug never shows the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: SecretString,
    pub security_token: Option<SecretString>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<SecretString>,
        security_token: Option<SecretString>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: security_token.filter(|t| !t.is_empty()),
        }
    }
}

/// The `assume_role` block as written (every field optional: the environment fills in).
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInputs {
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub policy: Option<String>,
    pub session_expiration: Option<i64>,
    pub external_id: Option<String>,
}

/// The `assume_role_with_oidc` block as written.
#[derive(Clone, Default)]
pub struct OidcInputs {
    pub oidc_provider_arn: Option<String>,
    pub role_arn: Option<String>,
    pub oidc_token: Option<SecretString>,
    pub oidc_token_file: Option<PathBuf>,
    pub role_session_name: Option<String>,
    pub policy: Option<String>,
    pub session_expiration: Option<i64>,
}

impl fmt::Debug for OidcInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcInputs")
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("role_arn", &self.role_arn)
            .field("oidc_token", &self.oidc_token)
            .field("oidc_token_file", &self.oidc_token_file)
            .field("role_session_name", &self.role_session_name)
            .finish_non_exhaustive()
    }
}

/// What the user wrote in the provider block (all optional). Empty strings count as unset.
#[derive(Debug, Clone, Default)]
pub struct ConfigInputs {
    pub access_key: Option<String>,
    pub secret_key: Option<SecretString>,
    pub security_token: Option<SecretString>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_credentials_file: Option<PathBuf>,
    pub endpoint: Option<String>,
    pub assume_role: Option<AssumeRoleInputs>,
    pub assume_role_with_oidc: Option<OidcInputs>,
    pub ecs_role_name: Option<String>,
    pub credentials_uri: Option<String>,
    pub sts_endpoint: Option<String>,
}

/// The outcome of resolution, with where each part came from (for diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    pub source: Source,
    pub region: String,
    pub endpoint: Option<String>,
    /// E.g. `provider block`, `environment (ALICLOUD_ACCESS_KEY)`, `profile "x" in /path`.
    pub credentials_source: String,
    pub region_source: String,
}

const EXPLICIT: &str = "provider block";
const DEFAULT_PROFILE_FILE: &str = "~/.aliyun/config.json";
/// How deep ChainableRamRoleArn profiles may chain.
const MAX_PROFILE_CHAIN: usize = 8;
/// Points the ECS role source at another metadata service (the emulator's stand-in).
pub const ECS_METADATA_ENDPOINT_ENV: &str = "ALIKAFKA_ECS_METADATA_ENDPOINT";

/// Resolves against the process environment and the real home directory.
pub fn resolve(
    explicit: &ConfigInputs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedConfig, ConfigError> {
    resolve_with(explicit, env, dirs::home_dir().as_deref())
}

/// The process environment as a lookup closure for [`resolve`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Settings read from the block, else the environment, with where each came from.
struct Lookup<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Lookup<'_> {
    /// The first of `names` set in the environment, with its source.
    fn env(&self, names: &[&'static str]) -> Option<(String, String)> {
        names
            .iter()
            .find_map(|name| non_empty((self.env)(name)).map(|v| (v, env_source(name))))
    }

    fn env_value(&self, names: &[&'static str]) -> Option<String> {
        self.env(names).map(|(v, _)| v)
    }

    /// The block's value, else the first of `names` in the environment.
    fn setting(&self, block: &Option<String>, names: &[&'static str]) -> Option<String> {
        non_empty(block.clone()).or_else(|| self.env_value(names))
    }

    fn flag(&self, name: &'static str) -> bool {
        self.env_value(&[name])
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// Resolution with an explicit home directory (where `~/.aliyun/config.json` lives).
pub fn resolve_with(
    explicit: &ConfigInputs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<ResolvedConfig, ConfigError> {
    let look = Lookup { env };
    let explicit_text =
        |value: &Option<String>| non_empty(value.clone()).map(|v| (v, EXPLICIT.to_owned()));
    let explicit_secret = |value: &Option<SecretString>| {
        non_empty(value.as_ref().map(|s| s.expose().to_owned())).map(|v| (v, EXPLICIT.to_owned()))
    };

    let access_key = explicit_text(&explicit.access_key)
        .or_else(|| look.env(&["ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID"]));
    let secret_key = explicit_secret(&explicit.secret_key)
        .or_else(|| look.env(&["ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"]));
    let security_token = explicit_secret(&explicit.security_token)
        .or_else(|| look.env(&["ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"]));
    let region = explicit_text(&explicit.region)
        .or_else(|| look.env(&["ALICLOUD_REGION", "ALIBABA_CLOUD_REGION"]));
    let endpoint = explicit_text(&explicit.endpoint)
        .or_else(|| look.env(&["ALIBABA_CLOUD_ENDPOINT_ALIKAFKA"]))
        .map(|(v, _)| v);
    let named_profile = explicit_text(&explicit.profile)
        .or_else(|| look.env(&["ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE"]))
        .map(|(v, _)| v);
    let chosen_file = explicit
        .shared_credentials_file
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| non_empty(env("ALICLOUD_SHARED_CREDENTIALS_FILE")).map(PathBuf::from));
    let profiles = ProfileSource {
        // A named profile or a chosen file must exist; the default file is optional.
        required: named_profile.is_some() || chosen_file.is_some(),
        display_path: match &chosen_file {
            Some(path) => path.display().to_string(),
            None => DEFAULT_PROFILE_FILE.to_owned(),
        },
        path: match chosen_file {
            Some(path) => expand_home(&path, home),
            None => home.map(|h| h.join(".aliyun").join("config.json")),
        },
        name: named_profile,
    };
    let sts = StsEndpoint {
        explicit: look.setting(&explicit.sts_endpoint, &["ALIBABA_CLOUD_STS_ENDPOINT"]),
        region: look.env_value(&["ALIBABA_CLOUD_STS_REGION"]),
        vpc: look.flag("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"),
    };
    let context = Context {
        look: &look,
        sts: &sts,
        home,
    };

    let keys = match (access_key, secret_key) {
        (Some((id, id_source)), Some((secret, secret_source))) => {
            let source = if id_source == secret_source {
                id_source
            } else {
                format!("{id_source} and {secret_source}")
            };
            let token = security_token.map(|(t, _)| SecretString::from(t));
            Some((Credentials::new(id, secret, token), source))
        }
        (Some((_, source_of_id)), None) => {
            return Err(ConfigError::MissingSecretKey { source_of_id })
        }
        (None, Some((_, source_of_secret))) => {
            return Err(ConfigError::MissingAccessKeyId { source_of_secret })
        }
        (None, None) => None,
    };

    let mut loaded: Option<Option<(Profile, String)>> = None;
    let chosen = match keys {
        // 1. Keys, from the block or the environment (as both references have it).
        Some((keys, source)) => (Source::Static(keys), source),
        // 2. What the provider block names.
        _ if explicit.assume_role_with_oidc.is_some() => (
            oidc_source(explicit.assume_role_with_oidc.as_ref(), &context)?,
            "provider block (assume_role_with_oidc)".to_owned(),
        ),
        _ if non_empty(explicit.ecs_role_name.clone()).is_some() => (
            ecs_source(
                non_empty(explicit.ecs_role_name.clone()),
                &context,
                "ecs_role_name",
            )?,
            "provider block (ecs_role_name)".to_owned(),
        ),
        _ if non_empty(explicit.credentials_uri.clone()).is_some() => (
            uri_source(non_empty(explicit.credentials_uri.clone()).unwrap_or_default()),
            "provider block (credentials_uri)".to_owned(),
        ),
        _ if non_empty(explicit.profile.clone()).is_some() => {
            let profile = profiles.load()?;
            let chosen = profile_or_none(&profile, &profiles, &context)?;
            loaded = Some(profile);
            chosen
        }
        // 3. The environment and the profile file, in the official library's order.
        None => {
            let oidc_env = [
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                "ALIBABA_CLOUD_ROLE_ARN",
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            ];
            let profile_disabled = look.flag("ALIBABA_CLOUD_CLI_PROFILE_DISABLED");
            if oidc_env.iter().all(|name| look.env(&[name]).is_some()) {
                (
                    oidc_source(None, &context)?,
                    format!("environment ({})", oidc_env.join(", ")),
                )
            } else if let Some(found) = if profile_disabled {
                None
            } else {
                let profile = profiles.load()?;
                let found = match &profile {
                    Some(_) => Some(profile_or_none(&profile, &profiles, &context)?),
                    None => None,
                };
                loaded = Some(profile);
                found
            } {
                found
            } else if let Some((role, source)) =
                look.env(&["ALICLOUD_ECS_ROLE_NAME", "ALIBABA_CLOUD_ECS_METADATA"])
            {
                (ecs_source(Some(role), &context, &source)?, source)
            } else if let Some((uri, source)) =
                look.env(&["ALICLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_CREDENTIALS_URI"])
            {
                (uri_source(uri), source)
            } else {
                return Err(ConfigError::NoCredentials {
                    profile_file: profiles.display_path.clone(),
                });
            }
        }
    };
    let (mut source, mut credentials_source) = chosen;
    if let Some(assume) = &explicit.assume_role {
        let role = assume_role_spec(assume, &context)?;
        credentials_source = format!(
            "assume_role {} with credentials from {credentials_source}",
            role.role_arn
        );
        source = Source::AssumeRole {
            base: Box::new(source),
            role,
        };
    }

    let (region, region_source) = match region {
        Some(found) => found,
        None => {
            let profile = match loaded {
                Some(profile) => profile,
                None => profiles.load()?,
            };
            profile
                .and_then(|(p, where_)| p.region_id.map(|r| (r, where_)))
                .ok_or_else(|| ConfigError::NoRegion {
                    profile_file: profiles.display_path.clone(),
                })?
        }
    };

    Ok(ResolvedConfig {
        source,
        region,
        endpoint,
        credentials_source,
        region_source,
    })
}

/// What building a source needs besides its own inputs.
struct Context<'a> {
    look: &'a Lookup<'a>,
    sts: &'a StsEndpoint,
    home: Option<&'a Path>,
}

fn invalid(setting: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidCredentialSetting {
        setting: setting.to_owned(),
        reason: reason.into(),
    }
}

/// `acs:ram::<digits>:<kind>/<name>`.
fn check_arn(setting: &str, arn: &str, kind: &str) -> Result<(), ConfigError> {
    let valid = arn
        .strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(account, resource)| {
            !account.is_empty()
                && account.chars().all(|c| c.is_ascii_digit())
                && resource
                    .strip_prefix(kind)
                    .and_then(|r| r.strip_prefix('/'))
                    .is_some_and(|name| !name.is_empty())
        });
    if valid {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("{arn:?} is not an ARN of the form acs:ram::<account-id>:{kind}/<name>"),
        ))
    }
}

/// STS's rule for RoleSessionName: 2 to 64 of letters, digits and `.@_-`.
fn check_session_name(setting: &str, name: &str) -> Result<(), ConfigError> {
    let valid = (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("{name:?} must be 2 to 64 letters, digits and . @ _ -"),
        ))
    }
}

/// 900 to 43200 seconds (the longest a role can be set to allow).
fn check_duration(setting: &str, seconds: i64) -> Result<i64, ConfigError> {
    if (900..=43200).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(invalid(
            setting,
            format!("{seconds} is outside 900 to 43200 seconds"),
        ))
    }
}

fn parse_duration(setting: &str, text: &str) -> Result<i64, ConfigError> {
    let seconds = text
        .trim()
        .parse::<i64>()
        .map_err(|_| invalid(setting, format!("{text:?} is not a number of seconds")))?;
    check_duration(setting, seconds)
}

fn check_policy(setting: &str, policy: &str) -> Result<(), ConfigError> {
    if policy.chars().count() > 2048 {
        return Err(invalid(
            setting,
            "a session policy is at most 2048 characters",
        ));
    }
    serde_json::from_str::<serde_json::Value>(policy)
        .map(|_| ())
        .map_err(|_| invalid(setting, "the session policy is not a JSON document"))
}

fn assume_role_spec(
    inputs: &AssumeRoleInputs,
    context: &Context<'_>,
) -> Result<AssumeRoleSpec, ConfigError> {
    let look = context.look;
    let role_arn = look
        .setting(
            &inputs.role_arn,
            &["ALICLOUD_ASSUME_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN"],
        )
        .ok_or(ConfigError::MissingCredentialSetting {
            setting: "assume_role.role_arn",
            ways: "set role_arn in the assume_role block, or ALICLOUD_ASSUME_ROLE_ARN / ALIBABA_CLOUD_ROLE_ARN",
        })?;
    check_arn("assume_role.role_arn", &role_arn, "role")?;
    let session_name = look
        .setting(
            &inputs.session_name,
            &[
                "ALICLOUD_ASSUME_ROLE_SESSION_NAME",
                "ALIBABA_CLOUD_ROLE_SESSION_NAME",
            ],
        )
        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
    check_session_name("assume_role.session_name", &session_name)?;
    let duration_seconds = match inputs.session_expiration.filter(|s| *s != 0) {
        Some(seconds) => check_duration("assume_role.session_expiration", seconds)?,
        None => match look.env_value(&["ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION"]) {
            Some(text) => parse_duration("ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION", &text)?,
            None => DEFAULT_SESSION_SECONDS,
        },
    };
    let policy = non_empty(inputs.policy.clone());
    if let Some(policy) = &policy {
        check_policy("assume_role.policy", policy)?;
    }
    let external_id = non_empty(inputs.external_id.clone());
    if let Some(id) = &external_id {
        if !(2..=1224).contains(&id.chars().count()) {
            return Err(invalid(
                "assume_role.external_id",
                "an external ID is 2 to 1224 characters",
            ));
        }
    }
    Ok(AssumeRoleSpec {
        role_arn,
        session_name,
        policy,
        duration_seconds,
        external_id,
        sts: context.sts.clone(),
    })
}

/// The OIDC exchange from the block (missing fields from the environment) or, with `None`,
/// from the environment alone.
fn oidc_source(inputs: Option<&OidcInputs>, context: &Context<'_>) -> Result<Source, ConfigError> {
    let empty = OidcInputs::default();
    let inputs = inputs.unwrap_or(&empty);
    let look = context.look;
    let missing = |setting, ways| ConfigError::MissingCredentialSetting { setting, ways };
    let provider_arn = look
        .setting(
            &inputs.oidc_provider_arn,
            &["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"],
        )
        .ok_or_else(|| {
            missing(
                "assume_role_with_oidc.oidc_provider_arn",
                "set oidc_provider_arn in the assume_role_with_oidc block, or ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            )
        })?;
    check_arn(
        "assume_role_with_oidc.oidc_provider_arn",
        &provider_arn,
        "oidc-provider",
    )?;
    let role_arn = look
        .setting(&inputs.role_arn, &["ALIBABA_CLOUD_ROLE_ARN"])
        .ok_or_else(|| {
            missing(
                "assume_role_with_oidc.role_arn",
                "set role_arn in the assume_role_with_oidc block, or ALIBABA_CLOUD_ROLE_ARN",
            )
        })?;
    check_arn("assume_role_with_oidc.role_arn", &role_arn, "role")?;
    // A token in the block wins over a file, as in the alicloud provider.
    let inline = inputs
        .oidc_token
        .as_ref()
        .map(|t| t.expose().trim().to_owned())
        .filter(|t| !t.is_empty());
    let token = match inline {
        Some(token) => {
            if !(4..=20000).contains(&token.chars().count()) {
                return Err(invalid(
                    "assume_role_with_oidc.oidc_token",
                    "an OIDC token is 4 to 20000 characters",
                ));
            }
            OidcToken::Inline(SecretString::from(token))
        }
        None => {
            let file = inputs
                .oidc_token_file
                .clone()
                .filter(|p| !p.as_os_str().is_empty())
                .or_else(|| {
                    look.env_value(&["ALIBABA_CLOUD_OIDC_TOKEN_FILE"])
                        .map(PathBuf::from)
                });
            match (file, look.env_value(&["ALIBABA_CLOUD_OIDC_TOKEN"])) {
                (Some(file), _) => match expand_home(&file, context.home) {
                    Some(path) => OidcToken::File(path),
                    None => {
                        return Err(invalid(
                            "assume_role_with_oidc.oidc_token_file",
                            "the path starts with ~ but there is no home directory",
                        ))
                    }
                },
                (None, Some(token)) => OidcToken::Inline(SecretString::from(token)),
                (None, None) => {
                    return Err(missing(
                        "assume_role_with_oidc.oidc_token",
                        "set oidc_token or oidc_token_file in the assume_role_with_oidc block, or ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                    ))
                }
            }
        }
    };
    let session_name = look
        .setting(
            &inputs.role_session_name,
            &["ALIBABA_CLOUD_ROLE_SESSION_NAME"],
        )
        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
    check_session_name("assume_role_with_oidc.role_session_name", &session_name)?;
    let duration_seconds = match inputs.session_expiration.filter(|s| *s != 0) {
        Some(seconds) => check_duration("assume_role_with_oidc.session_expiration", seconds)?,
        None => DEFAULT_SESSION_SECONDS,
    };
    let policy = non_empty(inputs.policy.clone());
    if let Some(policy) = &policy {
        check_policy("assume_role_with_oidc.policy", policy)?;
    }
    Ok(Source::Oidc(OidcSpec {
        provider_arn,
        role_arn,
        token,
        session_name,
        policy,
        duration_seconds,
        sts: context.sts.clone(),
    }))
}

fn ecs_source(
    role_name: Option<String>,
    context: &Context<'_>,
    named_by: &str,
) -> Result<Source, ConfigError> {
    let look = context.look;
    if look.flag("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
        return Err(ConfigError::EcsMetadataDisabled {
            named_by: named_by.to_owned(),
        });
    }
    if let Some(name) = &role_name {
        let valid = name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !valid {
            return Err(invalid(
                named_by,
                format!("{name:?} is not a RAM role name (letters, digits, - . _)"),
            ));
        }
    }
    Ok(Source::EcsRole(EcsSpec {
        role_name,
        endpoint: look
            .env_value(&[ECS_METADATA_ENDPOINT_ENV])
            .unwrap_or_else(|| ECS_METADATA_ENDPOINT.to_owned()),
        imds_v1_disabled: look.flag("ALIBABA_CLOUD_IMDSV1_DISABLED"),
    }))
}

fn uri_source(uri: String) -> Source {
    Source::CredentialsUri { uri }
}

struct ProfileSource {
    required: bool,
    path: Option<PathBuf>,
    display_path: String,
    name: Option<String>,
}

impl ProfileSource {
    fn file_error(&self, reason: String) -> ConfigError {
        ConfigError::ProfileFile {
            path: self.display_path.clone(),
            reason,
        }
    }

    /// The parsed file, or `None` when the default file is absent.
    fn file(&self) -> Result<Option<ProfileFile>, ConfigError> {
        let Some(path) = &self.path else {
            return if self.required {
                Err(self.file_error("no home directory to find it in".to_owned()))
            } else {
                Ok(None)
            };
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.required => {
                return Ok(None)
            }
            Err(e) => return Err(self.file_error(e.to_string())),
        };
        ProfileFile::parse(&text)
            .map(Some)
            .map_err(|reason| self.file_error(reason))
    }

    /// The selected profile and a description of where it came from; `None` when the
    /// default file is absent or lacks the implicit `default` profile.
    fn load(&self) -> Result<Option<(Profile, String)>, ConfigError> {
        let Some(file) = self.file()? else {
            return Ok(None);
        };
        let (name, must_exist) = match (&self.name, &file.current) {
            (Some(name), _) => (name.clone(), true),
            (None, Some(current)) => (current.clone(), true),
            (None, None) => ("default".to_owned(), false),
        };
        match file.find(&name) {
            Some(profile) => Ok(Some((profile.clone(), self.describe(&name)))),
            None if must_exist => Err(ConfigError::ProfileNotFound {
                name,
                path: self.display_path.clone(),
                available: file.names(),
            }),
            None => Ok(None),
        }
    }

    fn describe(&self, name: &str) -> String {
        format!("profile {name:?} in {}", self.display_path)
    }
}

/// The source of a loaded profile (`None` loaded: no credentials from the file).
fn profile_or_none(
    loaded: &Option<(Profile, String)>,
    profiles: &ProfileSource,
    context: &Context<'_>,
) -> Result<(Source, String), ConfigError> {
    match loaded {
        Some((profile, where_)) => Ok((
            profile_source(profile, profiles, context, 0)?,
            where_.clone(),
        )),
        None => Err(ConfigError::NoCredentials {
            profile_file: profiles.display_path.clone(),
        }),
    }
}

fn profile_source(
    profile: &Profile,
    profiles: &ProfileSource,
    context: &Context<'_>,
    depth: usize,
) -> Result<Source, ConfigError> {
    let mode = if profile.mode.is_empty() {
        "AK"
    } else {
        profile.mode.as_str()
    };
    let path = &profiles.display_path;
    let incomplete = |missing: &'static str| ConfigError::IncompleteProfile {
        name: profile.name.clone(),
        path: path.clone(),
        mode: mode.to_owned(),
        missing,
    };
    let setting = |field: &str| format!("field {field} of profile {:?} in {path}", profile.name);
    let keys = |with_token: bool| -> Result<Credentials, ConfigError> {
        let id = profile
            .access_key_id
            .clone()
            .ok_or_else(|| incomplete("access_key_id"))?;
        let secret = profile
            .access_key_secret
            .clone()
            .ok_or_else(|| incomplete("access_key_secret"))?;
        let token = if with_token {
            Some(
                profile
                    .sts_token
                    .clone()
                    .ok_or_else(|| incomplete("sts_token"))?,
            )
        } else {
            None
        };
        Ok(Credentials::new(id, secret, token))
    };
    let look = context.look;
    let sts = || StsEndpoint {
        explicit: context.sts.explicit.clone(),
        region: profile
            .sts_region
            .clone()
            .or_else(|| context.sts.region.clone()),
        vpc: profile.enable_vpc.unwrap_or(context.sts.vpc),
    };
    let duration = || match &profile.expired_seconds {
        Some(text) => parse_duration(&setting("expired_seconds"), text),
        None => Ok(DEFAULT_SESSION_SECONDS),
    };
    let role = |session: &Option<String>| -> Result<AssumeRoleSpec, ConfigError> {
        let role_arn = profile
            .ram_role_arn
            .clone()
            .or_else(|| look.env_value(&["ALIBABA_CLOUD_ROLE_ARN"]))
            .ok_or_else(|| incomplete("ram_role_arn"))?;
        check_arn(&setting("ram_role_arn"), &role_arn, "role")?;
        let session_name = session
            .clone()
            .or_else(|| look.env_value(&["ALIBABA_CLOUD_ROLE_SESSION_NAME"]))
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
        check_session_name(&setting("ram_session_name"), &session_name)?;
        if let Some(policy) = &profile.policy {
            check_policy(&setting("policy"), policy)?;
        }
        Ok(AssumeRoleSpec {
            role_arn,
            session_name,
            policy: profile.policy.clone(),
            duration_seconds: duration()?,
            external_id: profile.external_id.clone(),
            sts: sts(),
        })
    };
    match mode {
        "AK" => Ok(Source::Static(keys(false)?)),
        "StsToken" => Ok(Source::Static(keys(true)?)),
        "RamRoleArn" => Ok(Source::AssumeRole {
            base: Box::new(Source::Static(keys(false)?)),
            role: role(&profile.ram_session_name)?,
        }),
        "ChainableRamRoleArn" => {
            let source_name = profile
                .source_profile
                .clone()
                .ok_or_else(|| incomplete("source_profile"))?;
            if depth >= MAX_PROFILE_CHAIN {
                return Err(ConfigError::ProfileChain {
                    name: profile.name.clone(),
                    path: path.clone(),
                    reason: format!("more than {MAX_PROFILE_CHAIN} profiles chained (a loop?)"),
                });
            }
            let file = profiles.file()?.unwrap_or_default();
            let source_profile =
                file.find(&source_name)
                    .ok_or_else(|| ConfigError::ProfileChain {
                        name: profile.name.clone(),
                        path: path.clone(),
                        reason: format!("its source_profile {source_name:?} is not in the file"),
                    })?;
            let base = profile_source(source_profile, profiles, context, depth + 1)?;
            Ok(Source::AssumeRole {
                base: Box::new(base),
                role: role(&profile.ram_session_name)?,
            })
        }
        "EcsRamRole" => ecs_source(
            profile.ram_role_name.clone(),
            context,
            &setting("ram_role_name"),
        ),
        "OIDC" => {
            let inputs = OidcInputs {
                oidc_provider_arn: profile.oidc_provider_arn.clone(),
                role_arn: profile.ram_role_arn.clone(),
                oidc_token: None,
                oidc_token_file: profile.oidc_token_file.clone().map(PathBuf::from),
                role_session_name: profile.role_session_name.clone(),
                policy: profile.policy.clone(),
                session_expiration: Some(duration()?),
            };
            let profile_sts = sts();
            let profile_context = Context {
                look: context.look,
                sts: &profile_sts,
                home: context.home,
            };
            oidc_source(Some(&inputs), &profile_context)
        }
        "CredentialsURI" => profile
            .credentials_uri
            .clone()
            .map(uri_source)
            .ok_or_else(|| incomplete("credentials_uri")),
        other => Err(ConfigError::UnsupportedProfileMode {
            name: profile.name.clone(),
            mode: other.to_owned(),
        }),
    }
}

fn env_source(name: &str) -> String {
    format!("environment ({name})")
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn expand_home(path: &Path, home: Option<&Path>) -> Option<PathBuf> {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => Some(home.join(rest)),
        (Ok(_), None) => None,
        (Err(_), _) => Some(path.to_path_buf()),
    }
}

#[cfg(test)]
impl ResolvedConfig {
    /// The fixed keys; panics for other sources.
    fn keys(&self) -> &Credentials {
        self.source.as_static().expect("static keys")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn home_with(config: Option<&str>) -> tempfile::TempDir {
        let home = tempfile::tempdir().expect("tempdir");
        if let Some(text) = config {
            let dir = home.path().join(".aliyun");
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(dir.join("config.json"), text).expect("write");
        }
        home
    }

    const CLI_FILE: &str = r#"{"current":"main","profiles":[
        {"name":"main","mode":"AK","access_key_id":"file-id","access_key_secret":"file-secret","region_id":"cn-beijing"},
        {"name":"sts","mode":"StsToken","access_key_id":"sts-id","access_key_secret":"sts-secret","sts_token":"sts-token","region_id":"cn-shanghai"},
        {"name":"role","mode":"CloudSSO","access_key_id":"r","access_key_secret":"r","region_id":"cn-shanghai"},
        {"name":"broken","mode":"StsToken","access_key_id":"b","access_key_secret":"b"}
    ]}"#;

    fn explicit_all() -> ConfigInputs {
        ConfigInputs {
            access_key: Some("block-id".into()),
            secret_key: Some("block-secret".into()),
            security_token: Some("block-token".into()),
            region: Some("cn-hangzhou".into()),
            endpoint: Some("http://127.0.0.1:9120".into()),
            ..ConfigInputs::default()
        }
    }

    #[test]
    fn explicit_values_win_over_everything() {
        let home = home_with(Some(CLI_FILE));
        let env = env_of(&[
            ("ALICLOUD_ACCESS_KEY", "env-id"),
            ("ALICLOUD_SECRET_KEY", "env-secret"),
            ("ALICLOUD_REGION", "cn-qingdao"),
            ("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA", "http://localhost:1"),
        ]);
        let resolved = resolve_with(&explicit_all(), &env, Some(home.path())).expect("resolves");
        assert_eq!(resolved.keys().access_key_id, "block-id");
        assert_eq!(resolved.keys().access_key_secret.expose(), "block-secret");
        assert_eq!(
            resolved.keys().security_token.as_ref().map(|t| t.expose()),
            Some("block-token")
        );
        assert_eq!(resolved.region, "cn-hangzhou");
        assert_eq!(resolved.endpoint.as_deref(), Some("http://127.0.0.1:9120"));
        assert_eq!(resolved.credentials_source, "provider block");
    }

    #[test]
    fn alicloud_env_beats_alibaba_cloud_env_beats_profile() {
        let home = home_with(Some(CLI_FILE));
        let env = env_of(&[
            ("ALICLOUD_ACCESS_KEY", "ali-id"),
            ("ALICLOUD_SECRET_KEY", "ali-secret"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "abc-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "abc-secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "abc-token"),
            ("ALIBABA_CLOUD_REGION", "cn-shenzhen"),
            ("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA", "http://localhost:9"),
        ]);
        let resolved =
            resolve_with(&ConfigInputs::default(), &env, Some(home.path())).expect("resolves");
        assert_eq!(resolved.keys().access_key_id, "ali-id");
        assert_eq!(resolved.keys().access_key_secret.expose(), "ali-secret");
        assert_eq!(
            resolved.keys().security_token.as_ref().map(|t| t.expose()),
            Some("abc-token")
        );
        assert_eq!(resolved.region, "cn-shenzhen");
        assert_eq!(resolved.region_source, "environment (ALIBABA_CLOUD_REGION)");
        assert_eq!(resolved.endpoint.as_deref(), Some("http://localhost:9"));

        let only_abc = env_of(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "abc-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "abc-secret"),
        ]);
        let resolved =
            resolve_with(&ConfigInputs::default(), &only_abc, Some(home.path())).expect("resolves");
        assert_eq!(resolved.keys().access_key_id, "abc-id");
        assert!(resolved.keys().security_token.is_none());
        // Region falls back to the current profile even when keys come from the environment.
        assert_eq!(resolved.region, "cn-beijing");
        assert_eq!(
            resolved.region_source,
            "profile \"main\" in ~/.aliyun/config.json"
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let home = home_with(Some(CLI_FILE));
        let explicit = ConfigInputs {
            access_key: Some("".into()),
            secret_key: Some("  ".into()),
            region: Some("".into()),
            ..ConfigInputs::default()
        };
        let env = env_of(&[("ALICLOUD_ACCESS_KEY", ""), ("ALICLOUD_REGION", "")]);
        let resolved = resolve_with(&explicit, &env, Some(home.path())).expect("resolves");
        assert_eq!(resolved.keys().access_key_id, "file-id");
        assert_eq!(resolved.region, "cn-beijing");
    }

    #[test]
    fn current_profile_is_used_by_default() {
        let home = home_with(Some(CLI_FILE));
        let resolved =
            resolve_with(&ConfigInputs::default(), &env_of(&[]), Some(home.path())).expect("ok");
        assert_eq!(resolved.keys().access_key_id, "file-id");
        assert_eq!(resolved.keys().access_key_secret.expose(), "file-secret");
        assert!(resolved.keys().security_token.is_none());
        assert_eq!(resolved.region, "cn-beijing");
        assert_eq!(
            resolved.credentials_source,
            "profile \"main\" in ~/.aliyun/config.json"
        );
    }

    #[test]
    fn explicit_profile_beats_env_profile_beats_current() {
        let home = home_with(Some(CLI_FILE));
        let env = env_of(&[
            ("ALICLOUD_PROFILE", "role"),
            ("ALIBABA_CLOUD_PROFILE", "main"),
        ]);
        let explicit = ConfigInputs {
            profile: Some("sts".into()),
            ..ConfigInputs::default()
        };
        let resolved = resolve_with(&explicit, &env, Some(home.path())).expect("ok");
        assert_eq!(resolved.keys().access_key_id, "sts-id");
        assert_eq!(
            resolved.keys().security_token.as_ref().map(|t| t.expose()),
            Some("sts-token")
        );
        assert_eq!(resolved.region, "cn-shanghai");

        let err = resolve_with(&ConfigInputs::default(), &env, Some(home.path()))
            .expect_err("a CloudSSO profile is not supported");
        assert_eq!(
            err.to_string(),
            "profile role uses mode CloudSSO, which the provider does not support; use AK, \
             StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC or CredentialsURI"
        );

        let abc_env = env_of(&[("ALIBABA_CLOUD_PROFILE", "sts")]);
        let resolved =
            resolve_with(&ConfigInputs::default(), &abc_env, Some(home.path())).expect("ok");
        assert_eq!(resolved.keys().access_key_id, "sts-id");
    }

    #[test]
    fn sts_profile_without_token_is_incomplete() {
        let home = home_with(Some(CLI_FILE));
        let explicit = ConfigInputs {
            profile: Some("broken".into()),
            ..ConfigInputs::default()
        };
        let err = resolve_with(&explicit, &env_of(&[]), Some(home.path())).expect_err("broken");
        assert!(
            matches!(
                err,
                ConfigError::IncompleteProfile {
                    missing: "sts_token",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_profile_names_the_available_ones() {
        let home = home_with(Some(CLI_FILE));
        let explicit = ConfigInputs {
            profile: Some("nope".into()),
            ..ConfigInputs::default()
        };
        let err = resolve_with(&explicit, &env_of(&[]), Some(home.path())).expect_err("nope");
        let text = err.to_string();
        assert!(
            text.contains("\"nope\"") && text.contains("main, sts, role, broken"),
            "{text}"
        );
    }

    #[test]
    fn no_credentials_anywhere_lists_every_way() {
        let home = home_with(None);
        let err = resolve_with(&ConfigInputs::default(), &env_of(&[]), Some(home.path()))
            .expect_err("nothing");
        assert!(matches!(err, ConfigError::NoCredentials { .. }));
        let text = err.to_string();
        assert!(text.starts_with("No credentials: set access_key"), "{text}");
        assert!(text.contains("ALICLOUD_ACCESS_KEY") && text.contains("~/.aliyun/config.json"));

        // Without any home directory the outcome is the same.
        let err = resolve_with(&ConfigInputs::default(), &env_of(&[]), None).expect_err("none");
        assert!(matches!(err, ConfigError::NoCredentials { .. }));
    }

    #[test]
    fn half_a_key_pair_is_an_error() {
        let home = home_with(Some(CLI_FILE));
        let err = resolve_with(
            &ConfigInputs::default(),
            &env_of(&[("ALICLOUD_ACCESS_KEY", "id")]),
            Some(home.path()),
        )
        .expect_err("no secret");
        assert_eq!(
            err,
            ConfigError::MissingSecretKey {
                source_of_id: "environment (ALICLOUD_ACCESS_KEY)".into()
            }
        );
        let explicit = ConfigInputs {
            secret_key: Some("TOPSECRETVALUE".into()),
            ..ConfigInputs::default()
        };
        let err = resolve_with(&explicit, &env_of(&[]), Some(home.path())).expect_err("no id");
        assert!(matches!(err, ConfigError::MissingAccessKeyId { .. }));
        assert!(!format!("{err} {err:?}").contains("TOPSECRETVALUE"));
    }

    #[test]
    fn key_id_and_secret_may_come_from_different_places() {
        let explicit = ConfigInputs {
            access_key: Some("block-id".into()),
            region: Some("cn-hangzhou".into()),
            ..ConfigInputs::default()
        };
        let env = env_of(&[("ALICLOUD_SECRET_KEY", "env-secret")]);
        let resolved = resolve_with(&explicit, &env, None).expect("ok");
        assert_eq!(resolved.keys().access_key_secret.expose(), "env-secret");
        assert_eq!(
            resolved.credentials_source,
            "provider block and environment (ALICLOUD_SECRET_KEY)"
        );
    }

    #[test]
    fn no_region_is_an_error() {
        let explicit = ConfigInputs {
            access_key: Some("id".into()),
            secret_key: Some("secret".into()),
            ..ConfigInputs::default()
        };
        let home = home_with(None);
        let err = resolve_with(&explicit, &env_of(&[]), Some(home.path())).expect_err("region");
        assert!(matches!(err, ConfigError::NoRegion { .. }));
        assert!(err.to_string().contains("ALICLOUD_REGION"));
    }

    #[test]
    fn shared_credentials_file_from_env_with_tilde() {
        let home = home_with(None);
        std::fs::write(home.path().join("other.json"), CLI_FILE).expect("write");
        let env = env_of(&[("ALICLOUD_SHARED_CREDENTIALS_FILE", "~/other.json")]);
        let resolved =
            resolve_with(&ConfigInputs::default(), &env, Some(home.path())).expect("resolves");
        assert_eq!(resolved.keys().access_key_id, "file-id");
        assert_eq!(
            resolved.credentials_source,
            "profile \"main\" in ~/other.json"
        );
    }

    #[test]
    fn a_chosen_file_that_is_missing_or_malformed_is_an_error_naming_it() {
        let home = home_with(None);
        let missing = ConfigInputs {
            shared_credentials_file: Some(home.path().join("absent.json")),
            ..ConfigInputs::default()
        };
        let err = resolve_with(&missing, &env_of(&[]), Some(home.path())).expect_err("missing");
        assert!(err.to_string().contains("absent.json"), "{err}");

        let bad = home_with(Some(
            "{\"profiles\":[{\"name\":\"x\",\"access_key_secret\":\"LEAK",
        ));
        let err = resolve_with(&ConfigInputs::default(), &env_of(&[]), Some(bad.path()))
            .expect_err("malformed");
        let text = err.to_string();
        assert!(
            text.contains("~/.aliyun/config.json") && text.contains("not valid JSON"),
            "{text}"
        );
        assert!(!text.contains("LEAK"));
    }

    #[test]
    fn default_file_without_current_or_default_profile_means_no_credentials() {
        let home = home_with(Some(r#"{"profiles":[{"name":"x","mode":"AK"}]}"#));
        let err = resolve_with(&ConfigInputs::default(), &env_of(&[]), Some(home.path()))
            .expect_err("none");
        assert!(matches!(err, ConfigError::NoCredentials { .. }), "{err}");
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let resolved = resolve_with(&explicit_all(), &env_of(&[]), None).expect("ok");
        let debug = format!("{resolved:?} {:?}", explicit_all());
        assert!(
            !debug.contains("block-secret") && !debug.contains("block-token"),
            "{debug}"
        );
        assert!(debug.contains("block-id"));
    }

    const ROLE_ARN: &str = "acs:ram::1000000000000000:role/emulator-demo-role";
    const OIDC_ARN: &str = "acs:ram::1000000000000000:oidc-provider/emulator-demo-oidc";

    fn region() -> ConfigInputs {
        ConfigInputs {
            region: Some("cn-hangzhou".into()),
            ..ConfigInputs::default()
        }
    }

    fn assume(source: &Source) -> (&Source, &AssumeRoleSpec) {
        match source {
            Source::AssumeRole { base, role } => (base, role),
            other => panic!("not AssumeRole: {other:?}"),
        }
    }

    #[test]
    fn assume_role_wraps_any_source_with_the_alicloud_defaults() {
        let explicit = ConfigInputs {
            assume_role: Some(AssumeRoleInputs::default()),
            ..region()
        };
        let env = env_of(&[
            ("ALICLOUD_ACCESS_KEY", "ak"),
            ("ALICLOUD_SECRET_KEY", "sk"),
            ("ALICLOUD_ASSUME_ROLE_ARN", ROLE_ARN),
        ]);
        let resolved = resolve_with(&explicit, &env, None).expect("resolves");
        let (base, role) = assume(&resolved.source);
        assert_eq!(
            base.as_static().map(|c| c.access_key_id.as_str()),
            Some("ak")
        );
        assert_eq!(role.role_arn, ROLE_ARN);
        assert_eq!(role.session_name, "terraform");
        assert_eq!(role.duration_seconds, 3600);
        assert_eq!(role.sts.address(), "sts.aliyuncs.com");
        assert_eq!(
            resolved.credentials_source,
            format!("assume_role {ROLE_ARN} with credentials from environment (ALICLOUD_ACCESS_KEY) and environment (ALICLOUD_SECRET_KEY)")
        );
        assert_eq!(resolved.source.role().as_deref(), Some(ROLE_ARN));

        // The block wins over the environment; the environment's expiration applies.
        let explicit = ConfigInputs {
            assume_role: Some(AssumeRoleInputs {
                role_arn: Some("acs:ram::1:role/other".into()),
                session_name: Some("ci.run@1".into()),
                ..AssumeRoleInputs::default()
            }),
            sts_endpoint: Some("http://127.0.0.1:9120".into()),
            ..region()
        };
        let env = env_of(&[
            ("ALICLOUD_ACCESS_KEY", "ak"),
            ("ALICLOUD_SECRET_KEY", "sk"),
            ("ALICLOUD_ASSUME_ROLE_ARN", ROLE_ARN),
            ("ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION", "1800"),
        ]);
        let resolved = resolve_with(&explicit, &env, None).expect("resolves");
        let (_, role) = assume(&resolved.source);
        assert_eq!(role.role_arn, "acs:ram::1:role/other");
        assert_eq!(role.session_name, "ci.run@1");
        assert_eq!(role.duration_seconds, 1800);
        assert_eq!(role.sts.address(), "http://127.0.0.1:9120");
    }

    #[test]
    fn bad_role_settings_are_errors_naming_the_setting() {
        let with = |inputs: AssumeRoleInputs, env: &[(&str, &str)]| {
            let explicit = ConfigInputs {
                access_key: Some("ak".into()),
                secret_key: Some("sk".into()),
                assume_role: Some(inputs),
                ..region()
            };
            resolve_with(&explicit, &env_of(env), None)
                .expect_err("invalid")
                .to_string()
        };
        let missing = with(AssumeRoleInputs::default(), &[]);
        assert!(
            missing.contains("assume_role.role_arn")
                && missing.contains("ALICLOUD_ASSUME_ROLE_ARN"),
            "{missing}"
        );
        let arn = with(
            AssumeRoleInputs {
                role_arn: Some("arn:aws:iam::1:role/x".into()),
                ..AssumeRoleInputs::default()
            },
            &[],
        );
        assert!(
            arn.contains("assume_role.role_arn")
                && arn.contains("acs:ram::<account-id>:role/<name>"),
            "{arn}"
        );
        let session = with(
            AssumeRoleInputs::default(),
            &[
                ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN),
                ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "has space"),
            ],
        );
        assert!(session.contains("assume_role.session_name"), "{session}");
        let duration = with(
            AssumeRoleInputs {
                role_arn: Some(ROLE_ARN.into()),
                session_expiration: Some(60),
                ..AssumeRoleInputs::default()
            },
            &[],
        );
        assert!(duration.contains("900 to 43200"), "{duration}");
        let policy = with(
            AssumeRoleInputs {
                role_arn: Some(ROLE_ARN.into()),
                policy: Some("{not json".into()),
                ..AssumeRoleInputs::default()
            },
            &[],
        );
        assert!(policy.contains("assume_role.policy"), "{policy}");
    }

    fn oidc_env(token_file: &str) -> Vec<(&'static str, String)> {
        vec![
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_ARN.to_owned()),
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN.to_owned()),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token_file.to_owned()),
        ]
    }

    fn env_owned(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_three_ack_variables_alone_mean_oidc() {
        let home = home_with(Some(CLI_FILE));
        let env = env_owned(oidc_env(
            "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token",
        ));
        let resolved = resolve_with(&region(), &env, Some(home.path())).expect("resolves");
        let Source::Oidc(spec) = &resolved.source else {
            panic!("{:?}", resolved.source)
        };
        assert_eq!(spec.provider_arn, OIDC_ARN);
        assert_eq!(spec.role_arn, ROLE_ARN);
        assert_eq!(
            spec.token,
            OidcToken::File("/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token".into())
        );
        assert!(resolved
            .credentials_source
            .contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"));
        // Two of three: the profile is used instead, as in the official library.
        let mut partial = oidc_env("/t");
        partial.pop();
        let resolved =
            resolve_with(&region(), &env_owned(partial), Some(home.path())).expect("resolves");
        assert_eq!(resolved.keys().access_key_id, "file-id");
    }

    #[test]
    fn an_inline_token_wins_over_a_file_and_is_never_shown() {
        let explicit = ConfigInputs {
            assume_role_with_oidc: Some(OidcInputs {
                oidc_token: Some("eyJhbGciOi.TOKENBODY.sig".into()),
                oidc_token_file: Some("/some/file".into()),
                ..OidcInputs::default()
            }),
            ..region()
        };
        let env = env_owned(oidc_env("/ignored"));
        let resolved = resolve_with(&explicit, &env, None).expect("resolves");
        let Source::Oidc(spec) = &resolved.source else {
            panic!("not OIDC")
        };
        assert!(
            matches!(&spec.token, OidcToken::Inline(t) if t.expose() == "eyJhbGciOi.TOKENBODY.sig")
        );
        assert_eq!(spec.session_name, "terraform");
        let shown = format!("{resolved:?} {explicit:?}");
        assert!(!shown.contains("TOKENBODY"), "{shown}");
        // A block without a token anywhere says where to put one.
        let explicit = ConfigInputs {
            assume_role_with_oidc: Some(OidcInputs {
                oidc_provider_arn: Some(OIDC_ARN.into()),
                role_arn: Some(ROLE_ARN.into()),
                ..OidcInputs::default()
            }),
            ..region()
        };
        let err = resolve_with(&explicit, &env_of(&[]), None).expect_err("no token");
        assert!(err.to_string().contains("oidc_token_file"), "{err}");
    }

    #[test]
    fn a_source_named_in_the_block_beats_the_environment_but_not_keys() {
        let home = home_with(Some(CLI_FILE));
        let env = env_owned(oidc_env("/t"));
        let explicit = ConfigInputs {
            ecs_role_name: Some("ci-runner".into()),
            ..region()
        };
        let resolved = resolve_with(&explicit, &env, Some(home.path())).expect("resolves");
        let Source::EcsRole(spec) = &resolved.source else {
            panic!("{:?}", resolved.source)
        };
        assert_eq!(spec.role_name.as_deref(), Some("ci-runner"));
        assert_eq!(spec.endpoint, "http://100.100.100.200");
        assert_eq!(
            resolved.credentials_source,
            "provider block (ecs_role_name)"
        );
        let explicit = ConfigInputs {
            credentials_uri: Some("http://127.0.0.1:8080/creds".into()),
            ..region()
        };
        let resolved = resolve_with(&explicit, &env, Some(home.path())).expect("resolves");
        assert_eq!(
            resolved.source,
            Source::CredentialsUri {
                uri: "http://127.0.0.1:8080/creds".into()
            }
        );
        // Without block settings the environment's OIDC variables come first.
        let resolved = resolve_with(&region(), &env, Some(home.path())).expect("resolves");
        assert!(matches!(resolved.source, Source::Oidc(_)));
        // Keys in the environment win over a source named in the block, as in the
        // alicloud provider (where they are the block's own defaults).
        let with_keys = env_owned(
            [
                ("ALICLOUD_ACCESS_KEY", "env-id".to_owned()),
                ("ALICLOUD_SECRET_KEY", "env-secret".to_owned()),
            ]
            .into_iter()
            .chain(oidc_env("/t"))
            .collect(),
        );
        let explicit = ConfigInputs {
            ecs_role_name: Some("ci-runner".into()),
            ..region()
        };
        let resolved = resolve_with(&explicit, &with_keys, Some(home.path())).expect("resolves");
        assert_eq!(resolved.keys().access_key_id, "env-id");
    }

    #[test]
    fn the_environment_follows_the_official_order() {
        let home = home_with(None);
        let ecs = ("ALIBABA_CLOUD_ECS_METADATA", "role-from-env".to_owned());
        let uri = (
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "http://127.0.0.1:1/".to_owned(),
        );
        let resolved = resolve_with(
            &region(),
            &env_owned(vec![ecs.clone(), uri.clone()]),
            Some(home.path()),
        )
        .expect("ecs");
        assert!(
            matches!(&resolved.source, Source::EcsRole(s) if s.role_name.as_deref() == Some("role-from-env"))
        );
        let resolved =
            resolve_with(&region(), &env_owned(vec![uri.clone()]), Some(home.path())).expect("uri");
        assert!(matches!(resolved.source, Source::CredentialsUri { .. }));
        // The ECS stand-in replaces the metadata service when asked to.
        let resolved = resolve_with(
            &region(),
            &env_owned(vec![
                ecs.clone(),
                (ECS_METADATA_ENDPOINT_ENV, "http://127.0.0.1:5".to_owned()),
                ("ALIBABA_CLOUD_IMDSV1_DISABLED", "true".to_owned()),
            ]),
            Some(home.path()),
        )
        .expect("ecs");
        assert!(
            matches!(&resolved.source, Source::EcsRole(s) if s.endpoint == "http://127.0.0.1:5" && s.imds_v1_disabled)
        );
        let err = resolve_with(
            &region(),
            &env_owned(vec![
                ecs,
                ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true".to_owned()),
            ]),
            Some(home.path()),
        )
        .expect_err("disabled");
        assert!(
            matches!(err, ConfigError::EcsMetadataDisabled { .. }),
            "{err}"
        );
        // A profile comes before the ECS role name, unless the CLI profile is disabled.
        let home = home_with(Some(CLI_FILE));
        let with_ecs = vec![("ALICLOUD_ECS_ROLE_NAME", "r".to_owned())];
        let resolved = resolve_with(&region(), &env_owned(with_ecs.clone()), Some(home.path()))
            .expect("profile");
        assert_eq!(resolved.keys().access_key_id, "file-id");
        let mut disabled = with_ecs;
        disabled.push(("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true".to_owned()));
        let resolved =
            resolve_with(&region(), &env_owned(disabled), Some(home.path())).expect("ecs");
        assert!(matches!(resolved.source, Source::EcsRole(_)));
    }

    const ROLE_FILE: &str = r#"{"current":"ram","profiles":[
        {"name":"ak","mode":"AK","access_key_id":"base-id","access_key_secret":"base-secret","region_id":"cn-hangzhou"},
        {"name":"ram","mode":"RamRoleArn","access_key_id":"ram-id","access_key_secret":"ram-secret",
         "ram_role_arn":"acs:ram::1000000000000000:role/emulator-demo-role","ram_session_name":"from-profile",
         "expired_seconds":1200,"sts_region":"cn-shanghai","enable_vpc":true,"region_id":"cn-hangzhou"},
        {"name":"chain","mode":"ChainableRamRoleArn","source_profile":"ram",
         "ram_role_arn":"acs:ram::1000000000000000:role/emulator-demo-readonly","region_id":"cn-hangzhou"},
        {"name":"loop1","mode":"ChainableRamRoleArn","source_profile":"loop2","ram_role_arn":"acs:ram::1:role/a"},
        {"name":"loop2","mode":"ChainableRamRoleArn","source_profile":"loop1","ram_role_arn":"acs:ram::1:role/b"},
        {"name":"ecs","mode":"EcsRamRole","ram_role_name":"instance-role","region_id":"cn-hangzhou"},
        {"name":"ecs-any","mode":"EcsRamRole","region_id":"cn-hangzhou"},
        {"name":"oidc","mode":"OIDC","ram_role_arn":"acs:ram::1000000000000000:role/emulator-demo-role",
         "oidc_provider_arn":"acs:ram::1000000000000000:oidc-provider/emulator-demo-oidc",
         "oidc_token_file":"~/token","role_session_name":"oidc-profile","region_id":"cn-hangzhou"},
        {"name":"uri","mode":"CredentialsURI","credentials_uri":"http://127.0.0.1:9/","region_id":"cn-hangzhou"}
    ]}"#;

    fn profile(name: &str, home: &Path) -> ResolvedConfig {
        let explicit = ConfigInputs {
            profile: Some(name.into()),
            ..ConfigInputs::default()
        };
        resolve_with(&explicit, &env_of(&[]), Some(home)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn every_supported_profile_mode() {
        let home = home_with(Some(ROLE_FILE));
        let ram = profile("ram", home.path());
        let (base, role) = assume(&ram.source);
        assert_eq!(
            base.as_static().map(|c| c.access_key_id.as_str()),
            Some("ram-id")
        );
        assert_eq!(role.session_name, "from-profile");
        assert_eq!(role.duration_seconds, 1200);
        assert_eq!(role.sts.address(), "sts-vpc.cn-shanghai.aliyuncs.com");

        let chain = profile("chain", home.path());
        let (base, role) = assume(&chain.source);
        assert_eq!(
            role.role_arn,
            "acs:ram::1000000000000000:role/emulator-demo-readonly"
        );
        let (inner_base, inner_role) = assume(base);
        assert_eq!(inner_role.role_arn, ROLE_ARN);
        assert!(inner_base.as_static().is_some());

        let explicit = ConfigInputs {
            profile: Some("loop1".into()),
            region: Some("cn-hangzhou".into()),
            ..ConfigInputs::default()
        };
        let err = resolve_with(&explicit, &env_of(&[]), Some(home.path())).expect_err("loop");
        assert!(matches!(err, ConfigError::ProfileChain { .. }), "{err}");

        assert!(
            matches!(&profile("ecs", home.path()).source, Source::EcsRole(s) if s.role_name.as_deref() == Some("instance-role"))
        );
        assert!(
            matches!(&profile("ecs-any", home.path()).source, Source::EcsRole(s) if s.role_name.is_none())
        );

        let oidc = profile("oidc", home.path());
        let Source::Oidc(spec) = &oidc.source else {
            panic!("not OIDC")
        };
        assert_eq!(spec.token, OidcToken::File(home.path().join("token")));
        assert_eq!(spec.session_name, "oidc-profile");
        assert_eq!(
            profile("uri", home.path()).source,
            Source::CredentialsUri {
                uri: "http://127.0.0.1:9/".into()
            }
        );
        // The current profile is a RamRoleArn one.
        let current = resolve_with(&ConfigInputs::default(), &env_of(&[]), Some(home.path()))
            .expect("current");
        assert!(matches!(current.source, Source::AssumeRole { .. }));
        assert_eq!(
            current.credentials_source,
            "profile \"ram\" in ~/.aliyun/config.json"
        );
    }

    #[test]
    fn the_sts_endpoint_follows_the_library() {
        let home = home_with(Some(ROLE_FILE));
        let endpoint = |env: &[(&str, &str)]| {
            let explicit = ConfigInputs {
                profile: Some("chain".into()),
                ..ConfigInputs::default()
            };
            let resolved = resolve_with(&explicit, &env_of(env), Some(home.path())).expect("ok");
            assume(&resolved.source).1.sts.address()
        };
        // The chained profile has no sts_region of its own.
        assert_eq!(endpoint(&[]), "sts.aliyuncs.com");
        assert_eq!(
            endpoint(&[("ALIBABA_CLOUD_STS_REGION", "cn-beijing")]),
            "sts.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            endpoint(&[
                ("ALIBABA_CLOUD_STS_REGION", "cn-beijing"),
                ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true")
            ]),
            "sts-vpc.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            endpoint(&[
                ("ALIBABA_CLOUD_STS_ENDPOINT", "sts.cn-heyuan.aliyuncs.com"),
                ("ALIBABA_CLOUD_STS_REGION", "cn-beijing")
            ]),
            "sts.cn-heyuan.aliyuncs.com"
        );
    }
}
