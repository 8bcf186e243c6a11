//! The Security Token Service (product `sts`, API version 2015-04-01) on the same server as
//! alikafka: AssumeRole (signed), AssumeRoleWithOIDC (anonymous: the token is the proof) and
//! GetCallerIdentity; the roles, OIDC providers and issued sessions they use; RAM
//! authorization of role sessions ([`ram`]); and the ECS metadata and credentials-URI
//! stand-ins ([`standins`]).

pub mod config;
pub mod control;
pub mod oidc;
pub mod ram;
pub mod sessions;
pub mod standins;

use std::sync::{Arc, OnceLock};

use serde::Serialize;

use super::auth::{Principal, SignedRequest};
use super::config::{AccountConfig, EmulatorConfig};
use super::errors::ApiError;
use super::params::{ParamMap, Params};
use super::response::Node;
use config::{RoleConfig, StsConfig, DEFAULT_DURATION_SECONDS, MIN_DURATION_SECONDS};
use oidc::OidcProvider;
use ram::{Permissions, SessionPolicy};
use sessions::{format_time, new_credentials, Origin, Session, Sessions};

/// The STS API version; requests with it go to this module.
pub const API_VERSION: &str = "2015-04-01";
/// The longest Policy STS accepts.
const MAX_POLICY_CHARS: usize = 2048;

/// Where the stand-ins listen, once they are bound.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StandinUrls {
    pub ecs_metadata: String,
    pub credentials_uri: String,
}

/// STS state shared by all requests.
pub struct Sts {
    pub config: StsConfig,
    pub roles: Vec<RoleConfig>,
    pub providers: Vec<OidcProvider>,
    pub sessions: Arc<Sessions>,
    /// (account ID, AccessKeyId) of configured accounts, for tenancy of role sessions.
    account_keys: Vec<(String, String)>,
    urls: OnceLock<StandinUrls>,
}

/// A set of temporary credentials just issued.
pub struct Issued {
    pub session: Arc<Session>,
}

impl Issued {
    /// `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`.
    pub fn credentials_node(&self) -> Node {
        let s = &self.session;
        Node::Obj(vec![
            ("AccessKeyId", Node::str(&s.access_key_id)),
            ("AccessKeySecret", Node::str(s.secret.expose())),
            ("SecurityToken", Node::str(s.token.expose())),
            ("Expiration", Node::str(format_time(s.expires_at_ms))),
        ])
    }
}

impl Sts {
    pub fn new(config: &EmulatorConfig) -> Sts {
        let providers = config
            .oidc_providers
            .iter()
            .filter_map(|p| match OidcProvider::new(p.clone()) {
                Ok(provider) => Some(provider),
                Err(error) => {
                    // Validation rejects such providers before the emulator starts.
                    tracing::error!(%error, "OIDC provider left out");
                    None
                }
            })
            .collect();
        Sts {
            config: config.sts.clone(),
            roles: config.roles.clone(),
            providers,
            sessions: Arc::default(),
            account_keys: account_keys(&config.accounts),
            urls: OnceLock::new(),
        }
    }

    pub fn set_urls(&self, urls: StandinUrls) {
        let _ = self.urls.set(urls);
    }

    pub fn urls(&self) -> Option<&StandinUrls> {
        self.urls.get()
    }

    pub fn role(&self, arn: &str) -> Option<&RoleConfig> {
        self.roles.iter().find(|r| r.arn.eq_ignore_ascii_case(arn))
    }

    pub fn provider(&self, arn_or_name: &str) -> Option<&OidcProvider> {
        self.providers
            .iter()
            .find(|p| p.config.arn.eq_ignore_ascii_case(arn_or_name) || p.name() == arn_or_name)
    }

    /// The key that owns the role's account's instances.
    fn tenant_of(&self, account_id: &str) -> String {
        self.account_keys
            .iter()
            .find(|(id, _)| id == account_id)
            .map(|(_, key)| key.clone())
            .unwrap_or_else(|| format!("acs:ram::{account_id}:root"))
    }

    /// Issues credentials of `role` for `duration_s` (cut to the configured lifetime).
    pub fn issue(
        &self,
        role: &RoleConfig,
        session_name: &str,
        duration_s: i64,
        policy: Option<SessionPolicy>,
        origin: Origin,
        now_ms: i64,
    ) -> Issued {
        let (account_id, role_name) = role.parts().unwrap_or_default();
        let lifetime_s = match self.config.credential_lifetime_seconds {
            Some(cap) => duration_s.min(i64::try_from(cap).unwrap_or(i64::MAX)),
            None => duration_s,
        };
        // Second precision, like the Expiration the client sees.
        let expires_at_ms = (now_ms / 1000 + lifetime_s) * 1000;
        let (access_key_id, secret, token) = new_credentials();
        let session = self.sessions.insert(
            Session {
                access_key_id,
                secret,
                token,
                expires_at_ms,
                role_arn: role.arn.clone(),
                role_name: role_name.to_string(),
                session_name: session_name.to_string(),
                account_id: account_id.to_string(),
                tenant: self.tenant_of(account_id),
                permissions: Permissions {
                    role_actions: role.actions.clone(),
                    policy,
                },
                origin,
                issued_at_ms: now_ms,
            },
            now_ms,
        );
        tracing::info!(role = %role.arn, session = session_name, ?origin, lifetime_s, "issued temporary credentials");
        Issued { session }
    }
}

