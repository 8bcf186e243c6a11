//! Telling whether a SASL user's password is still the configured one, without keeping
//! the password anywhere.
//!
//! DescribeSaslUsers answers every user's password. Each refresh keeps, in the resource's
//! private state, a salted PBKDF2-HMAC-SHA256 digest of the listed password (a new random
//! salt each time). The plan computes the same digest of the configured password with that
//! salt and compares: any process can, so the plan Terraform makes again while applying
//! agrees with the plan it showed, and a plan with `-refresh=false` compares with what the
//! last refresh saw. The password itself is in no plan and no state; the digest is as hard
//! to reverse as a stored password hash (a random password cannot be recovered from it).

use pbkdf2::pbkdf2_hmac;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::api::SecretString;

/// PBKDF2 rounds for a new digest.
const ROUNDS: u32 = 100_000;
/// Rounds a stored digest may claim: outside this, the private state was not written by
/// this provider, and is not worked on.
const ROUNDS_ACCEPTED: std::ops::RangeInclusive<u32> = 10_000..=1_000_000;
const SALT_LEN: usize = 16;

/// What the private state keeps.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Private {
    password_check: Check,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Check {
    /// Random salt, hex.
    salt: String,
    rounds: u32,
    /// PBKDF2-HMAC-SHA256 of the listed password, hex.
    digest: String,
}

/// What a comparison found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The service listed the configured password at the last refresh.
    Matches,
    /// The service listed another password.
    Differs,
    /// Nothing to compare with: no refresh saw the user listed with a password (an
    /// import not refreshed yet, a user not listed yet, a service that answered none).
    Unknown,
}

/// The digest of `password` for one user (bound to it: two users with one password do not
/// show equal digests).
fn digest(salt: &[u8], rounds: u32, username: &str, user_type: &str, password: &str) -> [u8; 32] {
    let mut salted = salt.to_vec();
    for part in [username, user_type.to_ascii_lowercase().as_str()] {
        salted.extend_from_slice(&(part.len() as u64).to_be_bytes());
        salted.extend_from_slice(part.as_bytes());
    }
    let mut out = [0u8; 32];
    pbkdf2_hmac::<Sha256>(password.as_bytes(), &salted, rounds, &mut out);
    out
}

/// The private state for a user the service lists with `password`; `None` when it lists
/// none (nothing can be compared then).
pub fn private_for_listed(
    username: &str,
    user_type: &str,
    password: &SecretString,
) -> Option<Vec<u8>> {
    if password.is_empty() {
        return None;
    }
    let mut salt = [0u8; SALT_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let private = Private {
        password_check: Check {
            salt: hex::encode(salt),
            rounds: ROUNDS,
            digest: hex::encode(digest(
                &salt,
                ROUNDS,
                username,
                user_type,
                password.expose(),
            )),
        },
    };
    serde_json::to_vec(&private).ok()
}

/// Compares `configured` with the password the last refresh saw listed.
pub fn compare(private: &[u8], username: &str, user_type: &str, configured: &str) -> Verdict {
    let Ok(Private { password_check: c }) = serde_json::from_slice::<Private>(private) else {
        return Verdict::Unknown;
    };
    let (Ok(salt), Ok(listed)) = (hex::decode(&c.salt), hex::decode(&c.digest)) else {
        return Verdict::Unknown;
    };
    if !ROUNDS_ACCEPTED.contains(&c.rounds) {
        return Verdict::Unknown;
    }
    if digest(&salt, c.rounds, username, user_type, configured).as_slice() == listed.as_slice() {
        Verdict::Matches
    } else {
        Verdict::Differs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_tells_the_listed_password_from_others_without_holding_it() {
        let listed = SecretString::new("s3cret-listed");
        let private = private_for_listed("svc", "plain", &listed).expect("a check");
        let text = String::from_utf8(private.clone()).expect("json");
        assert!(!text.contains("s3cret"), "{text}");
        assert_eq!(
            compare(&private, "svc", "plain", "s3cret-listed"),
            Verdict::Matches
        );
        assert_eq!(
            compare(&private, "svc", "PLAIN", "s3cret-listed"),
            Verdict::Matches
        );
        assert_eq!(
            compare(&private, "svc", "plain", "s3cret-other"),
            Verdict::Differs
        );
        // Bound to the user: the same password of another user does not match.
        assert_eq!(
            compare(&private, "svc2", "plain", "s3cret-listed"),
            Verdict::Differs
        );
        assert_eq!(
            compare(&private, "svc", "scram", "s3cret-listed"),
            Verdict::Differs
        );
        // A new salt each time: two refreshes of one password leave different digests.
        let again = private_for_listed("svc", "plain", &listed).expect("a check");
        assert_ne!(again, private);
        assert_eq!(
            compare(&again, "svc", "plain", "s3cret-listed"),
            Verdict::Matches
        );
    }

    #[test]
    fn missing_or_foreign_checks_decide_nothing() {
        assert!(private_for_listed("svc", "plain", &SecretString::new("")).is_none());
        assert_eq!(compare(b"", "svc", "plain", "x"), Verdict::Unknown);
        assert_eq!(
            compare(br#"{"unconfirmed_create":true}"#, "svc", "plain", "x"),
            Verdict::Unknown
        );
        let check = |rounds: u32| {
            serde_json::to_vec(&Private {
                password_check: Check {
                    salt: "00".repeat(SALT_LEN),
                    rounds,
                    digest: "00".repeat(32),
                },
            })
            .expect("json")
        };
        assert_eq!(
            compare(&check(ROUNDS), "svc", "plain", "x"),
            Verdict::Differs
        );
        // Rounds no digest of ours has: a tampered state is not worked on for hours.
        assert_eq!(
            compare(&check(u32::MAX), "svc", "plain", "x"),
            Verdict::Unknown
        );
        assert_eq!(compare(&check(1), "svc", "plain", "x"), Verdict::Unknown);
    }
}
