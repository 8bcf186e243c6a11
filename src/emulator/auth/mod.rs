//! Authentication as the gateway does it: required parameters, signature method and
//! version, timestamp window, AccessKey lookup, STS token, signature (V1 or V3), nonce.

pub mod nonce;
pub mod v1;
pub mod v3;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::config::{AccountConfig, Secret};
use super::errors::ApiError;
use super::params::ParamMap;
use super::sts::sessions::{Session, Sessions};
use nonce::NonceCache;

/// How far a request's timestamp may be from the server's clock.
pub const TIMESTAMP_TOLERANCE_MS: i64 = 15 * 60 * 1000;

/// Which signature scheme a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureStyle {
    /// `Signature` and friends in the parameters (HMAC-SHA1).
    V1,
    /// `Authorization: ACS3-...` header (HMAC-SHA256).
    V3,
}

impl SignatureStyle {
    pub fn detect(headers: &HeaderMap) -> SignatureStyle {
        let v3 = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("ACS3-"));
        if v3 {
            SignatureStyle::V3
        } else {
            SignatureStyle::V1
        }
    }
}

/// What authentication looks at.
pub struct SignedRequest<'a> {
    pub style: SignatureStyle,
    pub method: &'a str,
    /// Query and form parameters together.
    pub params: &'a ParamMap,
    /// Query parameters only (V3 signs these; the body is covered by its hash).
    pub query: &'a ParamMap,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

struct Account {
    secret: Secret,
    security_token: Option<Secret>,
    token_expires_at_ms: Option<i64>,
    disabled: bool,
    account_id: Option<String>,
}

/// Who signed a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The AccessKeyId the request was signed with.
    pub access_key_id: String,
    /// The AccessKeyId whose instances the caller sees: itself for an account's key, the
    /// role's account's key for temporary credentials.
    pub tenant: String,
    pub account_id: Option<String>,
    /// Set for temporary credentials the emulator issued (a role session).
    pub session: Option<Arc<Session>>,
}

impl Principal {
    /// How errors name the caller: the role session's ARN, or the AccessKeyId.
    pub fn display(&self) -> String {
        match &self.session {
            Some(session) => session.principal_arn(),
            None => format!("access key {}", self.access_key_id),
        }
    }
}

/// The secret to check a signature with, and whose it is.
struct Resolved {
    secret: Secret,
    principal: Principal,
}

/// Verifies requests against the configured accounts and the issued temporary credentials.
pub struct Authenticator {
    accounts: HashMap<String, Account>,
    sessions: Arc<Sessions>,
    nonces: NonceCache,
}

