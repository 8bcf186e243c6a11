//! Credentials and their resolution: explicit values > environment > aliyun CLI profile.
//!
//! [`resolve_with`] is pure apart from reading the profile file: the environment comes in
//! as a lookup closure so tests never touch the real one.

use std::path::{Path, PathBuf};

use super::config::ConfigError;
use super::profile::{Profile, ProfileFile};
use super::secret::SecretString;

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
}

/// The outcome of resolution, with where each part came from (for diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    pub credentials: Credentials,
    pub region: String,
    pub endpoint: Option<String>,
    /// E.g. `provider block`, `environment (ALICLOUD_ACCESS_KEY)`, `profile "x" in /path`.
    pub credentials_source: String,
    pub region_source: String,
}

const EXPLICIT: &str = "provider block";
const DEFAULT_PROFILE_FILE: &str = "~/.aliyun/config.json";

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

/// Resolution with an explicit home directory (where `~/.aliyun/config.json` lives).
pub fn resolve_with(
    explicit: &ConfigInputs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<ResolvedConfig, ConfigError> {
    let lookup = |name: &'static str| non_empty(env(name)).map(|v| (v, env_source(name)));
    let explicit_text =
        |value: &Option<String>| non_empty(value.clone()).map(|v| (v, EXPLICIT.to_owned()));
    let explicit_secret = |value: &Option<SecretString>| {
        non_empty(value.as_ref().map(|s| s.expose().to_owned())).map(|v| (v, EXPLICIT.to_owned()))
    };

    let access_key = explicit_text(&explicit.access_key)
        .or_else(|| lookup("ALICLOUD_ACCESS_KEY"))
        .or_else(|| lookup("ALIBABA_CLOUD_ACCESS_KEY_ID"));
    let secret_key = explicit_secret(&explicit.secret_key)
        .or_else(|| lookup("ALICLOUD_SECRET_KEY"))
        .or_else(|| lookup("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
    let security_token = explicit_secret(&explicit.security_token)
        .or_else(|| lookup("ALICLOUD_SECURITY_TOKEN"))
        .or_else(|| lookup("ALIBABA_CLOUD_SECURITY_TOKEN"));
    let region = explicit_text(&explicit.region)
        .or_else(|| lookup("ALICLOUD_REGION"))
        .or_else(|| lookup("ALIBABA_CLOUD_REGION"));
    let endpoint = explicit_text(&explicit.endpoint)
        .or_else(|| lookup("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA"))
        .map(|(v, _)| v);
    let named_profile = explicit_text(&explicit.profile)
        .or_else(|| lookup("ALICLOUD_PROFILE"))
        .or_else(|| lookup("ALIBABA_CLOUD_PROFILE"))
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

    let mut loaded: Option<Option<(Profile, String)>> = None;
    let (credentials, credentials_source) = match (access_key, secret_key) {
        (Some((id, id_source)), Some((secret, secret_source))) => {
            let source = if id_source == secret_source {
                id_source
            } else {
                format!("{id_source} and {secret_source}")
            };
            let token = security_token.map(|(t, _)| SecretString::from(t));
            (Credentials::new(id, secret, token), source)
        }
        (Some((_, source_of_id)), None) => {
            return Err(ConfigError::MissingSecretKey { source_of_id })
        }
        (None, Some((_, source_of_secret))) => {
            return Err(ConfigError::MissingAccessKeyId { source_of_secret })
        }
        (None, None) => {
            let profile = profiles.load()?;
            let (profile_ref, where_) =
                profile.as_ref().ok_or_else(|| ConfigError::NoCredentials {
                    profile_file: profiles.display_path.clone(),
                })?;
            let credentials = profile_credentials(profile_ref, &profiles.display_path)?;
            let source = where_.clone();
            loaded = Some(profile);
            (credentials, source)
        }
    };

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
        credentials,
        region,
        endpoint,
        credentials_source,
        region_source,
    })
}

struct ProfileSource {
    required: bool,
    path: Option<PathBuf>,
    display_path: String,
    name: Option<String>,
}

impl ProfileSource {
    /// The selected profile and a description of where it came from; `None` when the
    /// default file is absent or lacks the implicit `default` profile.
    fn load(&self) -> Result<Option<(Profile, String)>, ConfigError> {
        let file_error = |reason: String| ConfigError::ProfileFile {
            path: self.display_path.clone(),
            reason,
        };
        let Some(path) = &self.path else {
            return if self.required {
                Err(file_error("no home directory to find it in".to_owned()))
            } else {
                Ok(None)
            };
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.required => {
                return Ok(None)
            }
            Err(e) => return Err(file_error(e.to_string())),
        };
        let file = ProfileFile::parse(&text).map_err(file_error)?;
        let (name, must_exist) = match (&self.name, &file.current) {
            (Some(name), _) => (name.clone(), true),
            (None, Some(current)) => (current.clone(), true),
            (None, None) => ("default".to_owned(), false),
        };
        match file.find(&name) {
            Some(profile) => Ok(Some((
                profile.clone(),
                format!("profile {name:?} in {}", self.display_path),
            ))),
            None if must_exist => Err(ConfigError::ProfileNotFound {
                name,
                path: self.display_path.clone(),
                available: file.names(),
            }),
            None => Ok(None),
        }
    }
}

fn profile_credentials(profile: &Profile, path: &str) -> Result<Credentials, ConfigError> {
    let mode = if profile.mode.is_empty() {
        "AK"
    } else {
        profile.mode.as_str()
    };
    let incomplete = |missing: &'static str| ConfigError::IncompleteProfile {
        name: profile.name.clone(),
        path: path.to_owned(),
        mode: mode.to_owned(),
        missing,
    };
    let needs_token = match mode {
        "AK" => false,
        "StsToken" => true,
        other => {
            return Err(ConfigError::UnsupportedProfileMode {
                name: profile.name.clone(),
                mode: other.to_owned(),
            })
        }
    };
    let id = profile
        .access_key_id
        .clone()
        .ok_or_else(|| incomplete("access_key_id"))?;
    let secret = profile
        .access_key_secret
        .clone()
        .ok_or_else(|| incomplete("access_key_secret"))?;
    let token = if needs_token {
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
        {"name":"role","mode":"RamRoleArn","access_key_id":"r","access_key_secret":"r","region_id":"cn-shanghai"},
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
        assert_eq!(resolved.credentials.access_key_id, "block-id");
        assert_eq!(
            resolved.credentials.access_key_secret.expose(),
            "block-secret"
        );
        assert_eq!(
            resolved
                .credentials
                .security_token
                .as_ref()
                .map(|t| t.expose()),
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
        assert_eq!(resolved.credentials.access_key_id, "ali-id");
        assert_eq!(
            resolved.credentials.access_key_secret.expose(),
            "ali-secret"
        );
        assert_eq!(
            resolved
                .credentials
                .security_token
                .as_ref()
                .map(|t| t.expose()),
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
        assert_eq!(resolved.credentials.access_key_id, "abc-id");
        assert!(resolved.credentials.security_token.is_none());
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
        assert_eq!(resolved.credentials.access_key_id, "file-id");
        assert_eq!(resolved.region, "cn-beijing");
    }

    #[test]
    fn current_profile_is_used_by_default() {
        let home = home_with(Some(CLI_FILE));
        let resolved =
            resolve_with(&ConfigInputs::default(), &env_of(&[]), Some(home.path())).expect("ok");
        assert_eq!(resolved.credentials.access_key_id, "file-id");
        assert_eq!(
            resolved.credentials.access_key_secret.expose(),
            "file-secret"
        );
        assert!(resolved.credentials.security_token.is_none());
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
        assert_eq!(resolved.credentials.access_key_id, "sts-id");
        assert_eq!(
            resolved
                .credentials
                .security_token
                .as_ref()
                .map(|t| t.expose()),
            Some("sts-token")
        );
        assert_eq!(resolved.region, "cn-shanghai");

        let err = resolve_with(&ConfigInputs::default(), &env, Some(home.path()))
            .expect_err("role profile is not supported");
        assert_eq!(
            err.to_string(),
            "profile role uses mode RamRoleArn, which is not supported yet; use AK or StsToken"
        );

        let abc_env = env_of(&[("ALIBABA_CLOUD_PROFILE", "sts")]);
        let resolved =
            resolve_with(&ConfigInputs::default(), &abc_env, Some(home.path())).expect("ok");
        assert_eq!(resolved.credentials.access_key_id, "sts-id");
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
        assert_eq!(
            resolved.credentials.access_key_secret.expose(),
            "env-secret"
        );
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
        assert_eq!(resolved.credentials.access_key_id, "file-id");
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
}
