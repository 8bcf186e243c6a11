//! Targets: the emulator's request parsing (`params::decode_urlencoded`), its signature
//! verification (V1 parameters and V3 `Authorization` header, called directly with a fixed
//! clock), and the whole gateway through the axum router in-process (`oneshot`).
//!
//! Inputs are raw HTTP requests: `METHOD target HTTP/1.1`, header lines, a blank line, the
//! body. Signatures are checked against the independent signers of `emulator_support`.

use std::collections::BTreeMap;
use std::sync::Arc;

use alikafka::emulator::auth::{v3, Authenticator, SignatureStyle, SignedRequest};
use alikafka::emulator::config::{AccountConfig, DataLocation, EmulatorConfig, Secret};
use alikafka::emulator::params::{decode_urlencoded, ParamMap, Params};
use alikafka::emulator::server::router;
use alikafka::emulator::state::App;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::Rng;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::emulator_support::{self as support, Creds, V3Request};
use crate::harness::{self, random_text, ByteTarget};

const NOW_MS: i64 = 1_700_000_000_000;
const NOW_TEXT: &str = "2023-11-14T22:13:20Z";
const DEMO_AK: &str = "emulator-demo-ak";
const DEMO_SK: &str = "emulator-demo-sk";
const STS_AK: &str = "STS.fuzz-ak";
const STS_SK: &str = "fuzz-sts-secret/+=";
const STS_TOKEN: &str = "CAIS-fuzz-sts-token/+=:value";
const INSTANCE: &str = "alikafka_post-cn-emulator01";

fn accounts() -> Vec<AccountConfig> {
    let account =
        |ak: &str, sk: &str, token: Option<&str>, expires: Option<&str>, disabled| AccountConfig {
            access_key_id: ak.into(),
            access_key_secret: Secret::new(sk),
            security_token: token.map(Secret::new),
            security_token_expires_at: expires.map(Into::into),
            disabled,
        };
    vec![
        account(DEMO_AK, DEMO_SK, None, None, false),
        account(
            STS_AK,
            STS_SK,
            Some(STS_TOKEN),
            Some("2030-01-01T00:00:00Z"),
            false,
        ),
        account(
            "STS.expired",
            "x-secret",
            Some("old-token"),
            Some("2020-01-01T00:00:00Z"),
            false,
        ),
        account("disabled-ak", "x-secret", None, None, true),
    ]
}

fn secret_of(ak: &str) -> Option<&'static str> {
    match ak {
        DEMO_AK => Some(DEMO_SK),
        STS_AK => Some(STS_SK),
        _ => None,
    }
}

// ----- raw requests -----

#[derive(Debug)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawRequest {
    fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// Lenient parse; header lines that are not valid headers are skipped.
