//! Where credentials come from, once resolution has chosen: fixed keys, or a way to obtain
//! temporary ones (assume a role on top of other credentials, exchange an OIDC token, ask the
//! ECS metadata service or a credentials URI).

use std::fmt;
use std::path::PathBuf;

use super::Credentials;
use crate::api::secret::SecretString;

/// The default session name of an assumed role, as the alicloud provider sets it.
pub const DEFAULT_SESSION_NAME: &str = "terraform";
/// STS's default session duration.
pub const DEFAULT_SESSION_SECONDS: i64 = 3600;
/// The ECS instance metadata service.
pub const ECS_METADATA_ENDPOINT: &str = "http://100.100.100.200";

/// A resolved credentials source.
#[derive(Clone, PartialEq, Eq)]
pub enum Source {
    /// An AccessKey pair, with an STS token for temporary keys: used as is.
    Static(Credentials),
    /// `AssumeRole` signed with the credentials of `base`.
    AssumeRole {
        base: Box<Source>,
        role: AssumeRoleSpec,
    },
    /// `AssumeRoleWithOIDC` (unsigned: the token is the proof).
    Oidc(OidcSpec),
    /// The ECS instance metadata service.
    EcsRole(EcsSpec),
    /// A local HTTP endpoint that answers with credentials.
    CredentialsUri { uri: String },
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Static(c) => f.debug_tuple("Static").field(c).finish(),
            Source::AssumeRole { base, role } => f
                .debug_struct("AssumeRole")
                .field("base", base)
                .field("role", role)
                .finish(),
            Source::Oidc(spec) => f.debug_tuple("Oidc").field(spec).finish(),
            Source::EcsRole(spec) => f.debug_tuple("EcsRole").field(spec).finish(),
            Source::CredentialsUri { uri } => f
                .debug_struct("CredentialsUri")
                .field("uri", &super::uri::shown(uri))
                .finish(),
        }
    }
}

impl Source {
    /// The keys, when they are fixed ones.
    pub fn as_static(&self) -> Option<&Credentials> {
        match self {
            Source::Static(c) => Some(c),
            _ => None,
        }
    }

    /// The role the final credentials belong to, when there is one to name.
    pub fn role(&self) -> Option<String> {
        match self {
            Source::Static(_) | Source::CredentialsUri { .. } => None,
            Source::AssumeRole { role, .. } => Some(role.role_arn.clone()),
            Source::Oidc(spec) => Some(spec.role_arn.clone()),
            Source::EcsRole(spec) => spec.role_name.clone(),
        }
    }

    /// The kind of source, for messages: `AssumeRole`, `AssumeRoleWithOIDC`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Static(c) if c.security_token.is_some() => "STS token",
            Source::Static(_) => "AccessKey",
            Source::AssumeRole { .. } => "AssumeRole",
            Source::Oidc(_) => "AssumeRoleWithOIDC",
            Source::EcsRole(_) => "ECS instance RAM role",
            Source::CredentialsUri { .. } => "credentials URI",
        }
    }
}

/// Which STS endpoint to call: explicit, else chosen by region as Alibaba's credentials
/// library chooses (`sts[-vpc].<region>.aliyuncs.com`, else `sts.aliyuncs.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsEndpoint {
    pub explicit: Option<String>,
    pub region: Option<String>,
    pub vpc: bool,
}

impl StsEndpoint {
    /// `scheme://host[:port]` or a bare host (HTTPS).
    pub fn address(&self) -> String {
        if let Some(explicit) = &self.explicit {
            return explicit.clone();
        }
        let prefix = if self.vpc { "sts-vpc" } else { "sts" };
        match &self.region {
            Some(region) => format!("{prefix}.{region}.aliyuncs.com"),
            None => "sts.aliyuncs.com".to_owned(),
        }
    }
}

/// The role part of an AssumeRole call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleSpec {
    pub role_arn: String,
    pub session_name: String,
    pub policy: Option<String>,
    pub duration_seconds: i64,
    pub external_id: Option<String>,
    pub sts: StsEndpoint,
}

/// Where the OIDC token comes from: a file is read again at every refresh (ACK rotates it).
#[derive(Clone, PartialEq, Eq)]
pub enum OidcToken {
    Inline(SecretString),
    File(PathBuf),
}

impl fmt::Debug for OidcToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OidcToken::Inline(_) => f.write_str("Inline(***)"),
            OidcToken::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSpec {
    pub provider_arn: String,
    pub role_arn: String,
    pub token: OidcToken,
    pub session_name: String,
    pub policy: Option<String>,
    pub duration_seconds: i64,
    pub sts: StsEndpoint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsSpec {
    /// `None`: ask the metadata service for the instance's role.
    pub role_name: Option<String>,
    /// `scheme://host[:port]` of the metadata service.
    pub endpoint: String,
    /// Never fall back to requests without a session token (`ALIBABA_CLOUD_IMDSV1_DISABLED`).
    pub imds_v1_disabled: bool,
}
