//! Endpoint selection and the plain-HTTP policy.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Url;

use super::config::ConfigError;

/// A validated base URL (`scheme://host[:port]/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub url: Url,
    pub is_loopback: bool,
}

impl Endpoint {
    /// `scheme://host[:port]` without the trailing slash, for messages.
    pub fn display(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_owned()
    }
}

/// Whether `region` can be used in a host name and as `RegionId`.
pub(crate) fn validate_region(region: &str) -> Result<(), ConfigError> {
    let valid = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(ConfigError::InvalidRegion {
            region: region.to_owned(),
        })
    }
}

/// The endpoint for `region`, or the override. An override without a scheme is HTTPS.
/// Plain HTTP is refused for non-loopback hosts unless `allow_insecure_http`.
pub(crate) fn resolve_endpoint(
    region: &str,
    endpoint: Option<&str>,
    allow_insecure_http: bool,
) -> Result<Endpoint, ConfigError> {
    let raw = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
        Some(raw) => raw.to_owned(),
        None => format!("https://alikafka.{region}.aliyuncs.com"),
    };
    let invalid = |reason: &str| ConfigError::InvalidEndpoint {
        endpoint: hide_userinfo(&raw),
        reason: reason.to_owned(),
    };
    let with_scheme = if raw.contains("://") {
        raw.clone()
    } else {
        format!("https://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            "the scheme must be https (or http for a local endpoint)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials do not belong in the endpoint"));
    }
    if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
        return Err(invalid(
            "give only scheme://host[:port], without path or query",
        ));
    }
    let is_loopback = match url.host_str() {
        Some(host) if !host.is_empty() => is_loopback_host(host),
        _ => return Err(invalid("no host")),
    };
    if url.scheme() == "http" && !is_loopback {
        if !allow_insecure_http {
            return Err(invalid(
                "plain http is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost); \
                 use https, or set allow_insecure_http to accept the risk",
            ));
        }
        warn_insecure_once(&url);
    }
    Ok(Endpoint { url, is_loopback })
}

/// `localhost`, 127.0.0.0/8 or ::1 (as `Url::host_str` writes them; IPv6 in brackets).
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The endpoint text with any `user:password@` replaced, so errors never echo it.
fn hide_userinfo(raw: &str) -> String {
    let start = raw.find("://").map_or(0, |i| i + 3);
    let authority_end = raw[start..].find('/').map_or(raw.len(), |i| start + i);
    match raw[start..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &raw[..start], &raw[start + at + 1..]),
        None => raw.to_owned(),
    }
}

fn warn_insecure_once(url: &Url) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            endpoint = %url.as_str().trim_end_matches('/'),
            "using plain http to a non-loopback alikafka endpoint: requests and their signatures travel unencrypted"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(region: &str, endpoint: Option<&str>, insecure: bool) -> Endpoint {
        resolve_endpoint(region, endpoint, insecure).expect("valid endpoint")
    }

    #[test]
    fn default_is_https_regional() {
        let e = ok("cn-hangzhou", None, false);
        assert_eq!(e.url.as_str(), "https://alikafka.cn-hangzhou.aliyuncs.com/");
        assert!(!e.is_loopback);
        assert_eq!(e.display(), "https://alikafka.cn-hangzhou.aliyuncs.com");
        assert_eq!(ok("cn-hangzhou", Some("  "), false), e);
    }

    #[test]
    fn overrides_and_schemeless_hosts() {
        let e = ok("cn-hangzhou", Some("http://127.0.0.1:9120"), false);
        assert_eq!(e.url.as_str(), "http://127.0.0.1:9120/");
        assert!(e.is_loopback);
        assert!(ok("x", Some("http://127.8.9.10:1/"), false).is_loopback);
        assert!(ok("x", Some("http://[::1]:9120"), false).is_loopback);
        assert!(ok("x", Some("http://LocalHost:9120"), false).is_loopback);
        assert_eq!(
            ok("x", Some("alikafka-vpc.cn-beijing.aliyuncs.com"), false)
                .url
                .as_str(),
            "https://alikafka-vpc.cn-beijing.aliyuncs.com/"
        );
    }

    #[test]
    fn plain_http_needs_loopback_or_consent() {
        for remote in [
            "http://10.0.0.1:9120",
            "http://example.com",
            "http://localhost.example.com",
            "http://[::2]:1",
        ] {
            let err = resolve_endpoint("x", Some(remote), false).expect_err(remote);
            assert!(err.to_string().contains("allow_insecure_http"), "{err}");
            assert!(!ok("x", Some(remote), true).is_loopback);
        }
    }

    #[test]
    fn rejects_odd_endpoints() {
        for bad in [
            "ftp://example.com",
            "https://user:pw@example.com",
            "https://example.com/path",
            "https://example.com/?a=b",
            "http://",
            "https://exa mple.com",
        ] {
            assert!(resolve_endpoint("x", Some(bad), true).is_err(), "{bad}");
        }
        let err = resolve_endpoint("x", Some("https://user:hunter2@example.com"), true)
            .expect_err("userinfo");
        assert!(matches!(err, ConfigError::InvalidEndpoint { .. }));
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert_eq!(hide_userinfo("a:b@h:1/x@y"), "***@h:1/x@y");
        assert_eq!(hide_userinfo("http://h:1"), "http://h:1");
    }

    #[test]
    fn regions() {
        for good in ["cn-hangzhou", "ap-southeast-1", "us-east-1"] {
            assert!(validate_region(good).is_ok(), "{good}");
        }
        for bad in ["", "CN-hangzhou", "cn hangzhou", "evil.com/", "-cn", "cn-"] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
    }
}
