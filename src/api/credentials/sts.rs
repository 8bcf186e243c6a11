//! The STS calls behind assumed roles: AssumeRole (V1-signed with the base credentials) and
//! AssumeRoleWithOIDC (unsigned; the token travels in the form body, never in a URL), with
//! retries of passing failures and answers redacted of every secret involved.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::provider::{CredentialsError, FetchSettings, Fetched};
use super::source::{AssumeRoleSpec, OidcSpec, OidcToken, StsEndpoint};
use super::Credentials;
use crate::api::client::Redactor;
use crate::api::endpoint::resolve_endpoint;
use crate::api::error::{classify, codes, sanitized_prefix};
use crate::api::secret::SecretString;
use crate::api::signing::{canonical_query, percent_encode, sign, string_to_sign};

const VERSION: &str = "2015-04-01";
/// Attempts per fetch: passing failures (network, 5xx, throttling) are tried again.
const ATTEMPTS: u32 = 3;
/// Server texts quoted in errors are cut after this many characters.
const QUOTED_CHARS: usize = 300;

/// What a fetch needs from its provider.
pub(crate) struct Context<'a> {
    pub http: &'a reqwest::Client,
    pub settings: &'a FetchSettings,
    /// Builds an error naming the provider's source and role.
    pub fail: &'a (dyn Fn(&str, String) -> CredentialsError + Send + Sync),
}

/// The `Credentials` object of STS, the metadata service and credentials URIs.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CredentialsBody {
    pub access_key_id: Option<String>,
    pub access_key_secret: Option<String>,
    pub security_token: Option<String>,
    pub expiration: Option<String>,
}