pub fn parse_request(input: &[u8]) -> RawRequest {
    let (head, body) = match input.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (&input[..i], &input[i + 4..]),
        None => (input, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let first = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let mut parts = first.trim_end_matches('\r').split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = HeaderMap::new();
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    RawRequest {
        method,
        target,
        headers,
        body: body.to_vec(),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Query and query+form parameters as the gateway builds them, or `None` when it would
/// refuse them before authentication.
fn gateway_params(req: &RawRequest) -> Option<(ParamMap, ParamMap)> {
    let mut query = ParamMap::new();
    decode_urlencoded(req.query().as_bytes(), &mut query).ok()?;
    let mut params = query.clone();
    if is_form(&req.headers) && !req.body.is_empty() {
        decode_urlencoded(&req.body, &mut params).ok()?;
    }
    Some((query, params))
}

// ----- building signed requests -----

struct Spec {
    creds: Creds,
    v3: bool,
    method: &'static str,
    in_body: bool,
    timestamp: String,
    nonce: String,
    action: String,
    version: String,
    params: Vec<(String, String)>,
    /// Sign with this secret instead of the account's.
    wrong_secret: bool,
    raw_body: Vec<u8>,
}

fn random_creds(rng: &mut StdRng) -> Creds {
    match rng.gen_range(0..6) {
        0 | 1 => Creds::new(DEMO_AK, DEMO_SK, None),
        2 | 3 => Creds::new(STS_AK, STS_SK, Some(STS_TOKEN)),
        4 => Creds::new("STS.expired", "x-secret", Some("old-token")),
        _ => Creds::new(
            ["disabled-ak", "unknown-ak", "", "emulator-demo-ak\u{0}"][rng.gen_range(0..4)],
            "x-secret",
            None,
        ),
    }
}

const ACTIONS: &[&str] = &[
    "GetInstanceList",
    "CreateTopic",
    "GetTopicList",
    "GetTopicStatus",
    "DeleteTopic",
    "ModifyTopicRemark",
    "ModifyPartitionNum",
    "CreateConsumerGroup",
    "GetConsumerList",
    "GetConsumerProgress",
    "DeleteConsumerGroup",
];

/// A value for a business parameter: usually plausible, sometimes hostile.
fn param_value(rng: &mut StdRng, name: &str) -> String {
    if rng.gen_bool(0.25) {
        return random_text(rng, 80);
    }
    match name {
        "InstanceId" => {
            [INSTANCE, "alikafka_post-cn-emulator02", "nope", ""][rng.gen_range(0..4)].into()
        }
        "RegionId" => {
            let long = "x".repeat(70);
            ["cn-hangzhou", "cn-shanghai", "", long.as_str()][rng.gen_range(0..4)].into()
        }
        "Topic" | "ConsumerId" => {
            let long = "x".repeat(64);
            let too_long = "x".repeat(65);
            let names = [
                "orders",
                "t-1",
                "GID_fuzz",
                "a",
                long.as_str(),
                too_long.as_str(),
                "bad name",
            ];
            names[rng.gen_range(0..names.len())].to_owned()
        }
        "PartitionNum" | "AddPartitionNum" | "PageSize" | "CurrentPage" => [
            "0",
            "1",
            "12",
            "360",
            "361",
            "-1",
            " 7 ",
            "9223372036854775808",
            "1.5",
        ][rng.gen_range(0..9)]
        .into(),
        "LocalTopic" | "CompactTopic" => ["true", "FALSE", "yes", ""][rng.gen_range(0..4)].into(),
        _ => random_text(rng, 70),
    }
}

fn random_spec(rng: &mut StdRng, timestamp: String) -> Spec {
    let creds = random_creds(rng);
    let action = if rng.gen_bool(0.95) {
        ACTIONS[rng.gen_range(0..ACTIONS.len())].to_owned()
    } else {
        random_text(rng, 20)
    };
    let version =
        ["2018-10-15", "2019-09-16", "2019-09-16", "2020-01-01"][rng.gen_range(0..4)].to_owned();
    let mut params = Vec::new();
    for name in [
        "RegionId",
        "InstanceId",
        "Topic",
        "Remark",
        "ConsumerId",
        "PartitionNum",
        "AddPartitionNum",
        "LocalTopic",
        "CompactTopic",
        "PageSize",
        "CurrentPage",
        "Format",
    ] {
        if rng.gen_bool(if name == "RegionId" || name == "InstanceId" {
            0.9
        } else {
            0.5
        }) {
            let value = if name == "Format" {
                ["JSON", "XML", "json", "yaml"][rng.gen_range(0..4)].to_owned()
            } else {
                param_value(rng, name)
            };
            params.push((name.to_owned(), value));
        }
    }
    if rng.gen_bool(0.1) {
        params.push((random_text(rng, 10), random_text(rng, 30)));
    }
    let v3 = rng.gen_bool(0.4);
    Spec {
        creds,
        v3,
        method: if rng.gen_bool(0.8) { "POST" } else { "GET" },
        in_body: rng.gen_bool(0.5),
        timestamp,
        nonce: format!("{:032x}", rng.gen::<u128>()),
        action,
        version,
        params,
        wrong_secret: rng.gen_bool(0.1),
        raw_body: if v3 && rng.gen_bool(0.2) {
            random_text(rng, 40).into_bytes()
        } else {
            Vec::new()
        },
    }
}

/// Signs a spec into a raw request (V1 with the common parameters, or V3 headers).
fn build(spec: &Spec) -> RawRequest {
    let secret = if spec.wrong_secret {
        "not-the-secret"
    } else {
        spec.creds.sk.as_str()
    };
    let mut headers = HeaderMap::new();
    let business: support::Params = spec.params.iter().cloned().collect();
    if !spec.v3 {
        let mut p = business;
        for (k, v) in [
            ("Action", spec.action.as_str()),
            ("Version", spec.version.as_str()),
            ("AccessKeyId", spec.creds.ak.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", spec.nonce.as_str()),
            ("Timestamp", spec.timestamp.as_str()),
        ] {
            p.insert(k.into(), v.into());
        }
        if let Some(token) = &spec.creds.token {
            p.insert("SecurityToken".into(), token.clone());
        }
        support::sign_v1(spec.method, &mut p, secret);
        let encoded = support::query_string(&p);
        let (target, body) = if spec.in_body {
            headers.insert(
                "content-type",
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            ("/".to_owned(), encoded.into_bytes())
        } else {
            (format!("/?{encoded}"), Vec::new())
        };
        return RawRequest {
            method: spec.method.into(),
            target,
            headers,
            body,
        };
    }
    let host = "127.0.0.1:9120";
    let creds = Creds::new(&spec.creds.ak, secret, spec.creds.token.as_deref());
    let extra = [
        ("x-acs-date", spec.timestamp.as_str()),
        ("x-acs-signature-nonce", spec.nonce.as_str()),
    ];
    let signed = support::sign_v3(
        &V3Request {
            method: spec.method,
            host,
            query: &business,
            body: &spec.raw_body,
            action: &spec.action,
            version: &spec.version,
            extra_headers: &extra,
        },
        &creds,
    );
    headers.insert("host", HeaderValue::from_static("127.0.0.1:9120"));
    for (name, value) in signed {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    let query = support::query_string(&business);
    RawRequest {
        method: spec.method.into(),
        target: format!("/?{query}"),
        headers,
        body: spec.raw_body.clone(),
    }
}

fn timestamp_near(rng: &mut StdRng, base_ms: i64) -> String {
    let offset_s: i64 = match rng.gen_range(0..10) {
        0 => rng.gen_range(-3600..3600),
        1 => 15 * 60 + rng.gen_range(-2..3),
        _ => rng.gen_range(-600..600),
    };
    let at = chrono::DateTime::from_timestamp_millis(base_ms + offset_s * 1000).unwrap_or_default();
    if rng.gen_bool(0.05) {
        return [
            "yesterday",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20+08:00",
            "9999-99-99T99:99:99Z",
        ][rng.gen_range(0..4)]
        .into();
    }
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn dictionary() -> Vec<&'static [u8]> {
    [
        "&",
        "=",
        "%",
        "%2",
        "%zz",
        "%FF",
        "%C3%28",
        "+",
        "%00",
        "&&",
        "==",
        "Signature=",
        "SignatureMethod=HMAC-SHA256",
        "SignatureVersion=2.0",
        "SecurityToken=",
        "Timestamp=",
        "AccessKeyId=",
        "Format=JSON",
        "Format=XML",
        "Action=CreateTopic",
        "Version=2019-09-16",
        "\r\nauthorization: ACS3-HMAC-SHA256 Credential=",
        "\r\nx-acs-date: ",
        "\r\nx-acs-signature-nonce: ",
        "\r\nx-acs-security-token: ",
        "\r\ncontent-type: application/x-www-form-urlencoded",
        "\r\nx-acs-extra: 1",
        "SignedHeaders=",
        ",Signature=",
        ";",
        ",",
        " ",
        "\r\n",
        "GET",
        "POST",
        "PUT",
        "/x",
        STS_TOKEN,
        DEMO_SK,
        STS_SK,
        "2023-11-14T22:13:20Z",
        "9999-12-31T23:59:59Z",
    ]
    .iter()
    .map(|s| s.as_bytes())
    .collect()
}

// ----- target: parameter decoding -----

pub fn run_params() {
    let dictionary = dictionary();
    harness::fuzz_bytes(ByteTarget {
        name: "emulator_params",
        seeds: vec![
            b"A=1+2&B=%2B%3a&C&D=&&E=%zz".to_vec(),
            b"Action=GetTopicList&Topic=%E4%B8%AD&PageSize=%2010%20".to_vec(),
            b"A=1&A=2".to_vec(),
            b"%FF%FE=x".to_vec(),
        ],
        dictionary: &dictionary,
        generate_percent: 30,
        generate: &mut |rng| harness::random_bytes(rng, &dictionary, 200),
        check: &mut check_params,
    });
}

/// A form decoder written from the spec: `+` is a space, `%XX` a byte, anything else
/// (including a malformed `%`) itself; `None` for non-UTF-8 or a repeated name.
fn reference_decode(raw: &[u8]) -> Option<BTreeMap<String, String>> {
    fn component(raw: &[u8]) -> Option<String> {
        let hex = |b: u8| (b as char).to_digit(16);
        let mut out = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    let mut map = BTreeMap::new();
    for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = component(name)?;
        let value = component(value)?;
        if map.insert(name, value).is_some() {
            return None;
        }
    }
    Some(map)
}

fn check_params(input: &[u8]) -> Result<(), String> {
    let mut map = ParamMap::new();
    let decoded = decode_urlencoded(input, &mut map);
    let expected = reference_decode(input);
    match (&decoded, &expected) {
        (Ok(()), Some(expected)) if &map == expected => {}
        (Err(e), None) => {
            if e.code != "InvalidParameter" || e.status != 400 {
                return Err(format!("refusal with {} {}", e.status, e.code));
            }
            return Ok(());
        }
        _ => {
            return Err(format!(
                "decoded {decoded:?} {map:?}, the reference says {expected:?}"
            ))
        }
    }
    // Re-encoding and decoding again gives the same parameters.
    let encoded = map
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                alikafka::emulator::params::percent_encode(k),
                alikafka::emulator::params::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut again = ParamMap::new();
    decode_urlencoded(encoded.as_bytes(), &mut again)
        .map_err(|e| format!("re-decoding failed: {e:?}"))?;
    if again != map {
        return Err(format!("round trip changed {map:?} into {again:?}"));
    }
    let params = Params::new(&map);
    for (name, value) in &map {
        if let Ok(Some(n)) = params.optional_i64(name) {
            if value.trim().parse::<i64>() != Ok(n) {
                return Err(format!("{value:?} read as the integer {n}"));
            }
        }
        if let Ok(Some(b)) = params.optional_bool(name) {
            if !value.eq_ignore_ascii_case(if b { "true" } else { "false" }) {
                return Err(format!("{value:?} read as the boolean {b}"));
            }
        }
        if params.required(name).is_ok() == value.is_empty() {
            return Err(format!(
                "required({name:?}) disagrees with the value {value:?}"
            ));
        }
    }
    Ok(())
}

// ----- target: signature verification, called directly -----

pub fn run_auth() {
    let dictionary = dictionary();
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(7);
    let seeds = (0..32)
        .map(|_| build(&random_spec(&mut rng, NOW_TEXT.into())).to_bytes())
        .collect();
    harness::fuzz_bytes(ByteTarget {
        name: "emulator_auth",
        seeds,
        dictionary: &dictionary,
        generate_percent: 30,
        generate: &mut |rng| {
            let timestamp = timestamp_near(rng, NOW_MS);
            build(&random_spec(rng, timestamp)).to_bytes()
        },
        check: &mut check_auth,
    });
}

fn check_auth(input: &[u8]) -> Result<(), String> {
    let req = parse_request(input);
    if let Some(value) = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        if let Some(auth) = v3::parse_authorization(value) {
            let mut normal = auth.signed_headers.clone();
            normal.sort();
            normal.dedup();
            if auth.access_key_id.is_empty()
                || auth.signature.is_empty()
                || normal != auth.signed_headers
                || normal
                    .iter()
                    .any(|h| h.is_empty() || h.chars().any(|c| c.is_ascii_uppercase()))
            {
                return Err(format!("parse_authorization gave {auth:?}"));
            }
        }
    }
    let Some((query, params)) = gateway_params(&req) else {
        return Ok(());
    };
    let style = SignatureStyle::detect(&req.headers);
    let signed = SignedRequest {
        style,
        method: &req.method,
        params: &params,
        query: &query,
        headers: &req.headers,
        body: &req.body,
    };
    let authenticator = Authenticator::new(&accounts());
    match authenticator.authenticate(&signed, NOW_MS) {
        Ok(ak) => {
            let secret = secret_of(&ak).ok_or_else(|| format!("authenticated as {ak:?}"))?;
            match style {
                SignatureStyle::V1 => {
                    let expected = reference_v1(&req.method, &params, secret);
                    let given = params.get("Signature").map(|s| s.trim());
                    if given != Some(expected.as_str()) {
                        return Err(format!("V1 signature {given:?} accepted; the reference signer gives {expected:?}"));
                    }
                }
                SignatureStyle::V3 => reference_v3_agrees(&req, &query, secret)?,
            }
            if ak == STS_AK {
                let token = req
                    .headers
                    .get("x-acs-security-token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .or_else(|| params.get("SecurityToken").map(String::as_str));
                if token != Some(STS_TOKEN) {
                    return Err(format!("STS key accepted with token {token:?}"));
                }
            }
            match authenticator.authenticate(&signed, NOW_MS) {
                Err(e) if e.code == "SignatureNonceUsed" => Ok(()),
                other => Err(format!("a replay was answered {other:?}")),
            }
        }
        Err(error) => no_secret_in(&error.message, &req, &params),
    }
}

fn reference_v1(method: &str, params: &ParamMap, secret: &str) -> String {
    let sts = support::string_to_sign_v1(method, params);
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes any key");
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Recomputes an accepted V3 signature from the reference's canonical request.
fn reference_v3_agrees(req: &RawRequest, query: &ParamMap, secret: &str) -> Result<(), String> {
    let header = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("V3 accepted without a readable Authorization header")?;
    let auth = v3::parse_authorization(header.trim())
        .ok_or("V3 accepted with an unparsable Authorization")?;
    let mut canonical_headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<_> = req.headers.get_all(name.as_str()).iter().collect();
        if values.len() > 1 {
            return Ok(()); // the reference says nothing about repeated headers
        }
        let value = match values.first() {
            Some(v) => match v.to_str() {
                Ok(v) => v.trim().to_owned(),
                Err(_) => return Ok(()),
            },
            None => String::new(),
        };
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let canonical = format!(
        "{}\n/\n{}\n{canonical_headers}\n{}\n{}",
        req.method,
        support::query_string(query),
        auth.signed_headers.join(";"),
        hex::encode(Sha256::digest(&req.body))
    );
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(sts.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    if auth.signature.trim().to_ascii_lowercase() != expected {
        return Err(format!(
            "V3 signature {:?} accepted; the reference gives {expected:?}",
            auth.signature
        ));
    }
    Ok(())
}

/// Text the request itself put there (anything but the token's own slots).
fn request_texts(req: &RawRequest, params: &ParamMap) -> Vec<String> {
    let mut texts = vec![req.method.clone(), req.target.clone()];
    for (name, value) in params {
        texts.push(name.clone());
        if name != "SecurityToken" {
            texts.push(value.clone());
        }
    }
    for (name, value) in &req.headers {
        texts.push(name.as_str().to_owned());
        if name != "x-acs-security-token" {
            texts.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
    }
    texts
}

/// Secrets (raw or percent-encoded once or twice) appear in emulator answers only when the
/// request itself carried them outside the token's slots.
fn no_secret_in(text: &str, req: &RawRequest, params: &ParamMap) -> Result<(), String> {
    let texts = request_texts(req, params);
    for secret in [STS_TOKEN, DEMO_SK, STS_SK, "old-token"] {
        let once = support::encode(secret);
        let twice = support::encode(&once);
        let shown = [secret, once.as_str(), twice.as_str()]
            .iter()
            .any(|form| text.contains(form));
        if shown
            && !texts
                .iter()
                .any(|t| t.contains(secret) || t.contains(&once))
        {
            return Err(format!(
                "{secret:?} leaked into: {}",
                harness::escape(text.as_bytes(), 800)
            ));
        }
    }
    Ok(())
}

// ----- target: tampering with a valid request always fails verification -----

#[derive(Debug)]
enum Tamper {
    ChangeValue(usize),
    AddParam,
    RemoveParam(usize),
    SwapMethod,
    SignatureChar(usize, u8),
    BodyByte,
    ChangeSignedHeader(usize),
    RemoveSignedHeader(usize),
    UnsignedAcsHeader,
}

pub fn run_tamper() {
    harness::fuzz_structured(
        "emulator_auth_tamper",
        &mut |rng| {
            let mut spec = random_spec(rng, NOW_TEXT.into());
            spec.creds = if rng.gen_bool(0.5) {
                Creds::new(DEMO_AK, DEMO_SK, None)
            } else {
                Creds::new(STS_AK, STS_SK, Some(STS_TOKEN))
            };
            spec.wrong_secret = false;
            // V3 carries the action in a header, which must be a valid header value.
            spec.action = ACTIONS[rng.gen_range(0..ACTIONS.len())].to_owned();
            let n = rng.gen_range(0..64);
            let tamper = match rng.gen_range(0..9) {
                0 => Tamper::ChangeValue(n),
                1 => Tamper::AddParam,
                2 => Tamper::RemoveParam(n),
                3 => Tamper::SwapMethod,
                4 => Tamper::SignatureChar(n, rng.gen()),
                5 => Tamper::BodyByte,
                6 => Tamper::ChangeSignedHeader(n),
                7 => Tamper::RemoveSignedHeader(n),
                _ => Tamper::UnsignedAcsHeader,
            };
            (build(&spec), tamper)
        },
        &mut |(req, tamper)| check_tamper(req, tamper),
    );
}

fn authenticate_raw(req: &RawRequest) -> Result<String, String> {
    let (query, params) = gateway_params(req).ok_or("parameters refused")?;
    let signed = SignedRequest {
        style: SignatureStyle::detect(&req.headers),
        method: &req.method,
        params: &params,
        query: &query,
        headers: &req.headers,
        body: &req.body,
    };
    Authenticator::new(&accounts())
        .authenticate(&signed, NOW_MS)
        .map_err(|e| format!("{}: {}", e.code, e.message))
}

fn check_tamper(req: &RawRequest, tamper: &Tamper) -> Result<(), String> {
    authenticate_raw(req).map_err(|e| format!("the untouched request was refused: {e}"))?;
    let Some(tampered) = apply_tamper(req, tamper) else {
        return Ok(());
    };
    match authenticate_raw(&tampered) {
        Ok(ak) => Err(format!(
            "accepted as {ak:?} after {tamper:?}: {}",
            harness::escape(&tampered.to_bytes(), 1500)
        )),
        Err(_) => Ok(()),
    }
}

/// The tampered request, or `None` when the tamper does not apply to this request.
fn apply_tamper(req: &RawRequest, tamper: &Tamper) -> Option<RawRequest> {
    let v3 = SignatureStyle::detect(&req.headers) == SignatureStyle::V3;
    let in_body = is_form(&req.headers) && !req.body.is_empty();
    let mut out = RawRequest {
        method: req.method.clone(),
        target: req.target.clone(),
        headers: req.headers.clone(),
        body: req.body.clone(),
    };
    // The parameters V1 signs (all of them) or V3 signs in the query.
    let mut params = ParamMap::new();
    let source = if in_body {
        req.body.clone()
    } else {
        req.query().as_bytes().to_vec()
    };
    decode_urlencoded(&source, &mut params).ok()?;
    let put_params = |out: &mut RawRequest, params: &ParamMap| {
        let encoded = support::query_string(params);
        if in_body {
            out.body = encoded.into_bytes();
        } else {
            out.target = format!("/?{encoded}");
        }
    };
    let signed_names: Vec<String> = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(v3::parse_authorization)
        .map(|a| a.signed_headers)
        .unwrap_or_default();
    match tamper {
        Tamper::ChangeValue(n) => {
            let names: Vec<String> = params
                .keys()
                .filter(|k| *k != "Signature")
                .cloned()
                .collect();
            let name = names.get(n % names.len().max(1))?;
            params.get_mut(name)?.push('x');
            put_params(&mut out, &params);
        }
        Tamper::AddParam => {
            params.insert("FuzzAdded".into(), "1".into());
            put_params(&mut out, &params);
        }
        Tamper::RemoveParam(n) => {
            let names: Vec<String> = params
                .keys()
                .filter(|k| *k != "Signature")
                .cloned()
                .collect();
            let name = names.get(n % names.len().max(1))?.clone();
            params.remove(&name);
            put_params(&mut out, &params);
        }
        Tamper::SwapMethod => out.method = if req.method == "GET" { "POST" } else { "GET" }.into(),
        Tamper::SignatureChar(n, pick) => {
            if v3 {
                let header = req.headers.get("authorization")?.to_str().ok()?.to_owned();
                let at = header.find("Signature=")? + "Signature=".len();
                let sig: Vec<char> = header[at..].chars().collect();
                let i = n % sig.len().max(1);
                let old = sig.get(i)?.to_digit(16)?;
                let new = char::from_digit((old + 1 + u32::from(*pick) % 15) % 16, 16)?;
                let mut changed = sig.clone();
                changed[i] = new;
                let value = format!("{}{}", &header[..at], changed.iter().collect::<String>());
                out.headers
                    .insert("authorization", HeaderValue::from_str(&value).ok()?);
            } else {
                let sig: Vec<char> = params.get("Signature")?.chars().collect();
                let i = n % sig.len().max(1);
                const B64: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                let new = B64[usize::from(*pick) % B64.len()] as char;
                if sig.get(i) == Some(&new) {
                    return None;
                }
                let mut changed = sig.clone();
                changed[i] = new;
                params.insert("Signature".into(), changed.into_iter().collect());
                put_params(&mut out, &params);
            }
        }
        Tamper::BodyByte if v3 => out.body.push(b'x'),
        Tamper::ChangeSignedHeader(n) if v3 => {
            let name = signed_names.get(n % signed_names.len().max(1))?;
            let old = req
                .headers
                .get(name.as_str())?
                .to_str()
                .ok()?
                .trim()
                .to_owned();
            out.headers.insert(
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(&format!("{old}x")).ok()?,
            );
        }
        Tamper::RemoveSignedHeader(n) if v3 => {
            let name = signed_names.get(n % signed_names.len().max(1))?;
            let old = req
                .headers
                .get(name.as_str())?
                .to_str()
                .ok()?
                .trim()
                .to_owned();
            if old.is_empty() {
                return None;
            }
            out.headers.remove(name.as_str());
        }
        Tamper::UnsignedAcsHeader if v3 => {
            out.headers
                .insert("x-acs-fuzz", HeaderValue::from_static("1"));
        }
        _ => return None,
    }
    Some(out)
}

// ----- target: the whole gateway through the router -----

pub fn run_router() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut config = EmulatorConfig::embedded(DataLocation::Memory);
    config.accounts = accounts();
    config.rate_limits.qps = 1_000_000;
    config.rate_limits.create_topic_qps = 1_000_000;
    config.visibility_delay_ms = 0;
    let app = Arc::new(App::new(config).expect("an in-memory emulator"));
    let service = router(Arc::clone(&app));
    let now = || chrono::Utc::now().timestamp_millis();
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(11);
    let mut seeds: Vec<Vec<u8>> = (0..48)
        .map(|_| {
            let mut spec = random_spec(&mut rng, timestamp_now());
            spec.wrong_secret = false;
            build(&spec).to_bytes()
        })
        .collect();
    seeds.push(
        b"PUT /_emulator/settings HTTP/1.1\r\ncontent-type: application/json\r\n\r\n{\"qps\":5}"
            .to_vec(),
    );
    seeds.push(b"POST /_emulator/faults HTTP/1.1\r\n\r\n{\"action\":\"CreateTopic\",\"mode\":\"error\",\"count\":1}".to_vec());
    let mut dictionary = dictionary();
    dictionary.extend([
        &b"/_emulator/"[..],
        b"/_emulator/faults",
        b"/_emulator/settings",
        b"/_emulator/reset",
    ]);
    let mut calls = 0u64;
    harness::fuzz_bytes(ByteTarget {
        name: "emulator_router",
        seeds,
        dictionary: &dictionary,
        generate_percent: 50,
        generate: &mut |rng| {
            let timestamp = timestamp_near(rng, now());
            build(&random_spec(rng, timestamp)).to_bytes()
        },
        check: &mut |input| {
            calls += 1;
            // Keep the state small so every call stays fast.
            if calls % 500 == 0 {
                let _ = runtime.block_on(app.reset());
            }
            check_router(&runtime, &service, &app, input)
        },
    });
}

fn timestamp_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn check_router(
    runtime: &tokio::runtime::Runtime,
    service: &axum::Router,
    app: &Arc<App>,
    input: &[u8],
) -> Result<(), String> {
    let req = parse_request(input);
    let (Ok(method), Ok(uri)) = (
        Method::from_bytes(req.method.as_bytes()),
        Uri::try_from(req.target.as_str()),
    ) else {
        // hyper refuses such a request line before the router sees it.
        return Ok(());
    };
    let control = uri.path().starts_with("/_emulator");
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in &req.headers {
        request = request.header(name, value);
    }
    let request = request
        .body(Body::from(req.body.clone()))
        .map_err(|e| format!("request not buildable: {e}"))?;
    let (status, content_type, body) = runtime.block_on(async {
        let response = match service.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        (status, content_type, body)
    });
    let body = body.map_err(|e| format!("answer body unreadable: {e}"))?;
    if control {
        // The control API may change faults and settings: start the next call clean.
        let _ = runtime.block_on(app.reset());
        return Ok(());
    }
    if !(status.is_success() || status.is_client_error()) {
        return Err(format!("HTTP {status}: {}", harness::escape(&body, 400)));
    }
    let text = std::str::from_utf8(&body).map_err(|_| "answer is not UTF-8".to_owned())?;
    if content_type.starts_with("application/json") {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("bad JSON answer ({e}): {text}"))?;
        if !v["RequestId"].is_string() {
            return Err(format!("answer without RequestId: {text}"));
        }
        if !status.is_success() && !(v["Code"].is_string() && v["Message"].is_string()) {
            return Err(format!("error answer without Code/Message: {text}"));
        }
    } else if content_type.starts_with("text/xml") {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut elements = 0;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(_)) => elements += 1,
                Ok(_) => {}
                Err(e) => return Err(format!("bad XML answer ({e}): {text}")),
            }
        }
        if elements == 0 || (!status.is_success() && !text.contains("<Code>")) {
            return Err(format!("XML answer without structure: {text}"));
        }
    } else {
        return Err(format!("answer with content type {content_type:?}"));
    }
    let params = gateway_params(&req).map(|(_, p)| p).unwrap_or_default();
    no_secret_in(text, &req, &params)
}

#[test]
fn raw_requests_round_trip() {
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(3);
    for _ in 0..50 {
        let req = build(&random_spec(&mut rng, NOW_TEXT.into()));
        let again = parse_request(&req.to_bytes());
        assert_eq!(
            (&again.method, &again.target, &again.headers, &again.body),
            (&req.method, &req.target, &req.headers, &req.body)
        );
    }
}

#[test]
fn valid_signed_requests_verify() {
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(5);
    for _ in 0..100 {
        let mut spec = random_spec(&mut rng, NOW_TEXT.into());
        spec.creds = Creds::new(STS_AK, STS_SK, Some(STS_TOKEN));
        spec.wrong_secret = false;
        let req = build(&spec);
        assert_eq!(authenticate_raw(&req).as_deref(), Ok(STS_AK), "{req:?}");
        check_auth(&req.to_bytes()).unwrap();
    }
}
