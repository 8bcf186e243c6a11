//! `alikafka-emulator`: a local stand-in for the alikafka management API (signatures,
//! errors, rate limits, eventual consistency), persistent in SQLite, with a control API.
//!
//! Layout: [`config`] and [`cli`] build an [`EmulatorConfig`]; [`server`] accepts HTTP and
//! hands API calls to [`server::gateway`] (parameters, [`auth`], [`limits`], [`faults`],
//! [`actions`], [`response`]) and `/_emulator/*` to [`control`]; [`storage`] keeps state;
//! [`kafka`] gives every instance a Kafka listener on the same state.
//! [`sts`] is the Security Token Service beside alikafka, with its ECS metadata and
//! credentials-URI stand-ins.
//!
//! In-process use:
//! ```no_run
//! # async fn demo() -> Result<(), alikafka::emulator::ServeError> {
//! use alikafka::emulator::{config::{DataLocation, EmulatorConfig}, server};
//! let mut config = EmulatorConfig::embedded(DataLocation::Memory);
//! config.listen = "127.0.0.1:0".into();
//! let listener = server::bind(&config).await?;
//! server::run(config, listener, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

pub mod actions;
pub mod auth;
pub mod cli;
pub mod config;
pub mod control;
pub mod errors;
pub mod faults;
pub mod kafka;
pub mod limits;
pub mod metrics;
pub mod params;
pub mod response;
pub mod server;
pub mod state;
pub mod storage;
pub mod sts;

pub use config::EmulatorConfig;
pub use server::{bind, run, serve, ServeError};
