//! Configuration of the emulated STS and RAM: roles and what they may do, who may assume
//! them, OIDC identity providers, the lifetime of issued credentials, and the two local
//! stand-ins (ECS metadata service, credentials URI). The embedded default needs no file.

use std::collections::HashSet;

use serde::Deserialize;

/// Account ID of the embedded demo account (the account in every demo ARN).
pub const DEMO_ACCOUNT_ID: &str = "1000000000000000";
/// The demo role allowed every alikafka action.
pub const DEMO_ROLE_ARN: &str = "acs:ram::1000000000000000:role/emulator-demo-role";
/// The demo role allowed read actions only.
pub const DEMO_READONLY_ROLE_ARN: &str = "acs:ram::1000000000000000:role/emulator-demo-readonly";
/// The demo OIDC provider, trusted by the demo role.
pub const DEMO_OIDC_PROVIDER_ARN: &str =
    "acs:ram::1000000000000000:oidc-provider/emulator-demo-oidc";
/// Issuer of the demo OIDC provider's tokens.
pub const DEMO_OIDC_ISSUER: &str = "https://oidc.emulator.invalid/emulator-demo-oidc";
/// Audience the demo provider accepts: the one ACK RRSA puts in its tokens.
pub const DEMO_OIDC_CLIENT_ID: &str = "sts.aliyuncs.com";
/// STS's own bounds on DurationSeconds and its default.
pub const MIN_DURATION_SECONDS: i64 = 900;
pub const DEFAULT_DURATION_SECONDS: i64 = 3600;
pub const DEFAULT_MAX_SESSION_DURATION: i64 = 3600;
/// The longest session a role may be configured for (12 hours, as RAM allows).
pub const MAX_MAX_SESSION_DURATION: i64 = 43200;
/// Listen address of the stand-ins: a free loopback port each.
pub const DEFAULT_STANDIN_LISTEN: &str = "127.0.0.1:0";

/// A RAM role: what its sessions may do and who may assume it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// `acs:ram::<account-id>:role/<name>`.
    pub arn: String,
    /// RAM actions allowed to sessions, with `*` wildcards: `alikafka:*`, `alikafka:List*`.
    pub actions: Vec<String>,
    /// Accounts whose keys (and role sessions) may call AssumeRole on it.
    #[serde(default)]
    pub trusted_accounts: Vec<String>,
    /// ARNs of OIDC providers whose tokens may be exchanged for it (AssumeRoleWithOIDC).
    #[serde(default)]
    pub trusted_oidc_providers: Vec<String>,
    /// The longest DurationSeconds allowed, 3600 to 43200.
    #[serde(default = "default_max_session_duration")]
    pub max_session_duration: i64,
}

fn default_max_session_duration() -> i64 {
    DEFAULT_MAX_SESSION_DURATION
}

impl RoleConfig {
    /// The account ID and role name of the ARN, if it is a role ARN.
    pub fn parts(&self) -> Option<(&str, &str)> {
        parse_arn(&self.arn, "role/")
    }
}

/// An OIDC identity provider registered in RAM.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// `acs:ram::<account-id>:oidc-provider/<name>`.
    pub arn: String,
    /// The `iss` its tokens must carry.
    pub issuer_url: String,
    /// Accepted `aud` values.
    pub client_ids: Vec<String>,
    /// The issuer's public keys as a JWKS document (`{"keys": [...]}`). Without it the
    /// emulator makes a signing key of its own at start-up and can mint tokens for the
    /// provider (`POST /_emulator/oidc/token`).
    #[serde(default)]
    pub jwks: Option<String>,
}

impl OidcProviderConfig {
    pub fn parts(&self) -> Option<(&str, &str)> {
        parse_arn(&self.arn, "oidc-provider/")
    }
}

/// The ECS instance metadata stand-in: which role the "instance" has.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EcsMetadataConfig {
    /// HOST:PORT (port 0: a free one, printed at start-up).
    #[serde(default = "default_standin_listen")]
    pub listen: String,
    /// ARN of the instance's RAM role; its name is what the service lists.
    #[serde(default = "default_role_arn")]
    pub role_arn: String,
    /// Hardened mode only: refuse requests without a session token (HTTP 403).
    #[serde(default)]
    pub require_token: bool,
}

