//! The alikafka management API client: signing, credentials, transport, retries, rate
//! limiting and typed actions. Knows nothing of Terraform.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use alikafka::api::{
//!     process_env, resolve, Client, ClientConfig, ConfigInputs, CredentialsProvider,
//!     FetchSettings, GetTopicListRequest,
//! };
//! let resolved = resolve(&ConfigInputs::default(), &process_env)?;
//! let config = ClientConfig { endpoint: resolved.endpoint.clone(), ..ClientConfig::new(resolved.region.clone()) };
//! // Static keys are used as they are; roles, OIDC and the ECS metadata service are
//! // fetched once for the process and refreshed before they expire.
//! let credentials = CredentialsProvider::shared(
//!     resolved.source,
//!     resolved.credentials_source,
//!     FetchSettings::default(),
//! )?;
//! let client = Client::with_credentials(config, credentials)?;
//! let req = GetTopicListRequest { instance_id: "alikafka_post-cn-emulator01".into(), ..Default::default() };
//! let topics = client.get_all_topics(&req, None).await?;
//! # Ok(()) }
//! ```

pub mod actions;
mod backoff;
mod client;
mod config;
mod credentials;
mod endpoint;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod lenient;

pub mod ratelimit;
mod secret;
pub mod signing;

pub use actions::*;
pub use backoff::Backoff;
pub use client::{Client, ClientStats, SendHook};
pub use config::{ClientConfig, ConfigError, RateLimits};
pub use credentials::{
    process_env, resolve, resolve_with, AssumeRoleInputs, AssumeRoleSpec, ConfigInputs,
    Credentials, CredentialsError, CredentialsProvider, EcsSpec, FetchSettings, OidcInputs,
    OidcSpec, OidcToken, ResolvedConfig, Source, StsEndpoint, ECS_METADATA_ENDPOINT_ENV,
};
pub use error::{classify, codes, sanitized_prefix, ApiError, ErrorKind};
pub use ratelimit::RateLimitSharing;
pub use secret::SecretString;
