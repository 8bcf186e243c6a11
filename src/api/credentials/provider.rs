//! The credentials a client signs with: fixed ones, or temporary ones fetched from their
//! source and fetched again before they expire — once for the whole process, whatever the
//! number of concurrent calls (one refresh at a time; the others wait for it and share it).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::source::Source;
use super::{ecs, sts, uri, Credentials};
use crate::api::config::ConfigError;
use crate::api::error::{classify, ErrorKind};

/// Credentials count as stale this long before they expire, as in Alibaba's credentials
/// library; shorter lifetimes are refreshed at half of it instead (the library would fetch
/// again on every call: its margin is as long as STS's shortest session).
const STALE_MARGIN: Duration = Duration::from_secs(15 * 60);
/// Cached credentials are not handed out in their last seconds: a request must arrive first.
const SAFETY: Duration = Duration::from_secs(5);
/// After a failed refresh, wait this long before the next try while the old ones still work.
const RETRY_FAILED_REFRESH: Duration = Duration::from_secs(10);

/// Timeouts and the plain-HTTP policy for the calls that fetch credentials.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Permit plain `http://` STS endpoints that are not loopback.
    pub allow_insecure_http: bool,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            allow_insecure_http: false,
        }
    }
}

/// Why credentials could not be obtained: the source, the role and the service's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    /// E.g. `AssumeRole`, `AssumeRoleWithOIDC`, `ECS instance RAM role`.
    pub kind: &'static str,
    /// Where the source was configured, e.g. `provider block (assume_role_with_oidc)`.
    pub configured_in: Arc<str>,
    pub role: Option<Box<str>>,
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
    pub request_id: Option<Box<str>>,
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(role) = &self.role {
            write!(f, " for role {role}")?;
        }
        write!(
            f,
            " (configured in {}) failed: {}",
            self.configured_in, self.code
        )?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (RequestId: {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CredentialsError {}

impl CredentialsError {
    /// Whether trying again later may help (network, 5xx, throttling).
    pub fn is_transient(&self) -> bool {
        classify(&self.code, self.http_status).is_retryable()
    }

    pub fn kind_of_failure(&self) -> ErrorKind {
        classify(&self.code, self.http_status)
    }
}

/// One fetch's result.
pub(crate) struct Fetched {
    pub credentials: Credentials,
    pub expiration: Option<DateTime<Utc>>,
}

#[derive(Clone)]
struct Cached {
    credentials: Arc<Credentials>,
    expires_at: Option<DateTime<Utc>>,
    refresh_at: Option<DateTime<Utc>>,
}

impl Cached {
    fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.refresh_at.is_none_or(|at| now < at)
    }

    fn usable(&self, now: DateTime<Utc>) -> bool {
        self.expires_at
            .is_none_or(|at| now + chrono::Duration::from_std(SAFETY).unwrap_or_default() < at)
    }
}

#[derive(Default)]
struct Cache {
    current: Option<Cached>,
    /// After a failed refresh: no new try before this, while `current` is usable.
    retry_after: Option<std::time::Instant>,
}

/// Hands out credentials; clone the `Arc` to share it between clients.
pub struct CredentialsProvider {
    source: Source,
    configured_in: Arc<str>,
    base: Option<Arc<CredentialsProvider>>,
    http: reqwest::Client,
    metadata_http: reqwest::Client,
    settings: FetchSettings,
    cache: Mutex<Cache>,
    refresh: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsProvider")
            .field("source", &self.source.kind())
            .field("role", &self.source.role())
            .field("configured_in", &self.configured_in)
            .finish_non_exhaustive()
    }
}

fn http_client(connect: Duration, total: Duration) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .user_agent(concat!(
            "terraform-provider-alikafka/",
            env!("CARGO_PKG_VERSION")
        ))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ConfigError::HttpClient(e.to_string()))
}

