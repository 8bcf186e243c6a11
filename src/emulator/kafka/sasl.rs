//! The SASL mechanisms of the SASL_PLAINTEXT listener, server side: PLAIN (RFC 4616) and
//! SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, as Kafka runs them: no channel binding, one
//! SaslAuthenticate round per message). Hand-written: the SCRAM crates on crates.io serve
//! SHA-256 only, and the exchange is a few HMACs over `hmac` and `sha2`.
//!
//! Nothing here logs or returns a password; failures carry no detail.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::digest::core_api::BlockSizeUser;
use hmac::digest::Digest;
use hmac::{Mac, SimpleHmac};
use rand::RngCore;

/// What the listener offers in SaslHandshake.
pub const MECHANISMS: [&str; 3] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

/// The iteration count of the salted passwords (Kafka's minimum is 4096).
const ITERATIONS: u32 = 4096;

/// A mechanism chosen in SaslHandshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl Mechanism {
    pub fn parse(name: &str) -> Option<Mechanism> {
        match name {
            "PLAIN" => Some(Mechanism::Plain),
            "SCRAM-SHA-256" => Some(Mechanism::ScramSha256),
            "SCRAM-SHA-512" => Some(Mechanism::ScramSha512),
            _ => None,
        }
    }

    /// The management API's user type that may log in with this mechanism.
    pub fn user_type(self) -> &'static str {
        match self {
            Mechanism::Plain => "plain",
            Mechanism::ScramSha256 | Mechanism::ScramSha512 => "scram",
        }
    }
}

/// PLAIN's one message: `[authzid] NUL authcid NUL passwd`. An authzid other than the user
/// itself is refused (Kafka's rule).
pub fn parse_plain(bytes: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut parts = text.split('\0');
    let (authzid, user, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || user.is_empty() || (!authzid.is_empty() && authzid != user) {
        return None;
    }
    Some((user.to_owned(), password.to_owned()))
}

/// A SCRAM exchange after the client's first message.
pub struct ScramServer {
    mechanism: Mechanism,
    pub username: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    salt: Vec<u8>,
}

/// SCRAM's `saslname`: `=2C` is `,` and `=3D` is `=`.
fn unescape_name(name: &str) -> Option<String> {
    let out = name.replace("=2C", ",").replace("=3D", "=");
    (!out.contains('=') && !out.is_empty()).then_some(out)
}

impl ScramServer {
    /// Reads `gs2-header client-first-bare` (`n,,n=user,r=nonce`) and prepares the server's
    /// first message.
    pub fn start(mechanism: Mechanism, bytes: &[u8]) -> Option<ScramServer> {
        let text = std::str::from_utf8(bytes).ok()?;
        // No channel binding ("n") and no authzid other than empty or the user.
        let rest = text.strip_prefix("n,")?;
        let (authzid, bare) = rest.split_once(',')?;
        let mut user = None;
        let mut client_nonce = None;
        for attribute in bare.split(',') {
            match attribute.split_at_checked(2) {
                Some(("n=", v)) => user = unescape_name(v),
                Some(("r=", v)) if !v.is_empty() => client_nonce = Some(v.to_owned()),
                _ => {}
            }
        }
        let (username, client_nonce) = (user?, client_nonce?);
        if !authzid.is_empty() && authzid.strip_prefix("a=") != Some(username.as_str()) {
            return None;
        }
        let mut random = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut random);
        let nonce = format!("{client_nonce}{}", B64.encode(random));
        let mut salt = vec![0u8; 16];
        rand::thread_rng().fill_bytes(&mut salt);
        let server_first = format!("r={nonce},s={},i={ITERATIONS}", B64.encode(&salt));
        Some(ScramServer {
            mechanism,
            username,
            client_first_bare: bare.to_owned(),
            server_first,
            nonce,
            salt,
        })
    }

    pub fn is_sha512(&self) -> bool {
        self.mechanism == Mechanism::ScramSha512
    }

    pub fn server_first(&self) -> &[u8] {
        self.server_first.as_bytes()
    }

    /// Checks `c=biws,r=nonce,p=proof` against `password`; answers the server's final
    /// message (`v=signature`) when the proof is right.
    pub fn finish(&self, bytes: &[u8], password: &str) -> Option<Vec<u8>> {
        match self.mechanism {
            Mechanism::ScramSha256 => self.finish_with::<sha2::Sha256>(bytes, password),
            Mechanism::ScramSha512 => self.finish_with::<sha2::Sha512>(bytes, password),
            Mechanism::Plain => None,
        }
    }

    fn finish_with<D>(&self, bytes: &[u8], password: &str) -> Option<Vec<u8>>
    where
        D: Digest + BlockSizeUser + Clone,
    {
        let text = std::str::from_utf8(bytes).ok()?;
        let (without_proof, proof) = text.rsplit_once(",p=")?;
        let mut nonce_ok = false;
        for attribute in without_proof.split(',') {
            match attribute.split_at_checked(2) {
                Some(("c=", v)) if v != "biws" => return None,
                Some(("r=", v)) => nonce_ok = v == self.nonce,
                _ => {}
            }
        }
        if !nonce_ok {
            return None;
        }
        let proof = B64.decode(proof).ok()?;
        let salted = salted_password::<D>(password.as_bytes(), &self.salt, ITERATIONS);
        let client_key = hmac::<D>(&salted, b"Client Key");
        let stored_key = D::digest(&client_key).to_vec();
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        let signature = hmac::<D>(&stored_key, auth_message.as_bytes());
        if proof.len() != signature.len() {
            return None;
        }
        let recovered: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        if D::digest(&recovered).as_slice() != stored_key.as_slice() {
            return None;
        }
        let server_key = hmac::<D>(&salted, b"Server Key");
        let server_signature = hmac::<D>(&server_key, auth_message.as_bytes());
        Some(format!("v={}", B64.encode(server_signature)).into_bytes())
    }
}

