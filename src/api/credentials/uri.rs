//! Credentials from a credentials URI: `GET <uri>`, no authentication, answered with
//! `{Code: "Success", AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`.

use serde::Deserialize;

use super::provider::{CredentialsError, Fetched};
use super::sts::{transport_error, Context, CredentialsBody};
use crate::api::client::Redactor;
use crate::api::error::codes;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UriAnswer {
    code: Option<String>,
    #[serde(flatten)]
    credentials: CredentialsBody,
}

/// The URI without user info, query or fragment: those may carry a secret.
pub(crate) fn shown(uri: &str) -> String {
    match reqwest::Url::parse(uri) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

pub(crate) async fn fetch(context: &Context<'_>, uri: &str) -> Result<Fetched, CredentialsError> {
    let url = reqwest::Url::parse(uri).map_err(|e| {
        (context.fail)(
            "InvalidCredentialsUri",
            format!("{} is not a URL: {e}", shown(uri)),
        )
    })?;
    let redactor = Redactor::from_secrets(&url.query().into_iter().collect::<Vec<_>>());
    let response = context
        .http
        .get(url)
        .send()
        .await
        .map_err(|e| transport_error(context, e, &redactor))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport_error(context, e, &redactor))?;
    let fail = |code: &str, message: String| {
        let mut error = (context.fail)(code, message);
        error.http_status = Some(status);
        error
    };
    if status != 200 {
        return Err(fail(
            "CredentialsUriError",
            format!("{} answered HTTP {status}", shown(uri)),
        ));
    }
    let answer: UriAnswer = serde_json::from_slice(&body).map_err(|_| {
        fail(
            codes::MALFORMED_RESPONSE,
            format!("the answer of {} is not JSON", shown(uri)),
        )
    })?;
    if answer.code.as_deref() != Some("Success") {
        return Err(fail(
            "CredentialsUriError",
            format!(
                "{} answered Code {:?}",
                shown(uri),
                redactor.redact(answer.code.as_deref().unwrap_or("(none)"))
            ),
        ));
    }
    answer.credentials.into_fetched().map_err(|field| {
        fail(
            codes::UNEXPECTED_RESPONSE,
            format!("the answer of {} lacks a valid {field}", shown(uri)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_uris_hide_what_may_be_secret() {
        assert_eq!(
            shown("http://user:pw@127.0.0.1:8080/creds?token=abc#x"),
            "http://127.0.0.1:8080/creds"
        );
        assert_eq!(shown("nonsense"), "(not a URL)");
    }
}
