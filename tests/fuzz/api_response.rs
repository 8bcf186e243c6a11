//! Target: the API client's answer parser (HTTP status + headers + body → response or
//! `ApiError`). The client always asks for `Format=JSON`, so it parses only JSON; an XML
//! (or HTML) body is an error quoting a short prefix, and the seeds include such bodies.
//!
//! Inputs are raw HTTP answers (`HTTP/1.1 <status> ...`, headers, blank line, body); text
//! without a status line is a body answered with 200.

use std::sync::OnceLock;
use std::time::Duration;

use alikafka::api::fuzzing::{interpret_response, interpret_secret_response};
use alikafka::api::signing::percent_encode;
use alikafka::api::{
    codes, ApiError, Backoff, Credentials, DescribeAclsResponse, DescribeSaslUsersResponse,
    EmptyResponse, GetAllowedIpListResponse, GetConsumerListResponse, GetConsumerProgressResponse,
    GetInstanceListResponse, GetTopicListResponse, GetTopicStatusResponse,
    GetTopicSubscribeStatusResponse, ListTagResourcesResponse, SecretString,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rand::rngs::StdRng;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::harness::{self, random_text, windows, ByteTarget};

const SECRET: &str = "FuzzSecret/Key+0123456789=abcdef";
const TOKEN: &str = "CAIS:fuzz/token+value=0123456789XYZ";
const SIGNATURE: &str = "c2lnbmF0dXJlLWZ1enotMDEyMzQ1Njc4OQ+/=";
/// A SASL password as DescribeSaslUsers answers it: no error may show any of it.
const PASSWORD: &str = "SaslPassword-fuzz-0123456789";
/// A secret fragment at least this long in our output is a leak.
const LEAK_WINDOW: usize = 12;
/// Error texts quote at most this many characters of the body (plus fixed wording).
const BODY_QUOTE_BOUND: usize = 121 + 60;
/// No server-provided text in an error (message, code, ids) is longer than this.
const SERVER_TEXT_BOUND: usize = 2048 + 1;

pub fn run() {
    let dictionary = dictionary();
    let dictionary: Vec<&[u8]> = dictionary.iter().map(Vec::as_slice).collect();
    harness::fuzz_bytes(ByteTarget {
        name: "api_response",
        seeds: seeds(),
        dictionary: &dictionary,
        generate_percent: 20,
        generate: &mut generate,
        check: &mut check,
    });
}

struct RawResponse {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Lenient split of a raw answer; invalid header lines are skipped.
fn parse_raw(input: &[u8]) -> RawResponse {
    let mut raw = RawResponse {
        status: 200,
        headers: HeaderMap::new(),
        body: input.to_vec(),
    };
    if !input.starts_with(b"HTTP/") {
        return raw;
    }
    let (head, body) = match find(input, b"\r\n\r\n") {
        Some(i) => (&input[..i], &input[i + 4..]),
        None => (input, &[][..]),
    };
    raw.body = body.to_vec();
    let mut lines = head.split(|b| *b == b'\n');
    if let Some(status_line) = lines.next() {
        let status = String::from_utf8_lossy(status_line);
        raw.status = status
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(200);
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(trim_ascii(&line[colon + 1..])),
        ) else {
            continue;
        };
        raw.headers.append(name, value);
    }
    raw
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn credentials() -> Credentials {
    Credentials::new("fuzz-ak", SECRET, Some(SecretString::new(TOKEN)))
}

/// Our secrets as they may appear in server text: raw, percent-encoded once and twice.
fn needles() -> Vec<String> {
    let mut out = Vec::new();
    for secret in [SECRET, TOKEN, SIGNATURE] {
        let once = percent_encode(secret);
        let twice = percent_encode(&once);
        out.extend([secret.to_owned(), once, twice]);
    }
    out
}

fn check(input: &[u8]) -> Result<(), String> {
    let raw = parse_raw(input);
    check_as::<EmptyResponse>(&raw)?;
    // One typed response per input (debug builds decode slowly): chosen by the input, so
    // a saved input replays the same way.
    match input.len() % 10 {
        0 => check_as::<GetTopicListResponse>(&raw),
        1 => check_as::<GetConsumerListResponse>(&raw),
        2 => check_as::<GetInstanceListResponse>(&raw),
        3 => check_as::<GetTopicStatusResponse>(&raw),
        4 => check_as::<GetConsumerProgressResponse>(&raw),
        5 => check_as::<GetTopicSubscribeStatusResponse>(&raw),
        6 => check_as::<ListTagResourcesResponse>(&raw),
        7 => check_as::<DescribeAclsResponse>(&raw),
        8 => check_as::<GetAllowedIpListResponse>(&raw),
        _ => check_secret_answer(&raw),
    }
}

/// DescribeSaslUsers: whatever the answer, an error shows nothing of the body (a password
/// may be anywhere in it), and a success never prints a password.
fn check_secret_answer(raw: &RawResponse) -> Result<(), String> {
    let outcome = interpret_secret_response::<DescribeSaslUsersResponse>(
        "DescribeSaslUsers",
        raw.status,
        &raw.body,
        &credentials(),
        SIGNATURE,
    );
    let shown = match &outcome {
        Ok((response, _)) => format!("{response:?}"),
        Err(error) => {
            let json: Option<Value> = serde_json::from_slice(&raw.body).ok();
            check_error(raw, json.as_ref(), error)?;
            format!("{error} {error:?}")
        }
    };
    // The envelope's own texts (Message, Code, ...) are the server's words, shown as
    // sent; only the rest of the body may hold users and their passwords.
    let envelope: String = serde_json::from_slice::<Value>(&raw.body)
        .ok()
        .map(|json| {
            ["Message", "Code", "RequestId", "Recommend"]
                .iter()
                .filter_map(|k| json.get(*k).and_then(scalar_text))
                .collect::<Vec<_>>()
                .join("\u{0}")
        })
        .unwrap_or_default();
    for window in windows(PASSWORD, LEAK_WINDOW) {
        if shown.contains(window.as_str()) && !envelope.contains(window.as_str()) {
            return Err(format!("password fragment {window:?} shown: {shown}"));
        }
    }
    if let Err(error) = &outcome {
        if error.code == codes::MALFORMED_RESPONSE && !error.message.contains("not quoted") {
            return Err(format!("a secret answer was quoted: {}", error.message));
        }
    }
    Ok(())
}

fn check_as<R: DeserializeOwned + std::fmt::Debug>(raw: &RawResponse) -> Result<(), String> {
    let (outcome, retry_after) = interpret_response::<R>(
        "GetTopicList",
        raw.status,
        &raw.headers,
        &raw.body,
        &credentials(),
        SIGNATURE,
    );
    let delay = Backoff::default().delay(0, true, retry_after);
    if delay > Duration::from_secs(60) {
        return Err(format!("retry delay {delay:?} beyond the 60 s bound"));
    }
    let json: Option<Value> = serde_json::from_slice(&raw.body).ok();
    match outcome {
        Ok((response, request_id)) => {
            // Success needs a 2xx status, a JSON object without failure markers.
            if !(200..300).contains(&raw.status) {
                return Err(format!("HTTP {} accepted as success", raw.status));
            }
            let Some(json) = json else {
                return Err("a body that is not JSON accepted as success".into());
            };
            let success = json.get("Success").and_then(scalar_text);
            if success.as_deref().map(str::trim) == Some("false") {
                return Err("\"Success\": false accepted as success".into());
            }
            let code = json.get("Code").and_then(scalar_text);
            if code.as_deref().is_some_and(|c| c.trim() != "200") {
                return Err(format!("Code {code:?} accepted as success"));
            }
            let _ = (response, request_id);
            Ok(())
        }
        Err(error) => check_error(raw, json.as_ref(), &error),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn check_error(raw: &RawResponse, json: Option<&Value>, error: &ApiError) -> Result<(), String> {
    let _ = (error.kind(), error.hint(), error.is_retryable());
    let shown = format!("{error} {error:?}");
    if error.http_status != Some(raw.status) {
        return Err(format!("status {:?} != {}", error.http_status, raw.status));
    }
    if json.is_none() {
        if error.code != codes::MALFORMED_RESPONSE {
            return Err(format!("non-JSON body gave code {}", error.code));
        }
        if error.message.chars().count() > BODY_QUOTE_BOUND {
            return Err(format!(
                "message quotes {} characters of a non-JSON body",
                error.message.chars().count()
            ));
        }
    }
    for (what, text) in [
        ("message", Some(error.message.as_str())),
        ("code", Some(error.code.as_str())),
        ("request id", error.request_id.as_deref()),
        ("recommend", error.recommend.as_deref()),
    ] {
        let count = text.map_or(0, |t| t.chars().count());
        if count > SERVER_TEXT_BOUND {
            return Err(format!("the error's {what} has {count} characters"));
        }
    }
    check_no_leak(raw, json, &shown)
}

/// Every [`LEAK_WINDOW`]-character fragment of every needle, computed once.
fn needle_windows() -> &'static [String] {
    static WINDOWS: OnceLock<Vec<String>> = OnceLock::new();
    WINDOWS.get_or_init(|| {
        needles()
            .iter()
            .flat_map(|n| windows(n, LEAK_WINDOW))
            .collect()
    })
}

/// A window of a secret in our output is a leak unless the server itself sent that
/// fragment (outside a full occurrence of the secret, which must be redacted).
fn check_no_leak(raw: &RawResponse, json: Option<&Value>, shown: &str) -> Result<(), String> {
    let found: Vec<&String> = needle_windows()
        .iter()
        .filter(|w| shown.contains(w.as_str()))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    let mut sorted = needles();
    sorted.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let redact = |text: &str| {
        sorted
            .iter()
            .fold(text.to_owned(), |acc, n| acc.replace(n.as_str(), "***"))
    };
    let mut legit = redact(&String::from_utf8_lossy(&raw.body));
    if let Some(json) = json {
        collect_strings(json, &mut |s| {
            legit.push('\u{0}');
            legit.push_str(&redact(s));
        });
    }
    let legit_collapsed: String = legit.split_whitespace().collect::<Vec<_>>().join(" ");
    for window in found {
        if !legit.contains(window.as_str()) && !legit_collapsed.contains(window.as_str()) {
            return Err(format!("secret fragment {window:?} leaked into: {shown}"));
        }
    }
    Ok(())
}

fn collect_strings(value: &Value, each: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) => each(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, each)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            each(k);
            collect_strings(v, each);
        }),
        _ => {}
    }
}

