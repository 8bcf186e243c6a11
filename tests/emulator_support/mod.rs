//! Test-side helpers for the emulator integration tests and the load benchmark: start the
//! real binary, sign requests (a V1 and a V3 signer written from the reference, separate
//! from the emulator's verifier), and talk to the control API.
#![allow(dead_code)] // each test crate uses a different subset

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const DEMO_AK: &str = "emulator-demo-ak";
pub const DEMO_SK: &str = "emulator-demo-sk";
pub const HANGZHOU: &str = "alikafka_post-cn-emulator01";
pub const SHANGHAI: &str = "alikafka_post-cn-emulator02";
pub const V2018: &str = "2018-10-15";
pub const V2019: &str = "2019-09-16";

pub type Params = BTreeMap<String, String>;

/// A running `alikafka-emulator` process; killed on drop.
pub struct Emulator {
    pub child: Child,
    pub base: String,
    pub http: reqwest::Client,
}

impl Emulator {
    /// Starts the binary on a free loopback port with `args` (in-memory state unless given).
    pub fn start(args: &[&str]) -> Emulator {
        let mut full: Vec<String> = vec!["--listen".into(), "127.0.0.1:0".into()];
        if !args.contains(&"--data") {
            full.extend(["--data".into(), ":memory:".into()]);
        }
        full.extend(args.iter().map(|a| a.to_string()));
        Self::start_raw(&full).expect("emulator starts")
    }

