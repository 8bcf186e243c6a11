//! The client: signing each attempt, sending it, reading the answer, retrying.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::actions::{Action, Param};
use super::backoff::Backoff;
use super::config::{ClientConfig, ConfigError};
use super::credentials::{Credentials, CredentialsError, CredentialsProvider};
use super::endpoint::{resolve_endpoint, validate_region, Endpoint};
use super::error::{codes, sanitized_prefix, ApiError, ErrorKind};
use super::ratelimit::shared::SharedDir;
use super::ratelimit::{limiter_for, open_sharing, RateLimit, Throttled};
use super::signing::{canonical_query, percent_encode, sign, string_to_sign};

/// Quoted body prefixes are at most this many characters.
const BODY_PREFIX_CHARS: usize = 120;
/// Server-provided texts (message, code, ids) are cut after this many characters.
const SERVER_TEXT_CHARS: usize = 2048;
/// Secrets shorter than this are not searched for in server text (it would mangle it).
const MIN_REDACTED_LEN: usize = 4;
const HTTP_METHOD: &str = "POST";
const RETRY_AFTER_HEADER: &str = "x-acs-retry-after";
/// The gateway's RequestId, also sent when the body is not the service's (an error page).
const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// Counters shared by all clones of one client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Requests sent (first attempts and retries).
    pub attempts: u64,
    /// Retries sent.
    pub retries: u64,
    /// Answers classified as throttling.
    pub throttled: u64,
}

#[derive(Debug, Default)]
struct Counters {
    attempts: AtomicU64,
    retries: Arc<AtomicU64>,
    throttled: AtomicU64,
}

/// Called right before each request goes out (every attempt, after its rate-limit wait).
pub type SendHook = Arc<dyn Fn() + Send + Sync>;

/// The alikafka API client. Cheap to clone (shared state behind an `Arc`); every method
/// is cancel-safe: dropping its future abandons the call.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    on_send: Option<SendHook>,
}

