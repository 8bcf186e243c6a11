//! Credentials of the ECS instance's RAM role, from the instance metadata service: hardened
//! mode first (a session token from `PUT /latest/api/token`, sent with every request), then,
//! unless `ALIBABA_CLOUD_IMDSV1_DISABLED` is set, the same requests without a token — as
//! Alibaba's credentials library does.

use serde::Deserialize;

use super::provider::{CredentialsError, Fetched};
use super::source::EcsSpec;
use super::sts::{transport_error, Context, CredentialsBody};
use crate::api::client::Redactor;

const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
/// The longest session token the service gives (6 hours), as the library asks.
const TOKEN_TTL_SECONDS: &str = "21600";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetadataAnswer {
    code: Option<String>,
    #[serde(flatten)]
    credentials: CredentialsBody,
}

pub(crate) async fn fetch(
    context: &Context<'_>,
    spec: &EcsSpec,
) -> Result<Fetched, CredentialsError> {
    let base = spec.endpoint.trim_end_matches('/');
    let no_secrets = Redactor::from_secrets(&[]);
    let token = match session_token(context, base).await {
        Ok(token) => Some(token),
        Err(error) if spec.imds_v1_disabled => return Err(error),
        Err(error) => {
            tracing::debug!(
                target: "alikafka::api::credentials",
                code = %error.code,
                "no metadata session token; asking without one"
            );
            None
        }
    };
    let role = match &spec.role_name {
        Some(role) => role.clone(),
        None => {
            let listed = with_fallback(context, spec, token.as_deref(), |t| {
                get(context, format!("{base}{CREDENTIALS_PATH}"), t)
            })
            .await?;
            let role = listed.lines().next().unwrap_or_default().trim().to_owned();
            if role.is_empty() {
                return Err((context.fail)(
                    "EcsRoleNotFound",
                    "the instance has no RAM role attached".to_owned(),
                ));
            }
            role
        }
    };
    let body = with_fallback(context, spec, token.as_deref(), |t| {
        get(context, format!("{base}{CREDENTIALS_PATH}{role}"), t)
    })
    .await?;
    let answer: MetadataAnswer = serde_json::from_str(&body).map_err(|_| {
        (context.fail)(
            crate::api::error::codes::MALFORMED_RESPONSE,
            format!("the credentials of role {role} are not JSON"),
        )
    })?;
    if answer.code.as_deref() != Some("Success") {
        return Err((context.fail)(
            "EcsMetadataError",
            format!(
                "the metadata service answered Code {:?} for role {role}",
                no_secrets.redact(answer.code.as_deref().unwrap_or("(none)"))
            ),
        ));
    }
    answer.credentials.into_fetched().map_err(|field| {
        (context.fail)(
            crate::api::error::codes::UNEXPECTED_RESPONSE,
            format!("the credentials of role {role} lack a valid {field}"),
        )
    })
}

/// Runs `request` with the token; if that fails and a tokenless request is allowed, again
/// without it.
async fn with_fallback<'t, F, Fut>(
    _context: &Context<'_>,
    spec: &EcsSpec,
    token: Option<&'t str>,
    request: F,
) -> Result<String, CredentialsError>
where
    F: Fn(Option<&'t str>) -> Fut,
    Fut: std::future::Future<Output = Result<String, CredentialsError>>,
{
    match request(token).await {
        Err(_) if token.is_some() && !spec.imds_v1_disabled => request(None).await,
        outcome => outcome,
    }
}

async fn session_token(context: &Context<'_>, base: &str) -> Result<String, CredentialsError> {
    let response = context
        .http
        .put(format!("{base}{TOKEN_PATH}"))
        .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS)
        .send()
        .await
        .map_err(|e| transport_error(context, e, &Redactor::from_secrets(&[])))?;
    read_ok(context, response, "a metadata session token").await
}

async fn get(
    context: &Context<'_>,
    url: String,
    token: Option<&str>,
) -> Result<String, CredentialsError> {
    let mut request = context.http.get(url);
    if let Some(token) = token {
        request = request.header(TOKEN_HEADER, token);
    }
    let redactor = Redactor::from_secrets(&token.into_iter().collect::<Vec<_>>());
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(context, e, &redactor))?;
    read_ok(context, response, "the role's credentials").await
}

async fn read_ok(
    context: &Context<'_>,
    response: reqwest::Response,
    what: &str,
) -> Result<String, CredentialsError> {
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| transport_error(context, e, &Redactor::from_secrets(&[])))?;
    if status == 200 {
        Ok(text)
    } else {
        let mut error = (context.fail)(
            "EcsMetadataError",
            format!("the metadata service did not give {what}"),
        );
        error.http_status = Some(status);
        Err(error)
    }
}