impl CredentialsProvider {
    /// Fixed credentials.
    pub fn fixed(credentials: Credentials) -> CredentialsProvider {
        let cached = Cached {
            credentials: Arc::new(credentials.clone()),
            expires_at: None,
            refresh_at: None,
        };
        CredentialsProvider {
            source: Source::Static(credentials),
            configured_in: Arc::from("the caller"),
            base: None,
            // Never used for fixed credentials.
            http: reqwest::Client::new(),
            metadata_http: reqwest::Client::new(),
            settings: FetchSettings::default(),
            cache: Mutex::new(Cache {
                current: Some(cached),
                retry_after: None,
            }),
            refresh: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// A provider for `source`; `configured_in` says where it was set (for errors).
    pub fn new(
        source: Source,
        configured_in: impl Into<String>,
        settings: FetchSettings,
    ) -> Result<CredentialsProvider, ConfigError> {
        let configured_in: Arc<str> = Arc::from(configured_in.into());
        if let Source::Static(credentials) = source {
            let mut fixed = CredentialsProvider::fixed(credentials);
            fixed.configured_in = configured_in;
            return Ok(fixed);
        }
        let base = match &source {
            Source::AssumeRole { base, .. } => Some(Arc::new(CredentialsProvider::new(
                (**base).clone(),
                format!("{configured_in}, the credentials assume_role signs with"),
                settings.clone(),
            )?)),
            _ => None,
        };
        // The metadata service answers at once or not at all: one second, as the library.
        let second = Duration::from_secs(1);
        Ok(CredentialsProvider {
            http: http_client(settings.connect_timeout, settings.request_timeout)?,
            metadata_http: http_client(second, second * 2)?,
            source,
            configured_in,
            base,
            settings,
            cache: Mutex::new(Cache::default()),
            refresh: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        })
    }

    /// The process's provider for `source`: configurations that resolve to the same source
    /// share one provider, so its temporary credentials are fetched once for the process.
    pub fn shared(
        source: Source,
        configured_in: impl Into<String>,
        settings: FetchSettings,
    ) -> Result<Arc<CredentialsProvider>, ConfigError> {
        static SHARED: Mutex<Vec<std::sync::Weak<CredentialsProvider>>> = Mutex::new(Vec::new());
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        shared.retain(|weak| weak.strong_count() > 0);
        let existing = shared
            .iter()
            .filter_map(std::sync::Weak::upgrade)
            .find(|p| {
                p.source == source && p.settings.allow_insecure_http == settings.allow_insecure_http
            });
        if let Some(provider) = existing {
            return Ok(provider);
        }
        let provider = Arc::new(CredentialsProvider::new(source, configured_in, settings)?);
        shared.push(Arc::downgrade(&provider));
        Ok(provider)
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Where the source was configured.
    pub fn configured_in(&self) -> &str {
        &self.configured_in
    }

    /// Whose credentials these are, for errors about them: `None` for fixed keys.
    pub fn describe(&self) -> Option<String> {
        if !self.is_refreshable() {
            return None;
        }
        let role = self
            .source
            .role()
            .map(|r| format!(" of role {r}"))
            .unwrap_or_default();
        Some(format!(
            "temporary credentials{role} from {} (configured in {})",
            self.source.kind(),
            self.configured_in
        ))
    }

    /// Whether the credentials are temporary ones this provider fetches again.
    pub fn is_refreshable(&self) -> bool {
        !matches!(self.source, Source::Static(_))
    }

    /// How many times credentials were fetched from the source (not counting the base's).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A key that stays the same across refreshes, for per-account rate limiting.
    pub fn stable_key(&self) -> String {
        match (&self.source, self.source.role()) {
            (Source::Static(c), _) => c.access_key_id.clone(),
            (_, Some(role)) => role,
            (source, None) => format!("{}:{}", source.kind(), self.configured_in),
        }
    }

    fn cached(&self) -> Option<Cached> {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .current
            .clone()
    }

    /// Credentials to sign with now: the cached ones while fresh, else fetched again (one
    /// fetch for all concurrent callers). When a refresh fails but the cached credentials
    /// have not expired, those are used and the refresh is tried again a little later.
    pub async fn current(&self) -> Result<Arc<Credentials>, CredentialsError> {
        if let Some(cached) = self.cached().filter(|c| c.fresh(Utc::now())) {
            return Ok(cached.credentials);
        }
        let _one_at_a_time = self.refresh.lock().await;
        let now = Utc::now();
        let cached = self.cached();
        if let Some(cached) = cached.as_ref().filter(|c| c.fresh(now)) {
            return Ok(Arc::clone(&cached.credentials));
        }
        let waiting = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retry_after
            .is_some_and(|at| std::time::Instant::now() < at);
        if let Some(usable) = cached.as_ref().filter(|c| waiting && c.usable(now)) {
            return Ok(Arc::clone(&usable.credentials));
        }
        match self.fetch().await {
            Ok(fetched) => {
                let fetched_at = Utc::now();
                let refresh_at = fetched.expiration.map(|expires| {
                    let lifetime = (expires - fetched_at).to_std().unwrap_or_default();
                    let margin = STALE_MARGIN.min(lifetime / 2);
                    expires - chrono::Duration::from_std(margin).unwrap_or_default()
                });
                let entry = Cached {
                    credentials: Arc::new(fetched.credentials),
                    expires_at: fetched.expiration,
                    refresh_at,
                };
                tracing::info!(
                    target: "alikafka::api::credentials",
                    source = self.source.kind(),
                    role = self.source.role().as_deref().unwrap_or("-"),
                    access_key_id = %entry.credentials.access_key_id,
                    expiration = %entry.expires_at.map(|e| e.to_rfc3339()).unwrap_or_default(),
                    "fetched temporary credentials"
                );
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                cache.current = Some(entry.clone());
                cache.retry_after = None;
                Ok(entry.credentials)
            }
            Err(error) => {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                match cache.current.clone().filter(|c| c.usable(now)) {
                    Some(still_valid) => {
                        tracing::warn!(
                            target: "alikafka::api::credentials",
                            %error,
                            "refreshing the credentials failed; using the current ones until they expire"
                        );
                        cache.retry_after = Some(std::time::Instant::now() + RETRY_FAILED_REFRESH);
                        Ok(still_valid.credentials)
                    }
                    None => Err(error),
                }
            }
        }
    }

    /// The service rejected `used` as expired: fetch new credentials at the next
    /// [`CredentialsProvider::current`], unless they were replaced already.
    pub fn expire(&self, used: &Credentials) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(current) = cache.current.as_mut() {
            if self.is_refreshable() && current.credentials.access_key_id == used.access_key_id {
                current.refresh_at = Some(Utc::now());
                current.expires_at = Some(Utc::now());
                cache.retry_after = None;
            }
        }
    }

    fn error(&self, code: &str, message: impl Into<String>) -> CredentialsError {
        CredentialsError {
            kind: self.source.kind(),
            configured_in: Arc::clone(&self.configured_in),
            role: self.source.role().map(String::into_boxed_str),
            code: code.to_owned(),
            message: message.into(),
            http_status: None,
            request_id: None,
        }
    }

    /// Boxed: a base may itself assume a role, so fetching is recursive.
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<Fetched, CredentialsError>> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::Relaxed);
            let fail = |code: &str, message: String| self.error(code, message);
            let context = sts::Context {
                http: &self.http,
                settings: &self.settings,
                fail: &fail,
            };
            match &self.source {
                Source::Static(credentials) => Ok(Fetched {
                    credentials: credentials.clone(),
                    expiration: None,
                }),
                Source::AssumeRole { role, .. } => {
                    let base = match &self.base {
                        Some(base) => base.current().await?,
                        None => return Err(self.error("InternalError", "no base credentials")),
                    };
                    sts::assume_role(&context, &base, role).await
                }
                Source::Oidc(spec) => sts::assume_role_with_oidc(&context, spec).await,
                Source::EcsRole(spec) => {
                    let context = sts::Context {
                        http: &self.metadata_http,
                        ..context
                    };
                    ecs::fetch(&context, spec).await
                }
                Source::CredentialsUri { uri } => uri::fetch(&context, uri).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fixed_credentials_never_refresh() {
        let provider = CredentialsProvider::fixed(Credentials::new("ak", "sk", None));
        let a = provider.current().await.unwrap();
        let b = provider.current().await.unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!provider.is_refreshable());
        provider.expire(&a);
        assert!(Arc::ptr_eq(&a, &provider.current().await.unwrap()));
        assert_eq!(provider.fetches(), 0);
        assert_eq!(provider.stable_key(), "ak");
    }

    #[test]
    fn the_margin_is_fifteen_minutes_or_half_the_lifetime() {
        for (lifetime_s, margin_s) in [(3600, 900), (1800, 900), (900, 450), (20, 10)] {
            let lifetime = Duration::from_secs(lifetime_s);
            assert_eq!(
                STALE_MARGIN.min(lifetime / 2),
                Duration::from_secs(margin_s)
            );
        }
    }

    #[test]
    fn errors_name_source_role_and_code() {
        let error = CredentialsError {
            kind: "AssumeRole",
            configured_in: Arc::from("provider block"),
            role: Some("acs:ram::1:role/x".into()),
            code: "NoPermission".into(),
            message: "denied".into(),
            http_status: Some(403),
            request_id: Some("R1".into()),
        };
        assert_eq!(
            error.to_string(),
            "AssumeRole for role acs:ram::1:role/x (configured in provider block) failed: NoPermission (HTTP 403): denied (RequestId: R1)"
        );
        assert!(!error.is_transient());
    }
}