struct Inner {
    config: ClientConfig,
    /// Read at every attempt: temporary credentials are refreshed before they expire.
    credentials: Arc<CredentialsProvider>,
    endpoint: Endpoint,
    http: reqwest::Client,
    backoff: Backoff,
    counters: Counters,
    /// Where rate limits are shared with other processes, if they are.
    rate_limit_dir: Option<Arc<SharedDir>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.display())
            .field("region", &self.inner.config.region)
            .field("credentials", &self.inner.credentials.stable_key())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Validates the region and endpoint and builds the one HTTP client used for all calls.
    pub fn new(config: ClientConfig, credentials: Credentials) -> Result<Client, ConfigError> {
        Client::with_credentials(config, Arc::new(CredentialsProvider::fixed(credentials)))
    }

    /// [`Client::new`] signing with whatever `credentials` hands out at each attempt.
    pub fn with_credentials(
        config: ClientConfig,
        credentials: Arc<CredentialsProvider>,
    ) -> Result<Client, ConfigError> {
        validate_region(&config.region)?;
        let endpoint = resolve_endpoint(
            &config.region,
            config.endpoint.as_deref(),
            config.allow_insecure_http,
        )?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!(
                "terraform-provider-alikafka/",
                env!("CARGO_PKG_VERSION")
            ))
            .default_headers(headers)
            // A redirect would resend the signed query elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        if endpoint.is_loopback {
            // A proxy from the environment must not intercept a local endpoint.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        let rate_limit_dir = open_sharing(&config.rate_limit_sharing).map_err(|reason| {
            ConfigError::RateLimitDirectory {
                path: config.rate_limit_sharing.display(),
                reason,
            }
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                credentials,
                endpoint,
                http,
                backoff: Backoff::default(),
                counters: Counters::default(),
                rate_limit_dir,
            }),
            on_send: None,
        })
    }

    /// This client (same connections, limits and counters), calling `hook` right before
    /// each of its requests goes out: for callers that need to know when a call left,
    /// rather than when it was asked for (it may wait for a rate-limit slot first).
    pub fn with_send_hook(&self, hook: SendHook) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            on_send: Some(hook),
        }
    }

    pub fn region(&self) -> &str {
        &self.inner.config.region
    }

    /// The base URL in use, e.g. `https://alikafka.cn-hangzhou.aliyuncs.com`.
    pub fn endpoint(&self) -> String {
        self.inner.endpoint.display()
    }

    /// Whether requests go out as plain `http://` to a host other than loopback (allowed
    /// only with `allow_insecure_http`): callers may want to warn their user.
    pub fn is_insecure_remote(&self) -> bool {
        self.inner.endpoint.url.scheme() == "http" && !self.inner.endpoint.is_loopback
    }

    /// The credentials the client signs with.
    pub fn credentials(&self) -> &Arc<CredentialsProvider> {
        &self.inner.credentials
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            attempts: c.attempts.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
        }
    }

    /// The live retry counter, for callers that want to watch it.
    pub fn retry_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.inner.counters.retries)
    }

    /// Calls `action`: waits for a rate-limit slot, signs, sends, and retries retryable
    /// failures with backoff, within `max_retries` and the optional `deadline`. When the
    /// next wait would pass the deadline, the last error is returned.
    pub async fn call<A: Action>(
        &self,
        action: &A,
        deadline: Option<Instant>,
    ) -> Result<A::Response, ApiError> {
        self.call_until(action, deadline, None).await
    }

    /// [`Client::call`] that `stop` ends early, but only where that is safe: while waiting
    /// for a rate-limit slot or before a retry, never while a request is on the wire (an
    /// abandoned write may be carried out unseen). A stopped call fails with code
    /// [`codes::CANCELLED`], `outcome_uncertain` set when an earlier attempt may have been
    /// carried out. For writes whose outcome the caller must know.
    pub async fn call_stoppable<A: Action>(
        &self,
        action: &A,
        deadline: Option<Instant>,
        stop: &CancellationToken,
    ) -> Result<A::Response, ApiError> {
        self.call_until(action, deadline, Some(stop)).await
    }

    async fn call_until<A: Action>(
        &self,
        action: &A,
        deadline: Option<Instant>,
        stop: Option<&CancellationToken>,
    ) -> Result<A::Response, ApiError> {
        let name = A::NAME;
        let version = action.version();
        let params = action.params();
        let secrets = action.secret_values();
        let inner = &self.inner;
        let limiter = limiter_for(
            &inner.credentials.stable_key(),
            &inner.config.region,
            inner.endpoint.url.as_str(),
            name,
            inner.rate_limit_dir.as_ref(),
        );
        let limit = inner
            .config
            .rate_limits
            .rate_for(name)
            .and_then(RateLimit::per_second);
        let mut last_error: Option<ApiError> = None;
        let mut attempt: u32 = 0;
        // Temporary credentials the service called expired are fetched again once.
        let mut renewed_expired = false;
        // Whether an attempt so far may have been carried out despite failing.
        let mut uncertain = false;
        loop {
            attempt += 1;
            let give_up = |last: Option<ApiError>, why: &str| {
                let mut error = last.unwrap_or_else(|| deadline_error(name, attempt, why));
                error.outcome_uncertain = uncertain;
                error
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(give_up(last_error, "before the request was sent"));
            }
            // Held until the answer is in: the limiter times the next requests from it.
            let permit = match limit {
                Some(limit) => match unless_stopped(
                    stop,
                    limiter.acquire(limit, deadline, inner.config.request_timeout),
                )
                .await
                {
                    Some(Ok(permit)) => Some(permit),
                    Some(Err(())) => {
                        return Err(give_up(last_error, "before a rate-limit slot was free"))
                    }
                    None => return Err(stopped_error(name, attempt, uncertain)),
                },
                None => None,
            };
            if stop.is_some_and(CancellationToken::is_cancelled) {
                return Err(stopped_error(name, attempt, uncertain));
            }
            if attempt > 1 {
                inner.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            inner.counters.attempts.fetch_add(1, Ordering::Relaxed);
            if let Some(hook) = &self.on_send {
                hook();
            }

            // Boxed: calls waiting for a rate-limit slot (up to -parallelism of them) then
            // hold a pointer, not the whole HTTP exchange state.
            let sent = Box::pin(self.attempt::<A>(name, version, &params, &secrets, attempt));
            let outcome = match deadline {
                Some(d) => match tokio::time::timeout_at(d, sent).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(Failure {
                        error: deadline_error(name, attempt, "while waiting for the answer"),
                        retry_after: None,
                        maybe_applied: true,
                        signed_with: None,
                    }),
                },
                None => sent.await,
            };
            if let Some(permit) = permit {
                permit.answered(match &outcome {
                    Err(failure) if failure.error.kind() == ErrorKind::Throttled => {
                        Some(Throttled {
                            retry_after: failure.retry_after,
                        })
                    }
                    _ => None,
                });
            }
            let Failure {
                mut error,
                retry_after,
                maybe_applied,
                signed_with,
            } = match outcome {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            if error.code == EXPIRED_TOKEN && !renewed_expired && inner.credentials.is_refreshable()
            {
                if let Some(used) = &signed_with {
                    renewed_expired = true;
                    inner.credentials.expire(used);
                    tracing::info!(target: "alikafka::api::retry", action = name, "credentials expired; fetching new ones");
                    last_error = Some(error);
                    continue;
                }
            }
            uncertain |= maybe_applied;
            error.attempts = attempt;
            error.outcome_uncertain = uncertain;
            if error.kind() == ErrorKind::Throttled {
                inner.counters.throttled.fetch_add(1, Ordering::Relaxed);
            }
            if !error.is_retryable()
                || error.code == codes::DEADLINE_EXCEEDED
                || attempt > inner.config.max_retries
                || (uncertain && !A::REPEATABLE)
            {
                return Err(error);
            }
            let delay = inner.backoff.delay(
                attempt - 1,
                error.kind() == ErrorKind::Throttled,
                retry_after,
            );
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                return Err(error);
            }
            tracing::info!(
                target: "alikafka::api::retry",
                action = name,
                attempt,
                code = %error.code,
                http_status = ?error.http_status,
                delay_ms = delay.as_millis() as u64,
                "retrying alikafka request"
            );
            last_error = Some(error);
            if unless_stopped(stop, tokio::time::sleep(delay))
                .await
                .is_none()
            {
                return Err(stopped_error(name, attempt + 1, uncertain));
            }
        }
    }

    /// One signed request and the interpretation of its answer.
    async fn attempt<A: Action>(
        &self,
        name: &'static str,
        version: &'static str,
        params: &[Param],
        secrets: &[&str],
        attempt: u32,
    ) -> Result<A::Response, Failure> {
        let inner = &self.inner;
        let credentials = inner
            .credentials
            .current()
            .await
            .map_err(|e| credentials_failure(name, e))?;
        let signed = self.sign_request(&credentials, name, version, params);
        let redactor = Redactor::new(&credentials, &signed.signature).with_secrets(secrets);
        let signed_with = Some(Arc::clone(&credentials));
        let mut url = inner.endpoint.url.clone();
        url.set_query(Some(&signed.query));

        let started = std::time::Instant::now();
        let sent = inner.http.post(url).body("").send().await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                // A refused connection never carried the request; anything later may have.
                let maybe_applied = !e.is_connect();
                let error = transport_error(name, None, e, &inner.config, &redactor);
                log_attempt(name, attempt, None, None, started, &error.code);
                return Err(Failure {
                    error,
                    retry_after: None,
                    maybe_applied,
                    signed_with,
                });
            }
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let header_request_id = response
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| sanitized_prefix(v.trim().as_bytes(), BODY_PREFIX_CHARS))
            .filter(|v| !v.is_empty());
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => {
                let mut error = transport_error(name, Some(status), e, &inner.config, &redactor);
                error.request_id = header_request_id;
                log_attempt(name, attempt, Some(status), None, started, &error.code);
                return Err(Failure {
                    error,
                    retry_after,
                    maybe_applied: !(400..500).contains(&status),
                    signed_with,
                });
            }
        };
        let quoting = if A::ANSWER_HAS_SECRETS {
            Quoting::Withheld
        } else {
            Quoting::Allowed
        };
        let mut outcome = interpret::<A::Response>(name, status, &body, &redactor, quoting);
        if let Err(error) = &mut outcome {
            // A body that is not the service's (a gateway page, a cut answer) still has
            // the header: it lets support find the request.
            if error.request_id.is_none() {
                error.request_id = header_request_id;
            }
            // Whose temporary credentials were refused or lacked permission.
            if let Some(whose) = inner
                .credentials
                .describe()
                .filter(|_| error.kind() == ErrorKind::Auth)
            {
                error.message.push_str(&format!(" [signed with {whose}]"));
            }
        }
        let (request_id, code) = match &outcome {
            Ok((_, request_id)) => (request_id.clone(), "200"),
            Err(e) => (e.request_id.clone(), e.code.as_str()),
        };
        log_attempt(
            name,
            attempt,
            Some(status),
            request_id.as_deref(),
            started,
            code,
        );
        outcome
            .map(|(response, _)| response)
            .map_err(|error| Failure {
                maybe_applied: answer_leaves_outcome_open(status, &error),
                error,
                retry_after,
                signed_with,
            })
    }

    /// Common parameters + the action's, with a fresh nonce and timestamp, signed.
    fn sign_request(
        &self,
        credentials: &Credentials,
        name: &str,
        version: &str,
        params: &[Param],
    ) -> SignedQuery {
        let mut all: Vec<(&str, String)> = vec![
            ("Action", name.to_owned()),
            ("AccessKeyId", credentials.access_key_id.clone()),
            ("Format", "JSON".to_owned()),
            ("RegionId", self.inner.config.region.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
            ("SignatureVersion", "1.0".to_owned()),
            (
                "Timestamp",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ),
            ("Version", version.to_owned()),
        ];
        if let Some(token) = &credentials.security_token {
            all.push(("SecurityToken", token.expose().to_owned()));
        }
        all.extend(params.iter().map(|(k, v)| (k.as_ref(), v.clone())));
        let canonical = canonical_query(&all);
        let signature = sign(
            credentials.access_key_secret.expose(),
            &string_to_sign(HTTP_METHOD, &canonical),
        );
        SignedQuery {
            query: format!("{canonical}&Signature={}", percent_encode(&signature)),
            signature,
        }
    }
}