fn account_keys(accounts: &[AccountConfig]) -> Vec<(String, String)> {
    accounts
        .iter()
        .filter(|a| a.security_token.is_none() && !a.disabled)
        .filter_map(|a| Some((a.account_id.clone()?, a.access_key_id.clone())))
        .collect()
}

/// Handles an STS action: authentication (none for AssumeRoleWithOIDC), then the action.
/// Returns the answer's fields after RequestId.
pub fn call(
    sts: &Sts,
    auth: &super::auth::Authenticator,
    action: &str,
    signed: &SignedRequest<'_>,
    params: &ParamMap,
    now_ms: i64,
) -> Result<Vec<(&'static str, Node)>, ApiError> {
    let p = Params::new(params);
    match action {
        "AssumeRole" => {
            let caller = auth.authenticate_principal(signed, now_ms)?;
            assume_role(sts, &caller, &p, now_ms)
        }
        "AssumeRoleWithOIDC" => assume_role_with_oidc(sts, &p, now_ms),
        "GetCallerIdentity" => {
            let caller = auth.authenticate_principal(signed, now_ms)?;
            Ok(caller_identity(&caller))
        }
        _ => Err(ApiError::invalid_action()),
    }
}

/// RoleSessionName: 2 to 64 of letters, digits and `.@_-`.
fn check_session_name(name: &str) -> Result<(), ApiError> {
    let valid = (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::new(
            "InvalidParameter.RoleSessionName",
            400,
            "The parameter RoleSessionName is wrongly formed.",
        ))
    }
}

fn duration(p: &Params<'_>, role: &RoleConfig) -> Result<i64, ApiError> {
    let out_of_range = || {
        ApiError::new(
            "InvalidParameter.DurationSeconds",
            400,
            format!(
                "The Min/Max value of DurationSeconds is 15min/{}s.",
                role.max_session_duration
            ),
        )
    };
    let seconds = match p.optional("DurationSeconds") {
        None => return Ok(DEFAULT_DURATION_SECONDS.min(role.max_session_duration)),
        Some(text) => text.trim().parse::<i64>().map_err(|_| out_of_range())?,
    };
    if (MIN_DURATION_SECONDS..=role.max_session_duration).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(out_of_range())
    }
}

fn policy(p: &Params<'_>) -> Result<Option<SessionPolicy>, ApiError> {
    match p.optional("Policy") {
        None => Ok(None),
        Some(text) if text.chars().count() > MAX_POLICY_CHARS => Err(ApiError::new(
            "InvalidParameter.PolicyGrammar",
            400,
            "The parameter Policy is longer than 2048 characters.",
        )),
        Some(text) => SessionPolicy::parse(text).map(Some),
    }
}

fn find_role<'a>(sts: &'a Sts, p: &Params<'_>) -> Result<&'a RoleConfig, ApiError> {
    let arn = p.required("RoleArn")?;
    if config::parse_arn(arn, "role/").is_none() {
        return Err(ApiError::new(
            "InvalidParameter.RoleArn",
            400,
            "The parameter RoleArn is wrongly formed.",
        ));
    }
    sts.role(arn).ok_or_else(|| {
        ApiError::new(
            "EntityNotExist.Role",
            404,
            format!("The role not exists: {arn}."),
        )
    })
}

fn assumed_role_user(session: &Session) -> Node {
    Node::Obj(vec![
        (
            "Arn",
            Node::str(format!(
                "acs:ram::{}:role/{}/{}",
                session.account_id, session.role_name, session.session_name
            )),
        ),
        (
            "AssumedRoleId",
            Node::str(format!(
                "3{}:{}",
                &session.access_key_id[4..20],
                session.session_name
            )),
        ),
    ])
}