fn dictionary() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [
        "\"Code\":",
        "\"Success\":",
        "\"Message\":",
        "\"RequestId\":",
        "\"Recommend\":",
        "\"TopicList\":",
        "{\"TopicVO\":[",
        "\"ConsumerList\":",
        "{\"ConsumerVO\":",
        "\"InstanceList\":",
        "\"TopicStatus\":",
        "\"OffsetTable\":",
        "\"ConsumerProgress\":",
        "\"PartitionNum\":",
        "\"UpgradeServiceDetailInfo\":",
        "\"TopicConfig\":",
        "\"Tags\":{\"TagVO\":[",
        "\"TagResources\":{\"TagResource\":[",
        "\"NextToken\":",
        "\"SaslUserList\":{\"SaslUserVO\":[",
        "\"Password\":",
        "\"KafkaAclList\":{\"KafkaAclVO\":[",
        "\"AllowedList\":",
        "\"VpcList\":",
        "\"AllowedIpGroup\":",
        "\"TopicSubscribeStatus\":",
        "true",
        "false",
        "null",
        "\"200\"",
        "200",
        "\"true\"",
        "1e999",
        "-9223372036854775809",
        "18446744073709551616",
        "\"\\ud800\"",
        "\"\\u0000\"",
        "\\u0046",
        "[[[[[[[[[[",
        "{\"a\":{\"a\":{\"a\":",
        "HTTP/1.1 503 Service Unavailable\r\n",
        "x-acs-retry-after: ",
        "\r\n\r\n",
        "<Code>",
        "</Error>",
        "<html>",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    for needle in needles() {
        out.push(needle.into_bytes());
    }
    out
}

