//! The alikafka management API client: signing, credentials, transport, retries, rate
//! limiting and typed actions. Knows nothing of Terraform.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use alikafka::api::{resolve, process_env, Client, ClientConfig, ConfigInputs, GetTopicListRequest};
//! let resolved = resolve(&ConfigInputs::default(), &process_env)?;
//! let config = ClientConfig { endpoint: resolved.endpoint.clone(), ..ClientConfig::new(resolved.region.clone()) };
//! let client = Client::new(config, resolved.credentials)?;
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