    /// Starts the binary with exactly `args`; `Err(stderr-ish message)` if it exits first.
    pub fn start_raw(args: &[String]) -> Result<Emulator, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_alikafka-emulator"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("read: {e}"))?;
        let prefix = "alikafka-emulator listening on http://";
        if !line.starts_with(prefix) {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(stderr) = child.stderr.take() {
                let _ = BufReader::new(stderr).read_line(&mut err);
            }
            let _ = child.wait();
            return Err(format!("first line {line:?}; stderr: {err}"));
        }
        // Keep reading stderr so the child never blocks on a full pipe.
        if let Some(stderr) = child.stderr.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    eprintln!("[emulator] {line}");
                }
            });
        }
        let base = format!("http://{}", line.trim_start_matches(prefix).trim());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Ok(Emulator { child, base, http })
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        self.child.wait().expect("wait")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A signed V1 call with the demo account: POST, parameters in the query, JSON.
    pub async fn call(&self, action: &str, extra: &[(&str, &str)]) -> Reply {
        self.call_as(&Creds::demo(), action, V2018, extra).await
    }

    pub async fn call_as(
        &self,
        creds: &Creds,
        action: &str,
        version: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut params = common_params(creds, action, version);
        for (k, v) in extra {
            params.insert(k.to_string(), v.to_string());
        }
        sign_v1("POST", &mut params, &creds.sk);
        self.send("POST", &params, false).await
    }

    /// Sends already-signed V1 parameters in the query (or, with `in_body`, a form body).
    pub async fn send(&self, method: &str, params: &Params, in_body: bool) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let query = query_string(params);
        let request = if in_body {
            self.http
                .request(method, format!("{}/", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(query)
        } else {
            self.http.request(method, format!("{}/?{query}", self.base))
        };
        Reply::from(request.send().await.expect("request sent")).await
    }

    /// Sends raw bytes as the query string (for malformed-input tests).
    pub async fn send_raw_query(&self, raw_query: &str) -> Reply {
        Reply::from(
            self.http
                .post(format!("{}/?{raw_query}", self.base))
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}/_emulator/{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("control request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn state(&self) -> Value {
        let (status, state) = self.control("GET", "state", None).await;
        assert_eq!(status, 200);
        state
    }

    /// The true-state topics of an instance (from `/_emulator/state`).
    pub async fn state_topics(&self, instance: &str) -> Vec<Value> {
        let state = self.state().await;
        let inst = state["instances"]
            .as_array()
            .expect("instances")
            .iter()
            .find(|i| i["instance_id"] == instance)
            .expect("instance in state")
            .clone();
        inst["topics"].as_array().expect("topics").clone()
    }

    /// Makes sure an action completes despite rate limits (retries throttled calls).
    pub async fn call_until_admitted(&self, action: &str, extra: &[(&str, &str)]) -> Reply {
        for _ in 0..50 {
            let reply = self.call(action, extra).await;
            if reply.code() != "Throttling.User" {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{action} stayed throttled");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Creds {
    pub ak: String,
    pub sk: String,
    pub token: Option<String>,
}

impl Creds {
    pub fn demo() -> Creds {
        Creds::new(DEMO_AK, DEMO_SK, None)
    }
    pub fn new(ak: &str, sk: &str, token: Option<&str>) -> Creds {
        Creds {
            ak: ak.into(),
            sk: sk.into(),
            token: token.map(Into::into),
        }
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.text().await.expect("body");
        Reply {
            status,
            content_type,
            body,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `Code` of a JSON answer, as text (200 for successes).
    pub fn code(&self) -> String {
        match &self.json()["Code"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    pub fn assert_ok(&self) -> Value {
        assert_eq!(self.status, 200, "expected success, got {}", self.body);
        let v = self.json();
        assert_eq!(v["Code"], 200);
        assert_eq!(v["Success"], true);
        assert_eq!(v["Message"], "operation success.");
        assert_request_id(&v["RequestId"]);
        v
    }

    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            (self.status, self.code().as_str()),
            (status, code),
            "body: {}",
            self.body
        );
        let v = self.json();
        assert_request_id(&v["RequestId"]);
        assert!(
            v["HostId"].is_string() && v["Message"].is_string(),
            "error shape: {}",
            self.body
        );
        v
    }
}

pub fn assert_request_id(v: &Value) {
    let id = v.as_str().expect("RequestId is a string");
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(id, id.to_uppercase());
    assert_eq!(id.matches('-').count(), 4);
}

/// RFC 3986 encoding, written independently of the emulator's.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn query_string(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn timestamp_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn common_params(creds: &Creds, action: &str, version: &str) -> Params {
    let mut p = Params::new();
    for (k, v) in [
        ("Action", action.to_string()),
        ("Version", version.to_string()),
        ("Format", "JSON".to_string()),
        ("AccessKeyId", creds.ak.clone()),
        ("SignatureMethod", "HMAC-SHA1".to_string()),
        ("SignatureVersion", "1.0".to_string()),
        ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
        ("Timestamp", timestamp_now()),
    ] {
        p.insert(k.to_string(), v);
    }
    if let Some(token) = &creds.token {
        p.insert("SecurityToken".into(), token.clone());
    }
    p
}

/// V1 StringToSign of the reference.
pub fn string_to_sign_v1(method: &str, params: &Params) -> String {
    let canonical = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&{}&{}", encode("/"), encode(&canonical))
}

/// Signs (or re-signs) `params` in place with V1.
pub fn sign_v1(method: &str, params: &mut Params, secret: &str) {
    params.remove("Signature");
    let sts = string_to_sign_v1(method, params);
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("key");
    mac.update(sts.as_bytes());
    use base64::Engine;
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    params.insert("Signature".into(), sig);
}

/// What a V3 request signs.
pub struct V3Request<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub query: &'a Params,
    pub body: &'a [u8],
    pub action: &'a str,
    pub version: &'a str,
    pub extra_headers: &'a [(&'a str, &'a str)],
}

/// A V3 (ACS3-HMAC-SHA256) request as the Tea SDKs build it: returns the headers to send.
pub fn sign_v3(req: &V3Request<'_>, creds: &Creds) -> Vec<(String, String)> {
    let V3Request {
        method,
        host,
        query,
        body,
        action,
        version,
        extra_headers,
    } = *req;
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    headers.insert("host".into(), host.into());
    headers.insert("x-acs-action".into(), action.into());
    headers.insert("x-acs-version".into(), version.into());
    headers.insert("x-acs-date".into(), timestamp_now());
    headers.insert(
        "x-acs-signature-nonce".into(),
        uuid::Uuid::new_v4().simple().to_string(),
    );
    headers.insert(
        "x-acs-content-sha256".into(),
        hex::encode(Sha256::digest(body)),
    );
    if let Some(token) = &creds.token {
        headers.insert("x-acs-security-token".into(), token.clone());
    }
    for (k, v) in extra_headers {
        headers.insert(k.to_lowercase(), v.to_string());
    }
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed: Vec<String> = headers.keys().cloned().collect();
    let canonical_query = query_string(query);
    let canonical_request = format!(
        "{method}\n/\n{canonical_query}\n{canonical_headers}\n{}\n{}",
        signed.join(";"),
        hex::encode(Sha256::digest(body))
    );
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(creds.sk.as_bytes()).expect("key");
    mac.update(sts.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let mut out: Vec<(String, String)> = headers.into_iter().filter(|(k, _)| k != "host").collect();
    out.push((
        "authorization".into(),
        format!(
            "ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={signature}",
            creds.ak,
            signed.join(";")
        ),
    ));
    out
}

/// Parses XML into a JSON-like tree: an element with children becomes an object keyed by
/// child name (repeated names become arrays), a leaf becomes its text.
pub fn xml_tree(text: &str) -> Value {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<(String, serde_json::Map<String, Value>, String)> = Vec::new();
    let mut root = Value::Null;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).expect("utf8");
                stack.push((name, serde_json::Map::new(), String::new()));
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&t.unescape().expect("text"));
                }
            }
            Event::End(_) => {
                let (name, children, text) = stack.pop().expect("balanced");
                let value = if children.is_empty() {
                    Value::String(text)
                } else {
                    Value::Object(children)
                };
                match stack.last_mut() {
                    Some((_, parent, _)) => match parent.get_mut(&name) {
                        Some(Value::Array(items)) => items.push(value),
                        Some(existing) => {
                            let first = existing.take();
                            *existing = Value::Array(vec![first, value]);
                        }
                        None => {
                            parent.insert(name, value);
                        }
                    },
                    None => root = serde_json::json!({ name: value }),
                }
            }
            Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).expect("utf8");
                if let Some((_, parent, _)) = stack.last_mut() {
                    parent.insert(name, Value::String(String::new()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root
}