/// The credentials-URI stand-in: temporary credentials of a role, no authentication.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CredentialsUriConfig {
    #[serde(default = "default_standin_listen")]
    pub listen: String,
    /// ARN of the role whose credentials `GET /` serves (`GET /roles/<name>` serves others).
    #[serde(default = "default_role_arn")]
    pub role_arn: String,
}

fn default_standin_listen() -> String {
    DEFAULT_STANDIN_LISTEN.to_string()
}

fn default_role_arn() -> String {
    DEMO_ROLE_ARN.to_string()
}

impl Default for EcsMetadataConfig {
    fn default() -> Self {
        EcsMetadataConfig {
            listen: default_standin_listen(),
            role_arn: default_role_arn(),
            require_token: false,
        }
    }
}

impl Default for CredentialsUriConfig {
    fn default() -> Self {
        CredentialsUriConfig {
            listen: default_standin_listen(),
            role_arn: default_role_arn(),
        }
    }
}

/// Everything STS-related, as the `[sts]` table of the configuration file gives it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StsConfig {
    /// Issued credentials expire after at most this many seconds, whatever DurationSeconds
    /// asked (so tests need not wait 15 minutes). Unset: as asked.
    #[serde(default)]
    pub credential_lifetime_seconds: Option<u64>,
    #[serde(default)]
    pub ecs_metadata: EcsMetadataConfig,
    #[serde(default)]
    pub credentials_uri: CredentialsUriConfig,
}

/// The embedded roles: the demo role (every alikafka action; trusted by the demo account and
/// the demo OIDC provider) and a read-only one (trusted by the demo account).
pub fn demo_roles() -> Vec<RoleConfig> {
    vec![
        RoleConfig {
            arn: DEMO_ROLE_ARN.to_string(),
            actions: vec!["alikafka:*".to_string()],
            trusted_accounts: vec![DEMO_ACCOUNT_ID.to_string()],
            trusted_oidc_providers: vec![DEMO_OIDC_PROVIDER_ARN.to_string()],
            max_session_duration: DEFAULT_MAX_SESSION_DURATION,
        },
        RoleConfig {
            arn: DEMO_READONLY_ROLE_ARN.to_string(),
            // What AliyunKafkaReadOnlyAccess grants: the List and Get (and Describe) actions.
            actions: vec![
                "alikafka:List*".to_string(),
                "alikafka:Get*".to_string(),
                "alikafka:Describe*".to_string(),
                "alikafka:ReadOnly".to_string(),
            ],
            trusted_accounts: vec![DEMO_ACCOUNT_ID.to_string()],
            trusted_oidc_providers: Vec::new(),
            max_session_duration: DEFAULT_MAX_SESSION_DURATION,
        },
    ]
}

/// The embedded OIDC provider (its signing key is made at start-up).
pub fn demo_oidc_providers() -> Vec<OidcProviderConfig> {
    vec![OidcProviderConfig {
        arn: DEMO_OIDC_PROVIDER_ARN.to_string(),
        issuer_url: DEMO_OIDC_ISSUER.to_string(),
        client_ids: vec![DEMO_OIDC_CLIENT_ID.to_string()],
        jwks: None,
    }]
}

/// `acs:ram::<account>:<kind><name>` split into account and name.
pub fn parse_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix(kind)?;
    let valid_account = !account.is_empty() && account.chars().all(|c| c.is_ascii_digit());
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    (valid_account && valid_name).then_some((account, name))
}

