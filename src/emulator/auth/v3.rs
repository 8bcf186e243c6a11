//! Signature V3 (ACS3-HMAC-SHA256): canonical request over method, path, query, signed
//! headers and body hash; carried in the `Authorization` header.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::emulator::params::{percent_encode, ParamMap};

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// The parts of an `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub algorithm: String,
    pub access_key_id: String,
    /// Lower-cased, sorted, de-duplicated.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses the header; `None` when a part is missing or empty.
pub fn parse_authorization(value: &str) -> Option<Authorization> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ')?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, val) = part.trim().split_once('=')?;
        match name.trim() {
            "Credential" => credential = Some(val.trim().to_string()),
            "SignedHeaders" => signed = Some(val.trim().to_string()),
            "Signature" => signature = Some(val.trim().to_string()),
            _ => {}
        }
    }
    let (credential, signed, signature) = (credential?, signed?, signature?);
    if credential.is_empty() || signed.is_empty() || signature.is_empty() {
        return None;
    }
    let mut signed_headers: Vec<String> = signed
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    signed_headers.sort();
    signed_headers.dedup();
    Some(Authorization {
        algorithm: algorithm.to_string(),
        access_key_id: credential,
        signed_headers,
        signature,
    })
}

/// Hex SHA-256.
pub fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The canonical query: every query parameter, sorted, RFC 3986-encoded.
pub fn canonical_query(query: &ParamMap) -> String {
    query
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD\n/\nquery\nheaders\nsigned\npayload-hash`. `redact` names headers whose values
/// are replaced (for error messages).
pub fn canonical_request(
    method: &str,
    query: &ParamMap,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_hash: &str,
    redact: &[&str],
) -> String {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let mut values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .collect();
        values.sort();
        let joined = if redact.contains(&name.as_str()) {
            "<redacted>".to_string()
        } else {
            values.join(",")
        };
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&joined);
        canonical_headers.push('\n');
    }
    format!(
        "{method}\n/\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        canonical_query(query),
        signed_headers.join(";")
    )
}

/// `ACS3-HMAC-SHA256\nHexSHA256(canonical_request)`.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", hex_sha256(canonical_request.as_bytes()))
}

fn mac(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length")
}

/// `Hex(HMAC-SHA256(secret, string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut m = mac(secret);
    m.update(string_to_sign.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Constant-time check of a hex signature.
pub fn verify(secret: &str, string_to_sign: &str, signature_hex: &str) -> bool {
    let Ok(given) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let mut m = mac(secret);
    m.update(string_to_sign.as_bytes());
    m.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn python_sdk_vector() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("accept", "application/json"),
            ("host", "127.0.0.1:9199"),
            (
                "user-agent",
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
            ),
            ("x-acs-action", "GetInstanceList"),
            (
                "x-acs-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ("x-acs-credentials-provider", "static_ak"),
            ("x-acs-date", "2026-11-27T10:37:40Z"),
            ("x-acs-signature-nonce", "97e40950e21a1958151003c077606d04"),
            ("x-acs-version", "2018-10-15"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let signed: Vec<String> = headers.keys().map(|k| k.as_str().to_string()).collect();
        let auth = parse_authorization(&format!(
            "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders={},Signature=x",
            signed.join(";")
        ))
        .unwrap();
        let query: ParamMap = [("RegionId".to_string(), "cn-hangzhou".to_string())].into();
        let payload = hex_sha256(b"");
        assert_eq!(
            payload,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let cr = canonical_request(
            "POST",
            &query,
            &headers,
            &auth.signed_headers,
            &payload,
            &[],
        );
        let sts = string_to_sign(&cr);
        let expected = "9134b6e3fb7dc213283fea5aff8acef4ca298751876ba89948847ca03f5c861f";
        assert_eq!(sign("b", &sts), expected);
        assert!(verify("b", &sts, expected));
        assert!(!verify("c", &sts, expected));
    }

    #[test]
    fn authorization_parsing() {
        let a = parse_authorization(
            "ACS3-HMAC-SHA256 Credential=AK1, SignedHeaders=x-acs-date;Host;host ,Signature=abc",
        )
        .unwrap();
        assert_eq!(a.algorithm, "ACS3-HMAC-SHA256");
        assert_eq!(a.access_key_id, "AK1");
        assert_eq!(a.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(a.signature, "abc");
        assert!(parse_authorization("ACS3-HMAC-SHA256 Credential=AK1,Signature=abc").is_none());
        assert!(parse_authorization("garbage").is_none());
        assert!(
            parse_authorization("ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=a")
                .is_none()
        );
    }

    #[test]
    fn redaction_hides_the_value_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-acs-security-token",
            HeaderValue::from_static("very-secret"),
        );
        let cr = canonical_request(
            "GET",
            &ParamMap::new(),
            &headers,
            &["x-acs-security-token".to_string()],
            "h",
            &["x-acs-security-token"],
        );
        assert!(!cr.contains("very-secret"));
        assert!(cr.contains("x-acs-security-token:<redacted>"));
    }
}
