//! Entry points for the in-tree fuzz harness (`tests/fuzz`): the private parsers of
//! outside input, reachable without a network. Not part of the supported API.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::client::{interpret, retry_after, Quoting, Redactor};
use super::credentials::profile::ProfileFile;
use super::credentials::Credentials;
use super::error::ApiError;

/// The parsed response with its RequestId, or the error.
pub type Interpreted<R> = Result<(R, Option<String>), ApiError>;

/// What the client makes of one HTTP answer: the response (with its RequestId) or the
/// error, exactly as [`Client::call`](super::Client::call) would see it, plus the
/// server's retry hint. `signature` is the request's signature, redacted like the secrets.
pub fn interpret_response<R: DeserializeOwned>(
    action: &'static str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    credentials: &Credentials,
    signature: &str,
) -> (Interpreted<R>, Option<Duration>) {
    let redactor = Redactor::new(credentials, signature);
    (
        interpret::<R>(action, status, body, &redactor, Quoting::Allowed),
        retry_after(headers),
    )
}

/// [`interpret_response`] for an action whose answers carry secrets (DescribeSaslUsers):
/// no error may quote anything of the body.
pub fn interpret_secret_response<R: DeserializeOwned>(
    action: &'static str,
    status: u16,
    body: &[u8],
    credentials: &Credentials,
    signature: &str,
) -> Interpreted<R> {
    let redactor = Redactor::new(credentials, signature);
    interpret::<R>(action, status, body, &redactor, Quoting::Withheld)
}

/// A profile file as the credentials resolver reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedProfiles {
    pub current: Option<String>,
    /// Profile names in file order.
    pub names: Vec<String>,
    /// The parsed file's `Debug` form (which must not show secrets).
    pub debug: String,
}

/// Parses the text of an aliyun CLI profile file (`~/.aliyun/config.json`).
pub fn parse_profile_file(text: &str) -> Result<ParsedProfiles, String> {
    let file = ProfileFile::parse(text)?;
    Ok(ParsedProfiles {
        current: file.current.clone(),
        names: file.profiles.iter().map(|p| p.name.clone()).collect(),
        debug: format!("{file:?}"),
    })
}