/// Checks roles and providers: well-formed ARNs, no duplicates, known trusted providers.
pub fn validate(
    roles: &[RoleConfig],
    providers: &[OidcProviderConfig],
    sts: &StsConfig,
) -> Result<(), String> {
    let mut arns = HashSet::new();
    for provider in providers {
        if provider.parts().is_none() {
            return Err(format!(
                "OIDC provider {:?} is not an ARN of the form acs:ram::<account-id>:oidc-provider/<name>",
                provider.arn
            ));
        }
        if !arns.insert(provider.arn.to_ascii_lowercase()) {
            return Err(format!("duplicate OIDC provider {}", provider.arn));
        }
        if provider.issuer_url.trim().is_empty() || provider.client_ids.is_empty() {
            return Err(format!(
                "OIDC provider {} needs an issuer_url and at least one client_id",
                provider.arn
            ));
        }
        if let Some(jwks) = &provider.jwks {
            if serde_json::from_str::<jsonwebtoken::jwk::JwkSet>(jwks).is_err() {
                return Err(format!(
                    "OIDC provider {}: jwks is not a JWKS document",
                    provider.arn
                ));
            }
        }
    }
    for role in roles {
        if role.parts().is_none() {
            return Err(format!(
                "role {:?} is not an ARN of the form acs:ram::<account-id>:role/<name>",
                role.arn
            ));
        }
        if !arns.insert(role.arn.to_ascii_lowercase()) {
            return Err(format!("duplicate role {}", role.arn));
        }
        if !(DEFAULT_MAX_SESSION_DURATION..=MAX_MAX_SESSION_DURATION)
            .contains(&role.max_session_duration)
        {
            return Err(format!(
                "role {}: max_session_duration must be from 3600 to 43200",
                role.arn
            ));
        }
        for trusted in &role.trusted_oidc_providers {
            if !providers
                .iter()
                .any(|p| p.arn.eq_ignore_ascii_case(trusted))
            {
                return Err(format!(
                    "role {} trusts unknown OIDC provider {trusted}",
                    role.arn
                ));
            }
        }
    }
    for (what, arn) in [
        ("ecs_metadata", &sts.ecs_metadata.role_arn),
        ("credentials_uri", &sts.credentials_uri.role_arn),
    ] {
        if !roles.iter().any(|r| r.arn.eq_ignore_ascii_case(arn)) {
            return Err(format!(
                "sts.{what}.role_arn {arn} is not a configured role"
            ));
        }
    }
    if sts.credential_lifetime_seconds == Some(0) {
        return Err("sts.credential_lifetime_seconds must be at least 1".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_parsed_strictly() {
        assert_eq!(
            parse_arn(DEMO_ROLE_ARN, "role/"),
            Some(("1000000000000000", "emulator-demo-role"))
        );
        assert_eq!(
            parse_arn(DEMO_OIDC_PROVIDER_ARN, "oidc-provider/"),
            Some(("1000000000000000", "emulator-demo-oidc"))
        );
        for bad in [
            "acs:ram::abc:role/x",
            "acs:ram::1:user/x",
            "acs:ram::1:role/",
            "arn:aws:iam::1:role/x",
            "acs:ram::1:role/a b",
        ] {
            assert_eq!(parse_arn(bad, "role/"), None, "{bad}");
        }
    }

    #[test]
    fn the_embedded_default_is_valid() {
        validate(&demo_roles(), &demo_oidc_providers(), &StsConfig::default()).unwrap();
    }

    #[test]
    fn validation_names_the_problem() {
        let mut roles = demo_roles();
        roles[0].trusted_oidc_providers = vec!["acs:ram::1:oidc-provider/nope".into()];
        let err = validate(&roles, &demo_oidc_providers(), &StsConfig::default()).unwrap_err();
        assert!(err.contains("unknown OIDC provider"), "{err}");
        let mut roles = demo_roles();
        roles[1].max_session_duration = 100;
        assert!(validate(&roles, &demo_oidc_providers(), &StsConfig::default()).is_err());
        let sts = StsConfig {
            credential_lifetime_seconds: Some(0),
            ..StsConfig::default()
        };
        assert!(validate(&demo_roles(), &demo_oidc_providers(), &sts).is_err());
        let mut providers = demo_oidc_providers();
        providers[0].jwks = Some("not json".into());
        assert!(validate(&demo_roles(), &providers, &StsConfig::default()).is_err());
    }
}