struct SignedQuery {
    query: String,
    signature: String,
}

struct Failure {
    error: ApiError,
    retry_after: Option<Duration>,
    /// The service may have carried out this attempt (see [`ApiError::outcome_uncertain`]).
    maybe_applied: bool,
    /// The credentials the attempt was signed with (none when getting them failed).
    signed_with: Option<Arc<Credentials>>,
}

/// The service's code for temporary credentials past their expiry.
const EXPIRED_TOKEN: &str = "InvalidSecurityToken.Expired";

/// Credentials could not be obtained for an attempt: nothing was sent.
fn credentials_failure(action: &'static str, error: CredentialsError) -> Failure {
    let mut api_error = ApiError::new(
        action,
        error.http_status,
        error.code.clone(),
        format!("no credentials to sign with: {error}"),
    );
    api_error.request_id = error.request_id.map(String::from);
    Failure {
        error: api_error,
        retry_after: None,
        maybe_applied: false,
        signed_with: None,
    }
}

/// Whether an error answer leaves open what the service did: a 5xx or a garbled answer
/// says nothing certain; a well-formed error answer (4xx, or 200 with an error code) and
/// throttling mean the action was not carried out.
fn answer_leaves_outcome_open(status: u16, error: &ApiError) -> bool {
    if error.kind() == ErrorKind::Throttled || (400..500).contains(&status) {
        return false;
    }
    status >= 500
        || error.code == codes::MALFORMED_RESPONSE
        || error.code == codes::UNEXPECTED_RESPONSE
}