fn assume_role(
    sts: &Sts,
    caller: &Principal,
    p: &Params<'_>,
    now_ms: i64,
) -> Result<Vec<(&'static str, Node)>, ApiError> {
    let role = find_role(sts, p)?;
    let session_name = p.required("RoleSessionName")?;
    check_session_name(session_name)?;
    let duration_s = duration(p, role)?;
    let policy = policy(p)?;
    if let Some(external_id) = p.optional("ExternalId") {
        if !(2..=1224).contains(&external_id.chars().count()) {
            return Err(ApiError::new(
                "InvalidParameter.ExternalId",
                400,
                "The parameter ExternalId is wrongly formed.",
            ));
        }
    }
    let trusted = caller
        .account_id
        .as_deref()
        .is_some_and(|id| role.trusted_accounts.iter().any(|t| t == id));
    if !trusted {
        return Err(ApiError::new(
            "NoPermission",
            403,
            format!(
                "No permission perform sts:AssumeRole on this Role. Maybe you are not authorized to access this role, or the role {} does not trust {}.",
                role.arn,
                caller.display()
            ),
        ));
    }
    let issued = sts.issue(
        role,
        session_name,
        duration_s,
        policy,
        Origin::AssumeRole,
        now_ms,
    );
    Ok(vec![
        ("AssumedRoleUser", assumed_role_user(&issued.session)),
        ("Credentials", issued.credentials_node()),
    ])
}

fn assume_role_with_oidc(
    sts: &Sts,
    p: &Params<'_>,
    now_ms: i64,
) -> Result<Vec<(&'static str, Node)>, ApiError> {
    let provider_arn = p.required("OIDCProviderArn")?;
    let provider = sts
        .providers
        .iter()
        .find(|prov| prov.config.arn.eq_ignore_ascii_case(provider_arn))
        .ok_or_else(|| {
            ApiError::new(
                "AuthenticationFail.NoPermission",
                401,
                "No such OIDC Provider registered.",
            )
        })?;
    let role = find_role(sts, p)?;
    let token = p.optional("OIDCToken").unwrap_or_default();
    let info = provider.verify(token)?;
    let session_name = p.optional("RoleSessionName").unwrap_or("oidc-session");
    check_session_name(session_name)?;
    let duration_s = duration(p, role)?;
    let policy = policy(p)?;
    let trusts = role
        .trusted_oidc_providers
        .iter()
        .any(|t| t.eq_ignore_ascii_case(&provider.config.arn));
    if !trusts {
        return Err(ApiError::new(
            "AuthenticationFail.NoPermission",
            401,
            "There is no permission",
        ));
    }
    let issued = sts.issue(
        role,
        session_name,
        duration_s,
        policy,
        Origin::AssumeRoleWithOIDC,
        now_ms,
    );
    let token_info = Node::Obj(vec![
        ("Issuer", Node::str(&info.issuer)),
        ("Subject", Node::str(&info.subject)),
        ("ClientIds", Node::str(info.client_ids.join(","))),
        (
            "ExpirationTime",
            Node::str(format_time(info.expires_at * 1000)),
        ),
        (
            "IssuanceTime",
            Node::str(format_time(info.issued_at * 1000)),
        ),
    ]);
    Ok(vec![
        ("AssumedRoleUser", assumed_role_user(&issued.session)),
        ("Credentials", issued.credentials_node()),
        ("OIDCTokenInfo", token_info),
    ])
}

