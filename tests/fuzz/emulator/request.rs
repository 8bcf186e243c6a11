//! Raw requests: parsing them leniently, and building validly signed ones.

use alikafka::emulator::params::{decode_urlencoded, ParamMap};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rand::rngs::StdRng;
use rand::Rng;

use super::*;
use crate::emulator_support::{self as support, Creds, V3Request};
use crate::harness::random_text;

// ----- raw requests -----

#[derive(Debug)]
pub(crate) struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub(crate) fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
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
pub(crate) fn parse_request(input: &[u8]) -> RawRequest {
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

pub(crate) fn is_form(headers: &HeaderMap) -> bool {
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
pub(crate) fn gateway_params(req: &RawRequest) -> Option<(ParamMap, ParamMap)> {
    let mut query = ParamMap::new();
    decode_urlencoded(req.query().as_bytes(), &mut query).ok()?;
    let mut params = query.clone();
    if is_form(&req.headers) && !req.body.is_empty() {
        decode_urlencoded(&req.body, &mut params).ok()?;
    }
    Some((query, params))
}

// ----- building signed requests -----

pub(crate) struct Spec {
    pub(crate) creds: Creds,
    v3: bool,
    pub(crate) method: &'static str,
    pub(crate) in_body: bool,
    pub(crate) timestamp: String,
    pub(crate) nonce: String,
    pub(crate) action: String,
    pub(crate) version: String,
    pub(crate) params: Vec<(String, String)>,
    /// Sign with this secret instead of the account's.
    pub(crate) wrong_secret: bool,
    pub(crate) raw_body: Vec<u8>,
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

pub(crate) const ACTIONS: &[&str] = &[
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

pub(crate) fn random_spec(rng: &mut StdRng, timestamp: String) -> Spec {
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
pub(crate) fn build(spec: &Spec) -> RawRequest {
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

pub(crate) fn timestamp_near(rng: &mut StdRng, base_ms: i64) -> String {
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

pub(crate) fn dictionary() -> Vec<&'static [u8]> {
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