/// `future`'s output, or `None` when `stop` fires first.
async fn unless_stopped<F: std::future::Future>(
    stop: Option<&CancellationToken>,
    future: F,
) -> Option<F::Output> {
    match stop {
        Some(stop) => tokio::select! {
            biased;
            () = stop.cancelled() => None,
            out = future => Some(out),
        },
        None => Some(future.await),
    }
}

fn stopped_error(action: &'static str, attempt: u32, uncertain: bool) -> ApiError {
    let mut error = ApiError::new(
        action,
        None,
        codes::CANCELLED,
        format!("the caller stopped the call before attempt {attempt} was sent"),
    );
    error.attempts = attempt.saturating_sub(1);
    error.outcome_uncertain = uncertain;
    error
}

fn deadline_error(action: &'static str, attempt: u32, when: &str) -> ApiError {
    let mut error = ApiError::new(
        action,
        None,
        codes::DEADLINE_EXCEEDED,
        format!("the caller's deadline passed {when} (attempt {attempt})"),
    );
    error.attempts = attempt;
    error
}

fn log_attempt(
    action: &str,
    attempt: u32,
    status: Option<u16>,
    request_id: Option<&str>,
    started: std::time::Instant,
    code: &str,
) {
    tracing::debug!(
        target: "alikafka::api",
        action,
        attempt,
        http_status = ?status,
        request_id = request_id.unwrap_or("-"),
        code,
        latency_ms = started.elapsed().as_millis() as u64,
        "alikafka request"
    );
}