impl CredentialsBody {
    /// The credentials, or the name of the first missing field.
    pub fn into_fetched(self) -> Result<Fetched, &'static str> {
        let id = self.access_key_id.ok_or("AccessKeyId")?;
        let secret = self.access_key_secret.ok_or("AccessKeySecret")?;
        let token = self.security_token.ok_or("SecurityToken")?;
        let expiration = match self.expiration {
            Some(text) => Some(
                DateTime::parse_from_rfc3339(text.trim())
                    .map_err(|_| "Expiration")?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        Ok(Fetched {
            credentials: Credentials::new(id, secret, Some(SecretString::from(token))),
            expiration,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsAnswer {
    credentials: Option<CredentialsBody>,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

fn timestamp() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn sts_url(context: &Context<'_>, sts: &StsEndpoint) -> Result<reqwest::Url, CredentialsError> {
    let address = sts.address();
    resolve_endpoint("sts", Some(&address), context.settings.allow_insecure_http)
        .map(|endpoint| endpoint.url)
        .map_err(|e| (context.fail)("InvalidStsEndpoint", e.to_string()))
}

pub(crate) async fn assume_role(
    context: &Context<'_>,
    base: &Credentials,
    role: &AssumeRoleSpec,
) -> Result<Fetched, CredentialsError> {
    let url = sts_url(context, &role.sts)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut params: Vec<(&str, String)> = vec![
            ("AccessKeyId", base.access_key_id.clone()),
            ("Action", "AssumeRole".to_owned()),
            ("DurationSeconds", role.duration_seconds.to_string()),
            ("Format", "JSON".to_owned()),
            ("RoleArn", role.role_arn.clone()),
            ("RoleSessionName", role.session_name.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
            ("SignatureVersion", "1.0".to_owned()),
            ("Timestamp", timestamp()),
            ("Version", VERSION.to_owned()),
        ];
        if let Some(policy) = &role.policy {
            params.push(("Policy", policy.clone()));
        }
        if let Some(external_id) = &role.external_id {
            params.push(("ExternalId", external_id.clone()));
        }
        if let Some(token) = &base.security_token {
            params.push(("SecurityToken", token.expose().to_owned()));
        }
        let canonical = canonical_query(&params);
        let signature = sign(
            base.access_key_secret.expose(),
            &string_to_sign("POST", &canonical),
        );
        let mut secrets = vec![base.access_key_secret.expose(), signature.as_str()];
        if let Some(token) = &base.security_token {
            secrets.push(token.expose());
        }
        let redactor = Redactor::from_secrets(&secrets);
        let mut attempt_url = url.clone();
        attempt_url.set_query(Some(&format!(
            "{canonical}&Signature={}",
            percent_encode(&signature)
        )));
        let request = context.http.post(attempt_url).body("");
        match send(context, request, &redactor).await {
            Err(error) if error.is_transient() && attempt < ATTEMPTS => {
                pause(attempt, &error).await;
            }
            outcome => return outcome,
        }
    }
}

pub(crate) async fn assume_role_with_oidc(
    context: &Context<'_>,
    spec: &OidcSpec,
) -> Result<Fetched, CredentialsError> {
    let url = sts_url(context, &spec.sts)?;
    // A token file is read at every fetch: the platform rotates it.
    let token = match &spec.token {
        OidcToken::Inline(token) => token.clone(),
        OidcToken::File(path) => match std::fs::read_to_string(path) {
            Ok(text) if !text.trim().is_empty() => SecretString::from(text.trim().to_owned()),
            Ok(_) => {
                return Err((context.fail)(
                    "OIDCTokenFileEmpty",
                    format!("the OIDC token file {} is empty", path.display()),
                ))
            }
            Err(e) => {
                return Err((context.fail)(
                    "OIDCTokenFileUnreadable",
                    format!("cannot read the OIDC token file {}: {e}", path.display()),
                ))
            }
        },
    };
    let redactor = Redactor::from_secrets(&[token.expose()]);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut form: Vec<(&str, String)> = vec![
            ("Action", "AssumeRoleWithOIDC".to_owned()),
            ("DurationSeconds", spec.duration_seconds.to_string()),
            ("Format", "JSON".to_owned()),
            ("OIDCProviderArn", spec.provider_arn.clone()),
            ("OIDCToken", token.expose().to_owned()),
            ("RoleArn", spec.role_arn.clone()),
            ("RoleSessionName", spec.session_name.clone()),
            ("Timestamp", timestamp()),
            ("Version", VERSION.to_owned()),
        ];
        if let Some(policy) = &spec.policy {
            form.push(("Policy", policy.clone()));
        }
        let request = context
            .http
            .post(url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(canonical_query(&form));
        match send(context, request, &redactor).await {
            Err(error) if error.is_transient() && attempt < ATTEMPTS => {
                pause(attempt, &error).await;
            }
            outcome => return outcome,
        }
    }
}

async fn pause(attempt: u32, error: &CredentialsError) {
    let delay = Duration::from_millis(300 * u64::from(attempt));
    tracing::info!(
        target: "alikafka::api::credentials",
        code = %error.code,
        attempt,
        delay_ms = delay.as_millis() as u64,
        "retrying the STS call"
    );
    tokio::time::sleep(delay).await;
}

/// Sends one STS request and reads its answer.
async fn send(
    context: &Context<'_>,
    request: reqwest::RequestBuilder,
    redactor: &Redactor,
) -> Result<Fetched, CredentialsError> {
    let response = request
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| transport_error(context, e, redactor))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport_error(context, e, redactor))?;
    let with_status = |mut error: CredentialsError| {
        error.http_status = Some(status);
        error
    };
    let answer: StsAnswer = serde_json::from_slice(&body).map_err(|_| {
        with_status((context.fail)(
            codes::MALFORMED_RESPONSE,
            format!(
                "the answer is not JSON: \"{}\"",
                sanitized_prefix(
                    redactor.redact(&String::from_utf8_lossy(&body)).as_bytes(),
                    120
                )
            ),
        ))
    })?;
    let quote = |text: Option<String>| {
        text.map(|t| sanitized_prefix(redactor.redact(&t).as_bytes(), QUOTED_CHARS))
    };
    let request_id = quote(answer.request_id);
    if status != 200 || answer.credentials.is_none() {
        let code = quote(answer.code).unwrap_or_else(|| codes::UNKNOWN_ERROR.to_owned());
        let message = quote(answer.message).unwrap_or_else(|| "no message".to_owned());
        let mut error = with_status((context.fail)(&code, message));
        error.request_id = request_id.map(String::into_boxed_str);
        return Err(error);
    }
    let body = answer.credentials.ok_or_else(|| {
        with_status((context.fail)(
            codes::UNEXPECTED_RESPONSE,
            "the answer has no Credentials".to_owned(),
        ))
    })?;
    body.into_fetched().map_err(|field| {
        with_status((context.fail)(
            codes::UNEXPECTED_RESPONSE,
            format!("the answer's Credentials lack a valid {field}"),
        ))
    })
}

/// A network failure or timeout, described without the URL (it carries the signature).
pub(crate) fn transport_error(
    context: &Context<'_>,
    error: reqwest::Error,
    redactor: &Redactor,
) -> CredentialsError {
    let timeout = error.is_timeout();
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    let code = if timeout {
        codes::REQUEST_TIMEOUT
    } else {
        codes::NETWORK_ERROR
    };
    debug_assert!(classify(code, None).is_retryable());
    (context.fail)(code, redactor.redact(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_bodies_are_checked_field_by_field() {
        let body: CredentialsBody = serde_json::from_str(
            r#"{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2015-04-09T11:52:19Z"}"#,
        )
        .unwrap();
        let fetched = body.into_fetched().expect("complete");
        assert_eq!(fetched.credentials.access_key_id, "STS.a");
        assert_eq!(
            fetched.expiration.map(|e| e.timestamp()),
            Some(1_428_580_339)
        );
        let partial: CredentialsBody =
            serde_json::from_str(r#"{"AccessKeyId":"STS.a","AccessKeySecret":"s"}"#).unwrap();
        assert_eq!(partial.into_fetched().err(), Some("SecurityToken"));
        let bad_time: CredentialsBody = serde_json::from_str(
            r#"{"AccessKeyId":"a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"soon"}"#,
        )
        .unwrap();
        assert_eq!(bad_time.into_fetched().err(), Some("Expiration"));
    }

    #[test]
    fn endpoints_follow_the_library() {
        let by = |explicit: Option<&str>, region: Option<&str>, vpc| {
            StsEndpoint {
                explicit: explicit.map(str::to_owned),
                region: region.map(str::to_owned),
                vpc,
            }
            .address()
        };
        assert_eq!(by(None, None, false), "sts.aliyuncs.com");
        assert_eq!(by(None, None, true), "sts.aliyuncs.com");
        assert_eq!(
            by(None, Some("cn-hangzhou"), false),
            "sts.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            by(None, Some("cn-hangzhou"), true),
            "sts-vpc.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            by(Some("http://127.0.0.1:9120"), Some("cn-hangzhou"), true),
            "http://127.0.0.1:9120"
        );
    }
}