fn caller_identity(caller: &Principal) -> Vec<(&'static str, Node)> {
    let account = caller.account_id.clone().unwrap_or_default();
    match &caller.session {
        Some(session) => vec![
            ("AccountId", Node::str(account)),
            ("Arn", Node::str(session.principal_arn())),
            ("IdentityType", Node::str("AssumedRoleUser")),
            (
                "PrincipalId",
                Node::str(format!(
                    "3{}:{}",
                    &session.access_key_id[4..20],
                    session.session_name
                )),
            ),
            (
                "RoleId",
                Node::str(format!("3{}", &session.access_key_id[4..20])),
            ),
        ],
        None => vec![
            ("AccountId", Node::str(&account)),
            (
                "Arn",
                Node::str(format!("acs:ram::{account}:user/{}", caller.access_key_id)),
            ),
            ("IdentityType", Node::str("RAMUser")),
            ("PrincipalId", Node::str(&caller.access_key_id)),
            ("UserId", Node::str(&caller.access_key_id)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::config::DataLocation;

    fn sts() -> Sts {
        Sts::new(&EmulatorConfig::embedded(DataLocation::Memory))
    }

    fn params(pairs: &[(&str, &str)]) -> ParamMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn demo_caller() -> Principal {
        Principal {
            access_key_id: "emulator-demo-ak".into(),
            tenant: "emulator-demo-ak".into(),
            account_id: Some(config::DEMO_ACCOUNT_ID.into()),
            session: None,
        }
    }

    fn code(result: Result<Vec<(&'static str, Node)>, ApiError>) -> String {
        result.err().map(|e| e.code.to_string()).unwrap_or_default()
    }

    #[test]
    fn assume_role_issues_credentials_of_the_role() {
        let sts = sts();
        let map = params(&[
            ("RoleArn", config::DEMO_READONLY_ROLE_ARN),
            ("RoleSessionName", "ci-run"),
        ]);
        let fields = assume_role(&sts, &demo_caller(), &Params::new(&map), 0).unwrap();
        let Node::Obj(creds) = &fields[1].1 else {
            panic!("credentials object")
        };
        let Node::Str(id) = &creds[0].1 else {
            panic!("id")
        };
        let session = sts.sessions.get(id).expect("stored");
        assert_eq!(session.role_arn, config::DEMO_READONLY_ROLE_ARN);
        assert_eq!(session.tenant, "emulator-demo-ak");
        assert_eq!(session.expires_at_ms, 3600 * 1000);
        assert!(!session.permissions.allows("alikafka:CreateTopic"));
        assert!(session.permissions.allows("alikafka:ListTopic"));
    }

    #[test]
    fn assume_role_errors() {
        let sts = sts();
        let run = |pairs: &[(&str, &str)], caller: &Principal| {
            code(assume_role(&sts, caller, &Params::new(&params(pairs)), 0))
        };
        let ok_role = ("RoleArn", config::DEMO_ROLE_ARN);
        let ok_name = ("RoleSessionName", "ok-name");
        assert_eq!(
            run(
                &[("RoleArn", "acs:ram::1000000000000000:role/nope"), ok_name],
                &demo_caller()
            ),
            "EntityNotExist.Role"
        );
        assert_eq!(
            run(&[("RoleArn", "arn:x"), ok_name], &demo_caller()),
            "InvalidParameter.RoleArn"
        );
        assert_eq!(
            run(&[ok_role, ("RoleSessionName", "a")], &demo_caller()),
            "InvalidParameter.RoleSessionName"
        );
        assert_eq!(
            run(&[ok_role, ("RoleSessionName", "bad name")], &demo_caller()),
            "InvalidParameter.RoleSessionName"
        );
        assert_eq!(
            run(
                &[ok_role, ok_name, ("DurationSeconds", "899")],
                &demo_caller()
            ),
            "InvalidParameter.DurationSeconds"
        );
        assert_eq!(
            run(
                &[ok_role, ok_name, ("DurationSeconds", "3601")],
                &demo_caller()
            ),
            "InvalidParameter.DurationSeconds"
        );
        assert_eq!(
            run(&[ok_role, ok_name, ("Policy", "{")], &demo_caller()),
            "InvalidParameter.PolicyGrammar"
        );
        assert_eq!(run(&[ok_role], &demo_caller()), "MissingParameter");
        let stranger = Principal {
            account_id: Some("2000000000000000".into()),
            ..demo_caller()
        };
        assert_eq!(run(&[ok_role, ok_name], &stranger), "NoPermission");
    }

    #[test]
    fn the_lifetime_cap_shortens_issued_credentials() {
        let mut config = EmulatorConfig::embedded(DataLocation::Memory);
        config.sts.credential_lifetime_seconds = Some(20);
        let sts = Sts::new(&config);
        let role = sts.role(config::DEMO_ROLE_ARN).unwrap().clone();
        let issued = sts.issue(&role, "s1", 3600, None, Origin::AssumeRole, 10_500);
        assert_eq!(issued.session.expires_at_ms, 30_000);
    }

    #[test]
    fn oidc_exchange_checks_provider_token_and_trust() {
        let sts = sts();
        let provider = sts.provider("emulator-demo-oidc").unwrap();
        let now_s = chrono::Utc::now().timestamp();
        let token = provider.mint(&oidc::MintRequest::default(), now_s).unwrap();
        let now_ms = now_s * 1000;
        let run = |pairs: &[(&str, &str)]| {
            assume_role_with_oidc(&sts, &Params::new(&params(pairs)), now_ms)
        };
        let arn = ("OIDCProviderArn", config::DEMO_OIDC_PROVIDER_ARN);
        let fields = run(&[
            arn,
            ("RoleArn", config::DEMO_ROLE_ARN),
            ("OIDCToken", &token),
        ])
        .unwrap();
        assert_eq!(fields[2].0, "OIDCTokenInfo");
        // The read-only role does not trust the provider.
        assert_eq!(
            code(run(&[
                arn,
                ("RoleArn", config::DEMO_READONLY_ROLE_ARN),
                ("OIDCToken", &token)
            ])),
            "AuthenticationFail.NoPermission"
        );
        assert_eq!(
            code(run(&[
                (
                    "OIDCProviderArn",
                    "acs:ram::1000000000000000:oidc-provider/other"
                ),
                ("RoleArn", config::DEMO_ROLE_ARN),
                ("OIDCToken", &token)
            ])),
            "AuthenticationFail.NoPermission"
        );
        assert_eq!(
            code(run(&[arn, ("RoleArn", config::DEMO_ROLE_ARN)])),
            "AuthenticationFail.OIDCToken.Invalid"
        );
    }
}