impl Authenticator {
    pub fn new(accounts: &[AccountConfig]) -> Self {
        let accounts = accounts
            .iter()
            .map(|a| {
                let expires = a
                    .security_token_expires_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis());
                (
                    a.access_key_id.clone(),
                    Account {
                        secret: a.access_key_secret.clone(),
                        security_token: a.security_token.clone(),
                        token_expires_at_ms: expires,
                        disabled: a.disabled,
                        account_id: a.account_id.clone(),
                    },
                )
            })
            .collect();
        Authenticator {
            accounts,
            sessions: Arc::default(),
            nonces: NonceCache::default(),
        }
    }

    /// Accepts the temporary credentials in `sessions` too.
    pub fn with_sessions(mut self, sessions: Arc<Sessions>) -> Self {
        self.sessions = sessions;
        self
    }

    /// Forgets every used nonce.
    pub fn clear_nonces(&self) {
        self.nonces.clear();
    }

    /// Returns the caller's AccessKeyId, or the error the gateway would answer.
    pub fn authenticate(&self, req: &SignedRequest<'_>, now_ms: i64) -> Result<String, ApiError> {
        self.authenticate_principal(req, now_ms)
            .map(|p| p.access_key_id)
    }

    /// Returns who signed the request, or the error the gateway would answer.
    pub fn authenticate_principal(
        &self,
        req: &SignedRequest<'_>,
        now_ms: i64,
    ) -> Result<Principal, ApiError> {
        match req.style {
            SignatureStyle::V1 => self.authenticate_v1(req, now_ms),
            SignatureStyle::V3 => self.authenticate_v3(req, now_ms),
        }
    }

    fn authenticate_v1(&self, req: &SignedRequest<'_>, now_ms: i64) -> Result<Principal, ApiError> {
        let get = |name: &str| {
            req.params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let required = |name: &str| get(name).ok_or_else(|| ApiError::missing_parameter(name));
        let access_key_id = required("AccessKeyId")?;
        let signature = required("Signature")?;
        let method = required("SignatureMethod")?;
        let version = required("SignatureVersion")?;
        let nonce = required("SignatureNonce")?;
        let timestamp = required("Timestamp")?;
        if method != "HMAC-SHA1" || version != "1.0" {
            return Err(ApiError::incomplete_signature());
        }
        check_timestamp(timestamp, now_ms)?;
        let account = self.account(access_key_id, get("SecurityToken"), now_ms)?;
        let string_to_sign = v1::string_to_sign(req.method, req.params);
        // Alibaba's credentials library signs STS calls with form encoding (space as '+').
        let form_string_to_sign = || v1::string_to_sign_form(req.method, req.params);
        if !v1::verify(account.secret.expose(), &string_to_sign, signature)
            && !v1::verify(account.secret.expose(), &form_string_to_sign(), signature)
        {
            let mut shown = req.params.clone();
            if let Some(token) = shown.get_mut("SecurityToken") {
                *token = "<redacted>".to_string();
            }
            return Err(ApiError::signature_does_not_match(&v1::string_to_sign(
                req.method, &shown,
            )));
        }
        self.record_nonce(access_key_id, nonce, now_ms)?;
        Ok(account.principal)
    }

    fn authenticate_v3(&self, req: &SignedRequest<'_>, now_ms: i64) -> Result<Principal, ApiError> {
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let auth = header("authorization")
            .and_then(v3::parse_authorization)
            .ok_or_else(ApiError::incomplete_signature)?;
        if auth.algorithm != v3::ALGORITHM {
            return Err(ApiError::incomplete_signature());
        }
        let timestamp =
            header("x-acs-date").ok_or_else(|| ApiError::missing_parameter("x-acs-date"))?;
        let nonce = header("x-acs-signature-nonce")
            .ok_or_else(|| ApiError::missing_parameter("x-acs-signature-nonce"))?;
        // Host and every x-acs-* header present must be signed.
        let must_sign = req
            .headers
            .keys()
            .map(|k| k.as_str())
            .filter(|k| *k == "host" || k.starts_with("x-acs-"));
        for name in must_sign {
            if !auth.signed_headers.iter().any(|s| s == name) {
                return Err(ApiError::incomplete_signature());
            }
        }
        check_timestamp(timestamp, now_ms)?;
        let token = header("x-acs-security-token").or_else(|| {
            req.params
                .get("SecurityToken")
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        });
        let account = self.account(&auth.access_key_id, token, now_ms)?;
        // The canonical request uses the real body's hash: a wrong x-acs-content-sha256 fails.
        let payload_hash = v3::hex_sha256(req.body);
        let canonical = v3::canonical_request(
            req.method,
            req.query,
            req.headers,
            &auth.signed_headers,
            &payload_hash,
            &[],
        );
        let string_to_sign = v3::string_to_sign(&canonical);
        if !v3::verify(account.secret.expose(), &string_to_sign, &auth.signature) {
            let mut query = req.query.clone();
            if let Some(token) = query.get_mut("SecurityToken") {
                *token = "<redacted>".to_string();
            }
            let shown = v3::canonical_request(
                req.method,
                &query,
                req.headers,
                &auth.signed_headers,
                &payload_hash,
                &["x-acs-security-token"],
            );
            return Err(ApiError::signature_does_not_match(&format!(
                "{string_to_sign} (canonical request: {shown})"
            )));
        }
        self.record_nonce(&auth.access_key_id, nonce, now_ms)?;
        Ok(account.principal)
    }

    /// Looks the key up (a configured account, else issued temporary credentials) and
    /// checks its state and STS token.
    fn account(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now_ms: i64,
    ) -> Result<Resolved, ApiError> {
        let Some(account) = self.accounts.get(access_key_id) else {
            return self.session(access_key_id, token, now_ms);
        };
        if account.disabled {
            return Err(ApiError::access_key_inactive());
        }
        match (&account.security_token, token) {
            (None, None) => {}
            (None, Some(_)) => return Err(ApiError::security_token_mismatch()),
            (Some(_), None) => return Err(ApiError::security_token_missing()),
            (Some(expected), Some(given)) => {
                if !same_secret(expected.expose(), given) {
                    return Err(ApiError::security_token_mismatch());
                }
                if account.token_expires_at_ms.is_some_and(|at| at <= now_ms) {
                    return Err(ApiError::security_token_expired());
                }
            }
        }
        Ok(Resolved {
            secret: account.secret.clone(),
            principal: Principal {
                access_key_id: access_key_id.to_string(),
                tenant: access_key_id.to_string(),
                account_id: account.account_id.clone(),
                session: None,
            },
        })
    }

    /// Temporary credentials the emulator issued: the token must match and be unexpired.
    fn session(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now_ms: i64,
    ) -> Result<Resolved, ApiError> {
        let session = self
            .sessions
            .get(access_key_id)
            .ok_or_else(ApiError::access_key_not_found)?;
        let given = token.ok_or_else(ApiError::security_token_missing)?;
        if !same_secret(session.token.expose(), given) {
            return Err(ApiError::security_token_mismatch());
        }
        if session.expires_at_ms <= now_ms {
            return Err(ApiError::security_token_expired());
        }
        Ok(Resolved {
            secret: session.secret.clone(),
            principal: Principal {
                access_key_id: access_key_id.to_string(),
                tenant: session.tenant.clone(),
                account_id: Some(session.account_id.clone()),
                session: Some(session),
            },
        })
    }

    fn record_nonce(&self, access_key_id: &str, nonce: &str, now_ms: i64) -> Result<(), ApiError> {
        if self.nonces.check_and_record(access_key_id, nonce, now_ms) {
            Ok(())
        } else {
            Err(ApiError::nonce_used())
        }
    }
}