fn http(status: u16, headers: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status} X\r\n{headers}\r\n{body}").into_bytes()
}

fn seeds() -> Vec<Vec<u8>> {
    let topic_list = json!({"Code":200,"Success":true,"RequestId":"R1","Message":"operation success.",
        "CurrentPage":1,"PageSize":10000,"Total":"2",
        "TopicList":{"TopicVO":[
            {"Topic":"orders","InstanceId":"alikafka_post-cn-1","RegionId":"cn-hangzhou","Remark":"r",
             "PartitionNum":12,"CreateTime":1700000000000u64,"Status":0,"StatusName":"服务中",
             "CompactTopic":false,"LocalTopic":"true"},
            {"Topic":"t2","PartitionNum":"6"}]}});
    let groups = json!({"Code":"200","Success":"true","RequestId":"R2",
        "ConsumerList":{"ConsumerVO":{"ConsumerId":"g1","InstanceId":"i","RegionId":"cn-hangzhou","Remark":"x"}}});
    let instances = json!({"Code":200,"Success":true,"RequestId":"R3","InstanceList":{"InstanceVO":[
        {"InstanceId":"alikafka_post-cn-1","Name":"n","RegionId":"cn-hangzhou","CreateTime":1,"ExpiredTime":2,
         "DeployType":5,"ServiceStatus":5,"EndPoint":"a:9092","VSwitchId":"vsw","UpgradeServiceDetailInfo":{"Current2OpenSourceVersion":"2.2.0"}}]}});
    let status = json!({"Code":200,"Success":true,"RequestId":"R4","TopicStatus":{"TotalCount":10,"LastTimeStamp":1,
        "OffsetTable":{"OffsetTable":[{"Topic":"t","Partition":0,"MinOffset":0,"MaxOffset":10,"LastUpdateTimestamp":5}]}}});
    let progress = json!({"Code":200,"Success":true,"RequestId":"R5","ConsumerProgress":{"TotalDiff":3,"LastTimestamp":9,
        "TopicList":{"TopicList":[{"Topic":"t","TotalDiff":3,"OffsetList":{"OffsetList":[{"Partition":0,"BrokerOffset":5,"ConsumerOffset":2}]}}]}}});
    let mismatch = format!(
        r#"{{"RequestId":"R6","HostId":"alikafka.cn-hangzhou.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&SecurityToken%3D{}%26Signature%3D{}","Recommend":"https://next.api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"}}"#,
        percent_encode(&percent_encode(TOKEN)),
        percent_encode(SIGNATURE)
    );
    let topic_list_2019 = json!({"Code":200,"Success":true,"RequestId":"R10","CurrentPage":1,"PageSize":10,"Total":1,
        "TopicList":{"TopicVO":[{"Topic":"orders","AutoCreate":false,"LocalTopic":true,
            "TopicConfig":"{\"retention.ms\":\"86400000\",\"replication-factor\":\"3\"}",
            "Tags":{"TagVO":[{"Key":"team","Value":"pay"}]}}]}});
    let tags = json!({"RequestId":"R11","NextToken":"t1","TagResources":{"TagResource":[
        {"ResourceId":"Kafka_i_orders","ResourceType":"Topic","TagKey":"team","TagValue":"pay"}]}});
    let users = json!({"Code":200,"Success":true,"RequestId":"R12","SaslUserList":{"SaslUserVO":[
        {"Username":"svc","Password":PASSWORD,"Type":"scram"}]}});
    let acls = json!({"Code":200,"Success":true,"RequestId":"R13","KafkaAclList":{"KafkaAclVO":[
        {"Username":"svc","AclResourceType":"Topic","AclResourceName":"orders","AclResourcePatternType":"LITERAL",
         "AclOperationType":"Write","AclPermissionType":"ALLOW","Host":"*"}]}});
    let allowed = json!({"Code":200,"Success":true,"RequestId":"R14","AllowedList":{"DeployType":5,
        "VpcList":[{"PortRange":"9092/9092","AllowedIpList":["10.0.0.0/8,192.168.0.1"],
            "AllowedIpGroup":{"10.0.0.0/8,192.168.0.1":"apps"}}],"InternetList":[]}});
    let subscribed = json!({"Code":200,"Success":true,"RequestId":"R15",
        "TopicSubscribeStatus":{"Topic":"orders","ConsumerGroups":["billing"]}});
    let mut seeds = vec![
        http(200, "", &topic_list_2019.to_string()),
        http(200, "", &tags.to_string()),
        http(200, "", &users.to_string()),
        http(200, "", &acls.to_string()),
        http(200, "", &allowed.to_string()),
        http(200, "", &subscribed.to_string()),
        // A DescribeSaslUsers answer cut short, with the password inside.
        http(200, "", &users.to_string()[..60]),
        http(200, "", &topic_list.to_string()),
        http(200, "", &groups.to_string()),
        http(200, "", &instances.to_string()),
        http(200, "", &status.to_string()),
        http(200, "", &progress.to_string()),
        http(400, "", &mismatch),
        http(
            400,
            "x-acs-retry-after: 1500\r\n",
            r#"{"RequestId":"R7","Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#,
        ),
        http(
            200,
            "",
            r#"{"Code":"BIZ_TOPIC_EXISTED","Success":false,"Message":"The topic already exists.","RequestId":"R8"}"#,
        ),
        http(
            503,
            "",
            "<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>R9</RequestId><Code>ServiceUnavailable</Code><Message>The request has failed due to a temporary failure of the server.</Message></Error>",
        ),
        http(
            502,
            "content-type: text/html\r\n",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body></html>",
        ),
        http(200, "", r#"{"Code":200,"TopicList":{"Topi"#),
        http(200, "", ""),
        format!("{{\"Code\":500,\"Message\":\"{SECRET} {TOKEN}\"}}").into_bytes(),
        format!("not json {SIGNATURE} {SECRET}").into_bytes(),
    ];
    seeds.push(
        format!(
            "{}{SECRET}{}",
            "x".repeat(110),
            " and more text after the secret"
        )
        .into_bytes(),
    );
    seeds
}

/// A fresh answer: a random JSON object over the fields the client looks at.
fn generate(rng: &mut StdRng) -> Vec<u8> {
    const STATUSES: &[u16] = &[
        0,
        100,
        200,
        204,
        299,
        300,
        302,
        400,
        403,
        404,
        429,
        500,
        502,
        503,
        999,
        u16::MAX,
    ];
    let status = STATUSES[rng.gen_range(0..STATUSES.len())];
    let mut object = serde_json::Map::new();
    for key in [
        "Code",
        "Success",
        "Message",
        "RequestId",
        "Recommend",
        "TopicList",
        "ConsumerList",
        "InstanceList",
        "TopicStatus",
        "ConsumerProgress",
        "Total",
        "TagResources",
        "NextToken",
        "SaslUserList",
        "KafkaAclList",
        "AllowedList",
        "TopicSubscribeStatus",
    ] {
        if rng.gen_bool(0.5) {
            object.insert(key.to_owned(), random_json(rng, 3));
        }
    }
    let body = if rng.gen_bool(0.1) {
        random_text(rng, 300)
    } else {
        Value::Object(object).to_string()
    };
    let retry = if rng.gen_bool(0.3) {
        format!(
            "x-acs-retry-after: {}\r\n",
            rng.gen::<u64>() >> rng.gen_range(0..64)
        )
    } else {
        String::new()
    };
    http(status, &retry, &body)
}

fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    let secrets = [SECRET, TOKEN, SIGNATURE, PASSWORD];
    match rng.gen_range(0..if depth == 0 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.gen()),
        2 => json!(rng.gen::<i64>() >> rng.gen_range(0..64)),
        3 => json!(
            [
                "200",
                "400",
                "BIZ_TOPIC_NOT_FOUND",
                "Throttling.User",
                " 200 "
            ][rng.gen_range(0..5)]
        ),
        4 => {
            let mut text = random_text(rng, 40);
            if rng.gen_bool(0.3) {
                let at = rng.gen_range(0..=text.chars().count());
                let byte = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
                text.insert_str(byte, secrets[rng.gen_range(0..secrets.len())]);
            }
            if rng.gen_bool(0.05) {
                text = text.repeat(rng.gen_range(10..200));
            }
            Value::String(text)
        }
        5 => json!(rng.gen::<f64>() * 1e6),
        6 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "TopicVO",
                "ConsumerVO",
                "InstanceVO",
                "OffsetTable",
                "TopicList",
                "OffsetList",
                "Topic",
                "PartitionNum",
                "Partition",
                "TagVO",
                "TagResource",
                "SaslUserVO",
                "Password",
                "KafkaAclVO",
                "VpcList",
                "AllowedIpList",
                "TopicConfig",
            ];
            Value::Object(
                (0..rng.gen_range(0..4))
                    .map(|_| {
                        (
                            keys[rng.gen_range(0..keys.len())].to_owned(),
                            random_json(rng, depth - 1),
                        )
                    })
                    .collect(),
            )
        }
    }
}

#[test]
fn raw_answers_split_into_status_headers_and_body() {
    let raw = parse_raw(b"HTTP/1.1 503 Busy\r\nx-acs-retry-after: 7\r\nbad header\r\n\r\n{}");
    assert_eq!(raw.status, 503);
    assert_eq!(raw.headers["x-acs-retry-after"], "7");
    assert_eq!(raw.body, b"{}");
    let plain = parse_raw(b"<html>");
    assert_eq!((plain.status, plain.body.as_slice()), (200, &b"<html>"[..]));
}
