//! Targets: the emulator's request parsing (`params::decode_urlencoded`), its signature
//! verification (V1 parameters and V3 `Authorization` header, called directly with a fixed
//! clock), and the whole gateway through the axum router in-process (`oneshot`).
//!
//! Inputs are raw HTTP requests: `METHOD target HTTP/1.1`, header lines, a blank line, the
//! body. Signatures are checked against the independent signers of `emulator_support`.

mod auth;
mod params;
mod request;
mod router;
mod tamper;

use alikafka::emulator::config::{AccountConfig, Secret};

pub use auth::run as run_auth;
pub use params::run as run_params;
pub use router::run as run_router;
pub use tamper::run as run_tamper;

pub(crate) const NOW_MS: i64 = 1_700_000_000_000;
pub(crate) const NOW_TEXT: &str = "2023-11-14T22:13:20Z";
pub(crate) const DEMO_AK: &str = "emulator-demo-ak";
pub(crate) const DEMO_SK: &str = "emulator-demo-sk";
pub(crate) const STS_AK: &str = "STS.fuzz-ak";
pub(crate) const STS_SK: &str = "fuzz-sts-secret/+=";
pub(crate) const STS_TOKEN: &str = "CAIS-fuzz-sts-token/+=:value";
pub(crate) const INSTANCE: &str = "alikafka_post-cn-emulator01";

pub(crate) fn accounts() -> Vec<AccountConfig> {
    let account =
        |ak: &str, sk: &str, token: Option<&str>, expires: Option<&str>, disabled| AccountConfig {
            access_key_id: ak.into(),
            access_key_secret: Secret::new(sk),
            security_token: token.map(Secret::new),
            security_token_expires_at: expires.map(Into::into),
            disabled,
            account_id: None,
        };
    vec![
        account(DEMO_AK, DEMO_SK, None, None, false),
        account(
            STS_AK,
            STS_SK,
            Some(STS_TOKEN),
            Some("2030-01-01T00:00:00Z"),
            false,
        ),
        account(
            "STS.expired",
            "x-secret",
            Some("old-token"),
            Some("2020-01-01T00:00:00Z"),
            false,
        ),
        account("disabled-ak", "x-secret", None, None, true),
    ]
}

pub(crate) fn secret_of(ak: &str) -> Option<&'static str> {
    match ak {
        DEMO_AK => Some(DEMO_SK),
        STS_AK => Some(STS_SK),
        _ => None,
    }
}