/// Compares digests rather than the strings, so timing reveals nothing useful.
fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// `yyyy-MM-ddTHH:mm:ssZ` (any RFC 3339 time is accepted), within the tolerance.
fn check_timestamp(value: &str, now_ms: i64) -> Result<(), ApiError> {
    let at =
        chrono::DateTime::parse_from_rfc3339(value).map_err(|_| ApiError::timestamp_format())?;
    if (at.timestamp_millis() - now_ms).abs() > TIMESTAMP_TOLERANCE_MS {
        return Err(ApiError::timestamp_expired());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::params::decode_urlencoded;

    const NOW_MS: i64 = 1_700_000_000_000; // 2023-11-14T22:13:20Z

    fn authenticator() -> Authenticator {
        Authenticator::new(&[
            AccountConfig {
                access_key_id: "ak".into(),
                access_key_secret: Secret::new("sk"),
                security_token: None,
                security_token_expires_at: None,
                disabled: false,
                account_id: None,
            },
            AccountConfig {
                access_key_id: "STS.ak".into(),
                access_key_secret: Secret::new("sts-sk"),
                security_token: Some(Secret::new("tok")),
                security_token_expires_at: Some("2030-01-01T00:00:00Z".into()),
                disabled: false,
                account_id: None,
            },
            AccountConfig {
                access_key_id: "off".into(),
                access_key_secret: Secret::new("sk"),
                security_token: None,
                security_token_expires_at: None,
                disabled: true,
                account_id: None,
            },
        ])
    }

    fn signed_v1(ak: &str, secret: &str, extra: &str, nonce: &str) -> ParamMap {
        let mut p = ParamMap::new();
        decode_urlencoded(
            format!(
                "Action=GetInstanceList&Version=2018-10-15&AccessKeyId={ak}&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce={nonce}&Timestamp=2023-11-14T22:13:20Z{extra}"
            )
            .as_bytes(),
            &mut p,
        )
        .unwrap();
        let sig = v1::sign(secret, &v1::string_to_sign("POST", &p));
        p.insert("Signature".into(), sig);
        p
    }

    fn check(auth: &Authenticator, p: &ParamMap) -> Result<String, ApiError> {
        let headers = HeaderMap::new();
        auth.authenticate(
            &SignedRequest {
                style: SignatureStyle::V1,
                method: "POST",
                params: p,
                query: p,
                headers: &headers,
                body: b"",
            },
            NOW_MS,
        )
    }

    #[test]
    fn v1_matrix() {
        let auth = authenticator();
        assert_eq!(
            check(&auth, &signed_v1("ak", "sk", "", "n1")).unwrap(),
            "ak"
        );
        assert_eq!(
            check(&auth, &signed_v1("ak", "sk", "", "n1"))
                .unwrap_err()
                .code,
            "SignatureNonceUsed"
        );
        assert_eq!(
            check(&auth, &signed_v1("ak", "bad", "", "n2"))
                .unwrap_err()
                .code,
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            check(&auth, &signed_v1("nobody", "sk", "", "n3"))
                .unwrap_err()
                .code,
            "InvalidAccessKeyId.NotFound"
        );
        assert_eq!(
            check(&auth, &signed_v1("off", "sk", "", "n4"))
                .unwrap_err()
                .code,
            "InvalidAccessKeyId.Inactive"
        );
        assert_eq!(
            check(&auth, &signed_v1("STS.ak", "sts-sk", "", "n5"))
                .unwrap_err()
                .code,
            "MissingSecurityToken"
        );
        assert_eq!(
            check(
                &auth,
                &signed_v1("STS.ak", "sts-sk", "&SecurityToken=nope", "n6")
            )
            .unwrap_err()
            .code,
            "InvalidSecurityToken.MismatchWithAccessKey"
        );
        assert_eq!(
            check(
                &auth,
                &signed_v1("STS.ak", "sts-sk", "&SecurityToken=tok", "n7")
            )
            .unwrap(),
            "STS.ak"
        );
        let mut p = signed_v1("ak", "sk", "", "n8");
        p.remove("Timestamp");
        assert_eq!(check(&auth, &p).unwrap_err().code, "MissingParameter");
        let mut p = signed_v1("ak", "sk", "", "n9");
        p.insert("SignatureMethod".into(), "HMAC-SHA256".into());
        assert_eq!(check(&auth, &p).unwrap_err().code, "IncompleteSignature");
        let mut p = signed_v1("ak", "sk", "", "n10");
        p.insert("Timestamp".into(), "2023-11-14T21:58:19Z".into());
        assert_eq!(
            check(&auth, &p).unwrap_err().code,
            "InvalidTimeStamp.Expired"
        );
        p.insert("Timestamp".into(), "yesterday".into());
        assert_eq!(
            check(&auth, &p).unwrap_err().code,
            "InvalidTimeStamp.Format"
        );
    }

    #[test]
    fn mismatch_message_shows_string_to_sign_without_token() {
        let auth = authenticator();
        let err = check(
            &auth,
            &signed_v1("STS.ak", "wrong", "&SecurityToken=tok", "m1"),
        )
        .unwrap_err();
        assert!(err
            .message
            .contains("server string to sign is:POST&%2F&AccessKeyId%3DSTS.ak"));
        assert!(err.message.contains("SecurityToken%3D%253Credacted%253E"));
        assert!(!err.message.contains("tok%26") && !err.message.contains("%3Dtok"));
    }
}
