//! Signature V1: HMAC-SHA1 over the canonicalized query, carried in the `Signature` parameter.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::emulator::params::{percent_encode, ParamMap};

type HmacSha1 = Hmac<Sha1>;

/// Every parameter but `Signature`, sorted by name, encoded and joined with `&`.
pub fn canonicalized_query(params: &ParamMap) -> String {
    let mut out = String::new();
    for (name, value) in params
        .iter()
        .filter(|(name, _)| name.as_str() != "Signature")
    {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// `METHOD&%2F&percentEncode(canonicalized)`.
pub fn string_to_sign(method: &str, params: &ParamMap) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

/// [`string_to_sign`] with names and values form-encoded (a space as `+`, not `%20`): how
/// Alibaba's credentials library signs its AssumeRole calls (Python's `quote_plus`). The two
/// differ only for values with spaces, such as a session policy.
pub fn string_to_sign_form(method: &str, params: &ParamMap) -> String {
    let form = |text: &str| percent_encode(text).replace("%20", "+");
    let canonical = params
        .iter()
        .filter(|(name, _)| name.as_str() != "Signature")
        .map(|(name, value)| format!("{}={}", form(name), form(value)))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical)
    )
}

fn mac(secret: &str) -> HmacSha1 {
    // HMAC takes keys of any length, so this cannot fail.
    <HmacSha1 as Mac>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC accepts any key length")
}

/// `Base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut m = mac(secret);
    m.update(string_to_sign.as_bytes());
    BASE64.encode(m.finalize().into_bytes())
}

/// Constant-time check of a Base64 signature.
pub fn verify(secret: &str, string_to_sign: &str, signature: &str) -> bool {
    let Ok(given) = BASE64.decode(signature.trim()) else {
        return false;
    };
    let mut m = mac(secret);
    m.update(string_to_sign.as_bytes());
    m.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ParamMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn public_doc_example() -> ParamMap {
        params(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ])
    }

    #[test]
    fn public_doc_example_get_and_post() {
        let p = public_doc_example();
        let sts = string_to_sign("GET", &p);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(sign("testsecret", &sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(
            sign("testsecret", &string_to_sign("POST", &p)),
            "MxbnVAM4w6sft9xjVpe/GCKueuk="
        );
    }

    #[test]
    fn form_encoding_differs_only_for_spaces() {
        let p = public_doc_example();
        assert_eq!(string_to_sign_form("GET", &p), string_to_sign("GET", &p));
        let spaced = params(&[("Policy", "{\"a\": 1}"), ("X", "a+b")]);
        assert_eq!(
            string_to_sign_form("GET", &spaced),
            "GET&%2F&Policy%3D%257B%2522a%2522%253A%2B1%257D%26X%3Da%252Bb"
        );
        assert_ne!(
            string_to_sign_form("GET", &spaced),
            string_to_sign("GET", &spaced)
        );
    }

    #[test]
    fn signature_parameter_is_not_signed() {
        let mut p = public_doc_example();
        p.insert("Signature".into(), "anything".into());
        assert_eq!(
            sign("testsecret", &string_to_sign("GET", &p)),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn darabonba_vectors() {
        let sts = string_to_sign("", &params(&[("test", "ok")]));
        assert_eq!(sts, "&%2F&test%3Dok");
        assert_eq!(
            sign("accessKeySecret", &sts),
            "jHx/oHoHNrbVfhncHEvPdHXZwHU="
        );
        let sts = string_to_sign("GET", &params(&[("query", "test"), ("body", "test")]));
        assert_eq!(sign("secret", &sts), "XlUyV4sXjOuX5FnjUz9IF9tm5rU=");
    }

    #[test]
    fn go_sdk_vectors_with_and_without_sts() {
        let mut p = params(&[
            ("AccessKeyId", "accessKeyId"),
            ("Action", ""),
            ("Format", "JSON"),
            ("RegionId", "regionId"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "MOCK_UUID"),
            ("SignatureType", ""),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "mock date"),
            ("Version", ""),
        ]);
        assert_eq!(
            sign("accessKeySecret", &string_to_sign("GET", &p)),
            "7loPmFjvDnzOVnQeQNj85S6nFGY="
        );
        p.insert("SecurityToken".into(), "accessKeyStsToken".into());
        assert_eq!(
            sign("accessKeySecret", &string_to_sign("GET", &p)),
            "5Nxdcler+ihqWqv0Hr2On4PsBf4="
        );
    }

    #[test]
    fn raw_hmac_vectors() {
        // `sign` appends "&" to the key, so use the raw MAC for these.
        for (data, expected) in [
            ("source", "Jv4yi8SobFhg5t1C7nWLbhBSFZQ="),
            ("中文unicode", "szlfHs3WVaO/HgY3Cg7/uyXDaRw="),
        ] {
            let mut m = <HmacSha1 as Mac>::new_from_slice(b"secret").unwrap();
            m.update(data.as_bytes());
            assert_eq!(BASE64.encode(m.finalize().into_bytes()), expected);
        }
    }

    #[test]
    fn verify_accepts_only_the_right_signature() {
        let sts = string_to_sign("GET", &public_doc_example());
        assert!(verify("testsecret", &sts, "OLeaidS1JvxuMvnyHOwuJ+uX5qY="));
        assert!(!verify("testsecret", &sts, "0LeaidS1JvxuMvnyHOwuJ+uX5qY="));
        assert!(!verify("other", &sts, "OLeaidS1JvxuMvnyHOwuJ+uX5qY="));
        assert!(!verify("testsecret", &sts, "not base64!"));
    }
}
