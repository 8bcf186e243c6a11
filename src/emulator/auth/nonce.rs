//! Replay protection: a nonce may be used once per AccessKeyId while it could still
//! accompany a valid timestamp.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// How long a nonce is remembered: twice the 15-minute timestamp tolerance, so a replay
/// with any still-acceptable timestamp is caught.
pub const NONCE_TTL_MS: i64 = 2 * 15 * 60 * 1000;
/// Upper bound on remembered nonces, so a flood cannot exhaust memory.
const MAX_NONCES: usize = 1_000_000;

#[derive(Default)]
pub struct NonceCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    seen: HashSet<(String, String)>,
    /// (expiry ms, key) in insertion order, which is expiry order.
    order: VecDeque<(i64, (String, String))>,
}

impl NonceCache {
    /// Records the nonce; `false` when it was already used by this key.
    pub fn check_and_record(&self, access_key_id: &str, nonce: &str, now_ms: i64) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((expiry, _)) = inner.order.front() {
            if *expiry > now_ms && inner.order.len() < MAX_NONCES {
                break;
            }
            if let Some((_, key)) = inner.order.pop_front() {
                inner.seen.remove(&key);
            }
        }
        let key = (access_key_id.to_string(), nonce.to_string());
        if inner.seen.contains(&key) {
            return false;
        }
        inner.seen.insert(key.clone());
        inner.order.push_back((now_ms + NONCE_TTL_MS, key));
        true
    }

    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.seen.clear();
        inner.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_is_single_use_per_key_within_ttl() {
        let cache = NonceCache::default();
        assert!(cache.check_and_record("ak", "n1", 0));
        assert!(!cache.check_and_record("ak", "n1", 1000));
        assert!(cache.check_and_record("other", "n1", 1000));
        assert!(cache.check_and_record("ak", "n1", NONCE_TTL_MS + 1));
        cache.clear();
        assert!(cache.check_and_record("ak", "n1", NONCE_TTL_MS + 2));
    }
}
