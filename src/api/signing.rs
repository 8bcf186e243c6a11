//! RPC signature version 1.0 (HMAC-SHA1), exactly as the service computes it.
//!
//! Every function here is pure so the published vectors can be checked directly.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// RFC 3986 encode set: everything except `A-Z a-z 0-9 - _ . ~` is encoded
/// (`percent-encoding` writes upper-case hex, as the service expects).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `input` (UTF-8) leaving only RFC 3986 unreserved characters bare:
/// space becomes `%20`, `*` becomes `%2A`, `~` stays.
pub fn percent_encode(input: &str) -> String {
    utf8_percent_encode(input, RFC3986).to_string()
}

/// The canonicalized query string: pairs sorted by name (byte order, then value),
/// names and values percent-encoded, joined as `name=value` with `&`.
/// Empty values are kept (`Key=`).
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(name, value)| (name.as_ref(), value.as_ref()))
        .collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD & percentEncode("/") & percentEncode(canonical_query)`.
pub fn string_to_sign(method: &str, canonical_query: &str) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(canonical_query)
    )
}

/// `Base64(HMAC-SHA1(key = secret + "&", string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    hmac_sha1_base64(format!("{secret}&").as_bytes(), string_to_sign.as_bytes())
}

/// Signs a whole parameter set: the composition of the three steps above.
pub fn sign_params<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    params: &[(K, V)],
    secret: &str,
) -> String {
    sign(secret, &string_to_sign(method, &canonical_query(params)))
}

/// Raw `Base64(HMAC-SHA1(key, data))`.
pub fn hmac_sha1_base64(key: &[u8], data: &[u8]) -> String {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA1 accepts keys of any length"),
    };
    mac.update(data);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc_example_params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]
    }

    #[test]
    fn public_doc_example_get() {
        assert_eq!(
            sign_params("GET", &doc_example_params(), "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn public_doc_example_string_to_sign() {
        let mut params = doc_example_params();
        // Order of input must not matter: the canonical query sorts.
        params.reverse();
        assert_eq!(
            string_to_sign("GET", &canonical_query(&params)),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
    }

    #[test]
    fn public_doc_example_post() {
        assert_eq!(
            sign_params("POST", &doc_example_params(), "testsecret"),
            "MxbnVAM4w6sft9xjVpe/GCKueuk="
        );
    }

    #[test]
    fn darabonba_go_vector_with_empty_method() {
        let params = [("test", "ok")];
        let sts = string_to_sign("", &canonical_query(&params));
        assert_eq!(sts, "&%2F&test%3Dok");
        assert_eq!(
            sign("accessKeySecret", &sts),
            "jHx/oHoHNrbVfhncHEvPdHXZwHU="
        );
    }

    #[test]
    fn darabonba_python_vector() {
        let params = [("query", "test"), ("body", "test")];
        assert_eq!(
            sign_params("GET", &params, "secret"),
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
        );
    }

    fn go_sdk_params() -> Vec<(&'static str, &'static str)> {
        vec![
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
        ]
    }

    #[test]
    fn go_sdk_vector_signs_empty_values() {
        assert_eq!(
            sign_params("GET", &go_sdk_params(), "accessKeySecret"),
            "7loPmFjvDnzOVnQeQNj85S6nFGY="
        );
        assert!(canonical_query(&go_sdk_params()).contains("&SignatureType=&"));
    }

    #[test]
    fn go_sdk_vector_with_sts_token() {
        let mut params = go_sdk_params();
        params.push(("SecurityToken", "accessKeyStsToken"));
        assert_eq!(
            sign_params("GET", &params, "accessKeySecret"),
            "5Nxdcler+ihqWqv0Hr2On4PsBf4="
        );
    }

    #[test]
    fn encoder_vectors() {
        assert_eq!(percent_encode(" ~/*-+"), "%20~%2F%2A-%2B");
        assert_eq!(
            percent_encode("123abc!@#$%^&*()-=_+ ~|\\/"),
            "123abc%21%40%23%24%25%5E%26%2A%28%29-%3D_%2B%20~%7C%5C%2F"
        );
    }

    #[test]
    fn encoder_uses_utf8_upper_hex() {
        assert_eq!(percent_encode("é中"), "%C3%A9%E4%B8%AD");
    }

    #[test]
    fn raw_hmac_vectors() {
        assert_eq!(
            hmac_sha1_base64(b"secret", b"source"),
            "Jv4yi8SobFhg5t1C7nWLbhBSFZQ="
        );
        assert_eq!(
            hmac_sha1_base64(b"secret", "中文unicode".as_bytes()),
            "szlfHs3WVaO/HgY3Cg7/uyXDaRw="
        );
    }

    /// An independent decoder for the round trip: `%XY` → byte, everything else literal.
    fn percent_decode(input: &str) -> Option<String> {
        let bytes = input.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = input.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok()
    }

    proptest! {
        #[test]
        fn encoder_round_trips(input in any::<String>()) {
            let encoded = percent_encode(&input);
            prop_assert_eq!(percent_decode(&encoded), Some(input));
        }

        #[test]
        fn encoder_leaves_only_unreserved_bare(input in any::<String>()) {
            let encoded = percent_encode(&input);
            let bytes = encoded.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes[i];
                if b == b'%' {
                    let hex = &encoded[i + 1..i + 3];
                    prop_assert!(hex.bytes().all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(&h)),
                        "lower-case or invalid hex in {}", encoded);
                    let decoded = u8::from_str_radix(hex, 16).unwrap_or(0);
                    prop_assert!(!(decoded.is_ascii_alphanumeric() || b"-_.~".contains(&decoded)),
                        "unreserved byte {} was encoded", decoded);
                    i += 3;
                } else {
                    prop_assert!(b.is_ascii_alphanumeric() || b"-_.~".contains(&b),
                        "reserved byte {} left bare in {}", b, encoded);
                    i += 1;
                }
            }
        }

        #[test]
        fn canonical_query_ignores_input_order(mut pairs in proptest::collection::vec(("[A-Za-z]{1,8}", ".{0,8}"), 0..8)) {
            let forward = canonical_query(&pairs);
            pairs.reverse();
            prop_assert_eq!(canonical_query(&pairs), forward);
        }
    }
}