fn hmac<D>(key: &[u8], data: &[u8]) -> Vec<u8>
where
    D: Digest + BlockSizeUser + Clone,
{
    // HMAC takes keys of any length.
    let mut mac = <SimpleHmac<D> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 5802's `Hi`: PBKDF2 with HMAC-`D`, one block.
fn salted_password<D>(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8>
where
    D: Digest + BlockSizeUser + Clone,
{
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac::<D>(password, &first);
    let mut out = u.clone();
    for _ in 1..iterations {
        u = hmac::<D>(password, &u);
        out.iter_mut().zip(&u).for_each(|(o, b)| *o ^= b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_messages_are_split_and_checked() {
        assert_eq!(
            parse_plain(b"\0alice\0s3cret"),
            Some(("alice".into(), "s3cret".into()))
        );
        assert_eq!(
            parse_plain(b"alice\0alice\0pw"),
            Some(("alice".into(), "pw".into()))
        );
        assert_eq!(parse_plain(b"bob\0alice\0pw"), None, "acting as another");
        assert_eq!(parse_plain(b"\0\0pw"), None);
        assert_eq!(parse_plain(b"alice"), None);
    }

    /// RFC 7677's SCRAM-SHA-256 example, with its nonce and salt.
    #[test]
    fn the_rfc_7677_exchange_verifies() {
        let mut server =
            ScramServer::start(Mechanism::ScramSha256, b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
                .unwrap();
        assert_eq!(server.username, "user");
        server.nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into();
        server.salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        server.server_first = format!("r={},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", server.nonce);
        let client_final = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        assert_eq!(
            server.finish(client_final, "pencil").unwrap(),
            b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".to_vec()
        );
        assert_eq!(server.finish(client_final, "pencils"), None);
        assert!(ScramServer::start(Mechanism::ScramSha256, b"y,,n=user,r=abc").is_none());
        assert!(ScramServer::start(Mechanism::ScramSha256, b"n,,n=user").is_none());
    }
}
