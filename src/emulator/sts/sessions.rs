//! Temporary credentials the emulator issued (STS, the ECS metadata and credentials-URI
//! stand-ins): kept in memory until well after they expire, looked up by AccessKeyId when a
//! request signed with them arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use serde::Serialize;

use super::ram::Permissions;
use crate::emulator::config::Secret;

/// Expired sessions are forgotten this long after their expiry (until then a request with
/// them answers `InvalidSecurityToken.Expired`, not `InvalidAccessKeyId.NotFound`).
const KEEP_AFTER_EXPIRY_MS: i64 = 3600 * 1000;

/// How a session was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Origin {
    AssumeRole,
    AssumeRoleWithOIDC,
    EcsMetadata,
    CredentialsUri,
}

/// One issued set of temporary credentials and what it may do.
#[derive(Debug)]
pub struct Session {
    pub access_key_id: String,
    pub secret: Secret,
    pub token: Secret,
    pub expires_at_ms: i64,
    pub role_arn: String,
    pub role_name: String,
    pub session_name: String,
    pub account_id: String,
    /// The AccessKeyId of the account that owns the role: instances are owned by keys.
    pub tenant: String,
    pub permissions: Permissions,
    pub origin: Origin,
    pub issued_at_ms: i64,
}

impl Session {
    /// `acs:ram::<account>:assumed-role/<role>/<session>`, as GetCallerIdentity names it.
    pub fn principal_arn(&self) -> String {
        format!(
            "acs:ram::{}:assumed-role/{}/{}",
            self.account_id, self.role_name, self.session_name
        )
    }
}

/// What `GET /_emulator/sts/sessions` lists (never a secret).
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub access_key_id: String,
    pub role_arn: String,
    pub session_name: String,
    pub origin: Origin,
    pub issued_at: String,
    pub expires_at: String,
    pub expired: bool,
}

#[derive(Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Arc<Session>>>,
}

/// A fresh key pair and token in the shapes STS uses (`STS.` ids, `CAIS` tokens).
pub fn new_credentials() -> (String, Secret, Secret) {
    let mut rng = rand::thread_rng();
    let id: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(25)
        .map(char::from)
        .collect();
    let secret: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(44)
        .map(char::from)
        .collect();
    let mut token = [0u8; 240];
    rng.fill_bytes(&mut token);
    (
        format!("STS.{id}"),
        Secret::new(secret),
        Secret::new(format!("CAIS{}", BASE64.encode(token))),
    )
}

impl Sessions {
    pub fn insert(&self, session: Session, now_ms: i64) -> Arc<Session> {
        let session = Arc::new(session);
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.expires_at_ms + KEEP_AFTER_EXPIRY_MS > now_ms);
        map.insert(session.access_key_id.clone(), Arc::clone(&session));
        session
    }

    pub fn get(&self, access_key_id: &str) -> Option<Arc<Session>> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(access_key_id)
            .cloned()
    }

    pub fn list(&self, now_ms: i64) -> Vec<SessionView> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<SessionView> = map
            .values()
            .map(|s| SessionView {
                access_key_id: s.access_key_id.clone(),
                role_arn: s.role_arn.clone(),
                session_name: s.session_name.clone(),
                origin: s.origin,
                issued_at: format_time(s.issued_at_ms),
                expires_at: format_time(s.expires_at_ms),
                expired: s.expires_at_ms <= now_ms,
            })
            .collect();
        all.sort_by(|a, b| a.issued_at.cmp(&b.issued_at));
        all
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, as STS writes Expiration.
pub fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_look_like_sts_ones_and_differ_each_time() {
        let (id, secret, token) = new_credentials();
        let (id2, _, token2) = new_credentials();
        assert!(id.starts_with("STS.") && id.len() == 29, "{id}");
        assert_eq!(secret.expose().len(), 44);
        assert!(token.expose().starts_with("CAIS") && token.expose().len() > 300);
        assert_ne!(id, id2);
        assert_ne!(token.expose(), token2.expose());
    }

    #[test]
    fn times_have_second_precision() {
        assert_eq!(format_time(1_700_000_000_999), "2023-11-14T22:13:20Z");
    }
}