/// A network failure or timeout, described without the URL (it carries the signature).
fn transport_error(
    action: &'static str,
    status: Option<u16>,
    error: reqwest::Error,
    config: &ClientConfig,
    redactor: &Redactor,
) -> ApiError {
    let error = error.without_url();
    let (code, message) = if error.is_timeout() {
        (
            codes::REQUEST_TIMEOUT,
            format!(
                "no complete answer within the request timeout ({}; connect timeout {})",
                humantime::format_duration(config.request_timeout),
                humantime::format_duration(config.connect_timeout)
            ),
        )
    } else {
        (codes::NETWORK_ERROR, error_chain(&error))
    };
    // Whatever the status said, the exchange broke: both codes classify as transient.
    ApiError::new(action, status, code, redactor.redact(&message))
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The server's `x-acs-retry-after` hint (milliseconds), when it is a number.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
}

/// Whether errors may quote the answer's body (and decoding errors, which can quote
/// values from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    Allowed,
    /// The action's answers carry secrets (passwords): nothing of them is quoted.
    Withheld,
}

const WITHHELD: &str = "not quoted: this action's answers carry secrets";

/// Decides success or failure of an answer; on success also returns its RequestId.
pub(crate) fn interpret<R: serde::de::DeserializeOwned>(
    action: &'static str,
    status: u16,
    body: &[u8],
    redactor: &Redactor,
    quoting: Quoting,
) -> Result<(R, Option<String>), ApiError> {
    let quote = |body: &[u8]| match quoting {
        Quoting::Allowed => format!("\"{}\"", redactor.quote(body)),
        Quoting::Withheld => format!("({WITHHELD})"),
    };
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => {
            // Classified transient (a garbled success or a gateway's error page is worth
            // another try) unless the status is 4xx (e.g. a proxy's refusal).
            return Err(ApiError::new(
                action,
                Some(status),
                codes::MALFORMED_RESPONSE,
                format!("the answer is not JSON: {}", quote(body)),
            ));
        }
    };
    // Server text is redacted, then bounded: a huge field must not become a huge error.
    let field = |name: &str| {
        value
            .get(name)
            .and_then(scalar_text)
            .map(|text| bounded(redactor.redact(&text)))
    };
    let request_id = field("RequestId");
    let code = field("Code");
    let success = value.get("Success").and_then(|v| match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse::<bool>().ok(),
        _ => None,
    });
    let code_is_ok = code.as_deref().is_none_or(|c| c.trim() == "200");
    let failed = !(200..300).contains(&status) || success == Some(false) || !code_is_ok;
    if failed {
        let code = code
            .filter(|c| c.trim() != "200")
            .unwrap_or_else(|| codes::UNKNOWN_ERROR.to_owned());
        let message = match field("Message") {
            Some(message) => message,
            None => format!("no message; the answer was {}", quote(body)),
        };
        let mut error = ApiError::new(action, Some(status), code, message);
        error.request_id = request_id;
        error.recommend = field("Recommend").map(String::into_boxed_str);
        return Err(error);
    }
    match serde_json::from_value::<R>(value) {
        Ok(response) => Ok((response, request_id)),
        Err(e) => {
            let detail = match quoting {
                Quoting::Allowed => {
                    sanitized_prefix(redactor.redact(&e.to_string()).as_bytes(), 200)
                }
                Quoting::Withheld => format!("details {WITHHELD}"),
            };
            let mut error = ApiError::new(
                action,
                Some(status),
                codes::UNEXPECTED_RESPONSE,
                format!("the answer does not have the expected shape: {detail}"),
            );
            error.request_id = request_id;
            Err(error)
        }
    }
}

/// At most [`SERVER_TEXT_CHARS`] characters of `text`, with `…` when cut.
fn bounded(text: String) -> String {
    match text.char_indices().nth(SERVER_TEXT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Removes our secret, token and signature (raw, and percent-encoded once and twice as
/// they appear in a server's StringToSign) from server-provided text.
pub(crate) struct Redactor {
    needles: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(credentials: &Credentials, signature: &str) -> Self {
        let secrets = [
            Some(credentials.access_key_secret.expose()),
            credentials.security_token.as_ref().map(|t| t.expose()),
            Some(signature),
        ];
        Redactor::from_secrets(&secrets.into_iter().flatten().collect::<Vec<_>>())
    }

    /// A redactor of any secrets (such as an OIDC token as well as keys).
    pub(crate) fn from_secrets(secrets: &[&str]) -> Self {
        let mut needles = Vec::new();
        for secret in secrets.iter().copied() {
            if secret.len() < MIN_REDACTED_LEN {
                continue;
            }
            let once = percent_encode(secret);
            let twice = percent_encode(&once);
            needles.extend([secret.to_owned(), once, twice]);
        }
        Redactor::sorted(needles)
    }

    /// Also removes these request values (a SASL password), however short: a secret
    /// must not survive even at the cost of a mangled message.
    pub(crate) fn with_secrets(self, secrets: &[&str]) -> Self {
        if secrets.is_empty() {
            return self;
        }
        let mut needles = self.needles;
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            let once = percent_encode(secret);
            let twice = percent_encode(&once);
            needles.extend([secret.to_string(), once, twice]);
        }
        Redactor::sorted(needles)
    }

    fn sorted(mut needles: Vec<String>) -> Self {
        needles.sort();
        needles.dedup();
        // Longest first, so a longer encoding is not half-replaced by a shorter one.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Redactor { needles }
    }

    /// A short, one-line, redacted prefix of a body. Redacts before cutting: a secret
    /// straddling the cut would otherwise survive as a fragment (found by fuzzing).
    fn quote(&self, body: &[u8]) -> String {
        let redacted = self.redact(&String::from_utf8_lossy(body));
        sanitized_prefix(redacted.as_bytes(), BODY_PREFIX_CHARS)
    }

    pub(crate) fn redact(&self, text: &str) -> String {
        self.needles.iter().fold(text.to_owned(), |acc, needle| {
            acc.replace(needle.as_str(), "***")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::actions::{EmptyResponse, GetTopicListResponse};
    use crate::api::SecretString;

    fn redactor() -> Redactor {
        let credentials = Credentials::new(
            "ak",
            "my/secret+key",
            Some(SecretString::new("tok:en/with=chars")),
        );
        Redactor::new(&credentials, "c2lnbmF0dXJl+/=")
    }

    fn run<R: serde::de::DeserializeOwned>(status: u16, body: &str) -> Result<R, ApiError> {
        interpret::<R>(
            "GetTopicList",
            status,
            body.as_bytes(),
            &redactor(),
            Quoting::Allowed,
        )
        .map(|(r, _)| r)
    }

    #[test]
    fn success_shapes() {
        let ok: EmptyResponse =
            run(200, r#"{"Code":200,"Success":true,"RequestId":"R"}"#).expect("ok");
        assert_eq!(ok.request_id, "R");
        run::<EmptyResponse>(200, r#"{"Code":"200","Success":"true","RequestId":"R"}"#)
            .expect("string code");
        run::<EmptyResponse>(200, r#"{"RequestId":"R"}"#).expect("no code at all");
    }

    #[test]
    fn http_200_with_failure_markers_is_an_error() {
        let err = run::<EmptyResponse>(
            200,
            r#"{"Code":400,"Success":false,"Message":"The topic already exists.","RequestId":"R1"}"#,
        )
        .expect_err("code 400");
        assert_eq!(err.code, "400");
        assert_eq!(err.request_id.as_deref(), Some("R1"));
        let err = run::<EmptyResponse>(
            200,
            r#"{"Code":"BIZ_TOPIC_EXISTED","Success":false,"Message":"exists","RequestId":"R2"}"#,
        )
        .expect_err("biz code");
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let err = run::<EmptyResponse>(200, r#"{"Code":200,"Success":false,"Message":"m"}"#)
            .expect_err("success false");
        assert_eq!(err.code, codes::UNKNOWN_ERROR);
    }

    #[test]
    fn gateway_error_body() {
        let err = run::<EmptyResponse>(
            400,
            r#"{"RequestId":"X","HostId":"alikafka.cn-hangzhou.aliyuncs.com","Code":"Throttling.User",
                "Message":"Request was denied due to user flow control.","Recommend":"https://next.api.aliyun.com/troubleshoot?q=Throttling.User"}"#,
        )
        .expect_err("throttled");
        assert_eq!(err.kind(), ErrorKind::Throttled);
        assert_eq!(err.http_status, Some(400));
        assert_eq!(err.request_id.as_deref(), Some("X"));
        assert!(err
            .recommend
            .as_deref()
            .is_some_and(|r| r.contains("troubleshoot")));
        assert_eq!(
            err.to_string(),
            "GetTopicList failed: Throttling.User (HTTP 400): Request was denied due to user flow control. (RequestId: X)"
        );
    }

    #[test]
    fn non_json_bodies_quote_a_short_prefix() {
        let html = format!(
            "<html>\n<head><title>502 Bad Gateway</title></head>{}</html>",
            "x".repeat(400)
        );
        let err = run::<EmptyResponse>(502, &html).expect_err("html");
        assert_eq!(err.code, codes::MALFORMED_RESPONSE);
        assert_eq!(err.kind(), ErrorKind::Transient);
        assert!(
            err.message.contains("<html> <head><title>502 Bad Gateway"),
            "{}",
            err.message
        );
        assert!(err.message.chars().count() < 160, "{}", err.message);
        let truncated = run::<GetTopicListResponse>(200, r#"{"Code":200,"TopicList":{"Topi"#)
            .expect_err("truncated");
        assert_eq!(truncated.kind(), ErrorKind::Transient);
        assert!(truncated.message.contains("{\"Code\":200,\"TopicList\""));
        let forbidden = run::<EmptyResponse>(403, "Forbidden by proxy").expect_err("403");
        assert_eq!(forbidden.kind(), ErrorKind::Other);
        assert!(run::<EmptyResponse>(200, "").is_err());
    }

    #[test]
    fn wrong_shape_is_an_error_not_a_panic() {
        let err = run::<GetTopicListResponse>(200, r#"{"Code":200,"TopicList":{"TopicVO":[1,2]}}"#)
            .expect_err("numbers are not topics");
        assert_eq!(err.code, codes::UNEXPECTED_RESPONSE);
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(run::<EmptyResponse>(200, "[1,2,3]").is_err());
    }

    /// Regression (fuzzing): the quoted prefix was cut before redaction, so a secret
    /// straddling the cut survived as a fragment.
    #[test]
    fn a_secret_cut_by_the_quote_is_still_redacted() {
        // The secret starts 1 to 12 characters before the 120-character cut.
        for at in 108..120 {
            let body = format!("{}my/secret+key and more", "x".repeat(at));
            let err = run::<EmptyResponse>(502, &body).expect_err("not JSON");
            assert!(!err.message.contains("my/se"), "{at}: {}", err.message);
            // An error answer without a Message quotes the body too.
            let prefix = r#"{"Code":"E","Other":""#;
            let filler = "y".repeat(at - prefix.len());
            let body = format!(r#"{prefix}{filler}c2lnbmF0dXJl+/="}}"#);
            let err = run::<EmptyResponse>(400, &body).expect_err("no message");
            assert!(!err.message.contains("c2lnbm"), "{at}: {}", err.message);
        }
    }

    /// Regression (fuzzing): a huge Message became a huge error.
    #[test]
    fn server_text_is_bounded() {
        let long = "m".repeat(10_000);
        let body = format!(
            r#"{{"Code":"{long}","Message":"{long}","RequestId":"{long}","Recommend":"{long}"}}"#
        );
        let err = run::<EmptyResponse>(400, &body).expect_err("error");
        for text in [
            Some(err.code.as_str()),
            Some(err.message.as_str()),
            err.request_id.as_deref(),
            err.recommend.as_deref(),
        ] {
            let count = text.map_or(0, |t| t.chars().count());
            assert_eq!(count, SERVER_TEXT_CHARS + 1, "cut with an ellipsis");
        }
    }

    #[test]
    fn which_error_answers_leave_the_outcome_open() {
        let answer = |status: u16, body: &str| {
            let err = run::<EmptyResponse>(status, body).expect_err("an error answer");
            answer_leaves_outcome_open(status, &err)
        };
        assert!(!answer(
            400,
            r#"{"Code":"BIZ_TOPIC_EXISTED","Message":"exists","RequestId":"R"}"#
        ));
        assert!(!answer(
            200,
            r#"{"Code":"BIZ_TOPIC_EXISTED","Success":false,"Message":"exists"}"#
        ));
        assert!(!answer(
            503,
            r#"{"Code":"Throttling.User","Message":"denied","RequestId":"R"}"#
        ));
        assert!(answer(
            500,
            r#"{"Code":"InternalError","Message":"oops","RequestId":"R"}"#
        ));
        assert!(answer(502, "<html>Bad Gateway</html>"));
        assert!(answer(200, r#"{"Code":200,"TopicList":"#));
        assert!(!answer(403, "Forbidden by proxy"));
    }

    #[test]
    fn answers_with_secrets_are_never_quoted() {
        use crate::api::DescribeSaslUsersResponse;
        let redactor = redactor();
        let withheld = |status: u16, body: &str| {
            interpret::<DescribeSaslUsersResponse>(
                "DescribeSaslUsers",
                status,
                body.as_bytes(),
                &redactor,
                Quoting::Withheld,
            )
            .map(|(r, _)| r)
        };
        for (status, body) in [
            (
                200,
                r#"{"SaslUserList":{"SaslUserVO":[{"Username":"u","Password":"pw-cut-"#,
            ),
            (
                200,
                r#"{"SaslUserList":{"SaslUserVO":"pw-in-a-wrong-shape"}}"#,
            ),
            (500, r#"{"Code":"InternalError","Other":"pw-in-an-error"}"#),
        ] {
            let err = withheld(status, body).expect_err(body);
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("pw-"), "{shown}");
            assert!(shown.contains("not quoted"), "{shown}");
        }
        let ok = withheld(
            200,
            r#"{"SaslUserList":{"SaslUserVO":[{"Username":"u","Password":"pw"}]}}"#,
        )
        .expect("parses");
        assert_eq!(ok.users[0].password.expose(), "pw");
    }

    #[test]
    fn request_secrets_are_redacted_however_short() {
        let redactor = redactor().with_secrets(&["pw!", "a longer/pass+word"]);
        let twice = percent_encode(&percent_encode("a longer/pass+word"));
        let body = format!(
            r#"{{"Code":"SignatureDoesNotMatch","Message":"string to sign: Password%3D{twice} and pw! raw"}}"#
        );
        let err = interpret::<EmptyResponse>(
            "CreateSaslUser",
            400,
            body.as_bytes(),
            &redactor,
            Quoting::Allowed,
        )
        .expect_err("auth");
        assert!(!err.message.contains("pw!"), "{}", err.message);
        assert!(!err.message.contains(&twice), "{}", err.message);
        assert!(err.message.contains("Password%3D***"), "{}", err.message);
    }

    #[test]
    fn server_text_never_echoes_our_secrets() {
        // A SignatureDoesNotMatch message carries the server's StringToSign, which holds
        // the SecurityToken encoded twice.
        let token_twice = percent_encode(&percent_encode("tok:en/with=chars"));
        let body = format!(
            r#"{{"Code":"SignatureDoesNotMatch","Message":"server string to sign is:POST&%2F&SecurityToken%3D{token_twice} sig c2lnbmF0dXJl+/= raw my/secret+key","RequestId":"Z"}}"#
        );
        let err = run::<EmptyResponse>(400, &body).expect_err("auth");
        assert_eq!(err.kind(), ErrorKind::Auth);
        let shown = format!("{err} {err:?}");
        for leaked in [
            "tok:en/with=chars",
            token_twice.as_str(),
            "c2lnbmF0dXJl",
            "my/secret+key",
        ] {
            assert!(!shown.contains(leaked), "{leaked} in {shown}");
        }
        assert!(shown.contains("SecurityToken%3D***"));
    }
}
