//! Secrets and trust, with both real Terraform CLIs.
//!
//! With `TF_LOG=trace` and `TF_LOG_PROVIDER=trace`, through plan, apply, refresh, faults
//! mid-request, a server that echoes secrets, wrong credentials and destroy: neither the
//! secret key, nor the STS token, nor any request signature (captured on the wire by a
//! recording proxy) appears in Terraform's output, its log, the state, the plan JSON or
//! any other file of the working directory.
//!
//! And: plain `http://` is refused for endpoints that are not loopback unless
//! `insecure_http = true` (then with a warning); `https://` certificates are verified.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};

use alikafka::api::signing::percent_encode;
use common::*;
use regex::Regex;
use serde_json::json;

const STS_AK: &str = "STS.NUreliabilityTestKey01";
const STS_SECRET: &str = "sk-4f9c2e7a1b8d6053-very-secret";
const STS_TOKEN: &str = "CAISreliabilityToken+/=9e8d7c6b5a4f3e2d1c0b";

/// An emulator whose only account is an STS key (secret + security token).
fn sts_emulator(dir: &Path) -> Emulator {
    let config = dir.join("emulator.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[accounts]]
access_key_id = "{STS_AK}"
access_key_secret = "{STS_SECRET}"
security_token = "{STS_TOKEN}"

[[instances]]
instance_id = "{INSTANCE_HZ}"
account = "{STS_AK}"
region_id = "{REGION_HZ}"
"#
        ),
    )
    .expect("write emulator config");
    Emulator::start_with(&[
        "--config",
        config.to_str().expect("utf-8 path"),
        "--visibility-delay-ms",
        "0",
        "--qps",
        "1000",
        "--create-topic-qps",
        "1000",
    ])
}

/// A TCP proxy that forwards to `target` and records every byte clients send.
struct RecordingProxy {
    url: String,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start(target_url: &str) -> RecordingProxy {
        let target = target_url.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&sent);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let record = Arc::clone(&record);
                let (client_read, server_write) = (client.try_clone(), server.try_clone());
                let (Ok(mut client_read), Ok(mut server_write)) = (client_read, server_write)
                else {
                    continue;
                };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = client_read.read(&mut buf) {
                        if n == 0 || server_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        record.lock().expect("record").extend_from_slice(&buf[..n]);
                    }
                    let _ = server_write.shutdown(Shutdown::Write);
                });
                let (mut server_read, mut client_write) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_read, &mut client_write);
                    let _ = client_write.shutdown(Shutdown::Both);
                });
            }
        });
        RecordingProxy { url, sent }
    }

    /// Every `Signature` value sent through the proxy, percent-decoded.
    fn signatures(&self) -> Vec<String> {
        let sent = String::from_utf8_lossy(&self.sent.lock().expect("record")).into_owned();
        let pattern = Regex::new(r"[?&]Signature=([^&\s]+)").expect("regex");
        let mut found: Vec<String> = pattern
            .captures_iter(&sent)
            .map(|c| {
                percent_encoding::percent_decode_str(&c[1])
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

#[test]
fn no_secret_token_or_signature_in_logs_state_plan_or_errors() {
    for_each_terraform(|tf| {
        let private = tempfile::tempdir().expect("emulator dir");
        let emu = sts_emulator(private.path());
        let proxy = RecordingProxy::start(&emu.url);
        let mut ws = Workspace::bare(&tf);
        for (key, value) in [
            ("ALICLOUD_ACCESS_KEY", STS_AK),
            ("ALICLOUD_SECRET_KEY", STS_SECRET),
            ("ALICLOUD_SECURITY_TOKEN", STS_TOKEN),
            ("ALICLOUD_REGION", REGION_HZ),
            ("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA", proxy.url.as_str()),
            ("TF_LOG", "trace"),
            ("TF_LOG_PROVIDER", "trace"),
        ] {
            ws.set_env(key, value);
        }
        let log = ws.path().join("terraform.log");
        ws.set_env("TF_LOG_PATH", log.to_str().expect("utf-8 path"));
        ws.write_config(&format!(
            r#"
provider "alikafka" {{
  max_retries = 1
}}

data "alikafka_instances" "all" {{}}

resource "alikafka_topic" "t" {{
  count       = 2
  instance_id = "{INSTANCE_HZ}"
  topic       = "secret-test-${{count.index}}"
  remark      = "Secrets stay secret"
}}

resource "alikafka_consumer_group" "g" {{
  instance_id = "{INSTANCE_HZ}"
  consumer_id = "secret-test-group"
}}
"#
        ));
        let mut outputs = Vec::new();
        let mut record = |run: Run| {
            outputs.push(run.combined());
            run
        };

        // Plan to a file, and its JSON; apply.
        record(ws.ok(&["plan", "-no-color", "-input=false", "-out=tfplan"]));
        let shown = record(ws.ok(&["show", "-json", "tfplan"]));
        ws.write_file("plan.json", &shown.stdout);
        record(ws.apply());

        // Errors raised mid-request: a lasting 503, then a server that echoes our secrets
        // back in its message, then a garbled answer.
        for fault in [
            json!({"action": "GetTopicList", "mode": "error", "code": "ServiceUnavailable", "http_status": 503}),
            json!({"action": "GetTopicList", "mode": "error", "code": "InternalError", "http_status": 500,
                   "message": format!("debug: secret={STS_SECRET} token={STS_TOKEN} encoded={}", percent_encode(STS_TOKEN))}),
            json!({"action": "*", "mode": "truncated"}),
            json!({"action": "*", "mode": "drop"}),
        ] {
            emu.control_post("faults", fault);
            let run = record(ws.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"]));
            emu.control_delete("faults");
            assert_ne!(run.code, 0, "a lasting fault fails the refresh");
            assert!(
                run.flat().contains("GetTopicList failed")
                    || run.flat().contains("failed: NetworkError"),
                "{}",
                run.flat()
            );
        }

        // Wrong credentials: the service's own error messages.
        let mut wrong = Workspace::bare(&tf);
        for (key, value) in [
            ("ALICLOUD_ACCESS_KEY", STS_AK),
            ("ALICLOUD_SECRET_KEY", "sk-wrong-secret-0123456789"),
            ("ALICLOUD_SECURITY_TOKEN", STS_TOKEN),
            ("ALICLOUD_REGION", REGION_HZ),
            ("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA", proxy.url.as_str()),
        ] {
            wrong.set_env(key, value);
        }
        wrong.write_config("data \"alikafka_instances\" \"all\" {}\n");
        let run = wrong.run(&["plan", "-no-color", "-input=false"]);
        assert!(
            run.flat().contains("SignatureDoesNotMatch"),
            "{}",
            run.flat()
        );
        assert!(!contains(
            run.combined().as_bytes(),
            "sk-wrong-secret-0123456789"
        ));
        record(run);
        wrong.set_env("ALICLOUD_SECRET_KEY", STS_SECRET);
        wrong.set_env("ALICLOUD_SECURITY_TOKEN", "CAISwrongToken0123456789");
        let run = wrong.run(&["plan", "-no-color", "-input=false"]);
        assert!(
            run.flat().contains("InvalidSecurityToken"),
            "{}",
            run.flat()
        );
        assert!(!contains(
            run.combined().as_bytes(),
            "CAISwrongToken0123456789"
        ));
        record(run);

        record(ws.destroy());

        // What to look for: the secret, the token and every signature that was sent.
        let signatures = proxy.signatures();
        assert!(
            signatures.len() >= 10,
            "the proxy saw the requests: {signatures:?}"
        );
        let mut needles: Vec<(String, String)> = Vec::new();
        for (what, value) in [("secret key", STS_SECRET), ("security token", STS_TOKEN)] {
            needles.extend(forms(value).into_iter().map(|f| (what.to_string(), f)));
        }
        for signature in &signatures {
            needles.extend(
                forms(signature)
                    .into_iter()
                    .map(|f| ("signature".to_string(), f)),
            );
        }

        // Where to look: every output, and every file of the working directory (log,
        // state and its backup, plan file and plan JSON, journal, anything else).
        let mut files = Vec::new();
        all_files(ws.path(), &mut files);
        all_files(wrong.path(), &mut files);
        for (i, output) in outputs.iter().enumerate() {
            files.push((
                format!("output of command {i}"),
                output.clone().into_bytes(),
            ));
        }
        let log_text = std::fs::read_to_string(&log).expect("the trace log exists");
        assert!(
            log_text.contains("alikafka request") && log_text.contains("[TRACE]"),
            "the log holds the provider's and Terraform's trace lines"
        );
        for name in ["terraform.tfstate", "plan.json", "terraform.log"] {
            assert!(
                files.iter().any(|(path, _)| path.ends_with(name)),
                "{name} was checked"
            );
        }
        for (path, bytes) in &files {
            for (what, needle) in &needles {
                assert!(
                    !contains(bytes, needle),
                    "Terraform {}: the {what} appears in {path}",
                    tf.version
                );
            }
            assert!(
                !contains(bytes, "Signature="),
                "Terraform {}: a signature parameter appears in {path}",
                tf.version
            );
        }
        // The echoed secrets were replaced, not dropped silently.
        assert!(
            outputs.iter().any(|o| o.contains("secret=***")),
            "the echoed secret is shown redacted"
        );
        println!(
            "secrets: terraform={} {} files and {} outputs checked for {} needles ({} \
             signatures): none found",
            tf.version,
            files.len() - outputs.len(),
            outputs.len(),
            needles.len(),
            signatures.len()
        );
    });
}

// ---------------------------------------------------------------------------------------
// TLS and plain HTTP.

/// This machine's address on its default route, if it has one that is not loopback.
fn non_loopback_ipv4() -> Option<Ipv4Addr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connecting a UDP socket only picks the route.
    socket.connect("192.0.2.1:9").ok()?;
    match socket.local_addr().ok()?.ip() {
        IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

/// An emulator listening on `ip` (which needs `--allow-remote` unless loopback).
fn emulator_on(ip: Ipv4Addr) -> (Child, String) {
    let listen = format!("{ip}:0");
    spawn_emulator([
        "--listen",
        &listen,
        "--allow-remote",
        "--data",
        ":memory:",
        "--visibility-delay-ms",
        "0",
    ])
}

fn instances_workspace(tf: &Terraform, endpoint: &str, provider: &str) -> Workspace {
    let mut ws = Workspace::bare(tf);
    for (key, value) in [
        ("ALICLOUD_ACCESS_KEY", DEMO_AK),
        ("ALICLOUD_SECRET_KEY", DEMO_SK),
        ("ALICLOUD_REGION", REGION_HZ),
    ] {
        ws.set_env(key, value);
    }
    ws.write_config(&format!(
        r#"
provider "alikafka" {{
  endpoint    = "{endpoint}"
  max_retries = 0
  {provider}
}}

data "alikafka_instances" "all" {{}}

output "count" {{
  value = length(data.alikafka_instances.all.instances)
}}
"#
    ));
    ws
}

#[test]
fn plain_http_needs_loopback_or_an_explicit_opt_in_with_a_warning() {
    let ip = non_loopback_ipv4();
    for_each_terraform(move |tf| {
        // The emulator on a non-loopback address when the machine has one; otherwise a
        // documentation address (the opt-in is then shown to get past the refusal).
        let (mut emulator, endpoint) = match ip {
            Some(ip) => {
                let (child, url) = emulator_on(ip);
                (Some(child), url)
            }
            None => (None, "http://192.0.2.1:9".to_string()),
        };

        let refused = instances_workspace(&tf, &endpoint, "");
        let out = refused.fails(&["plan", "-no-color", "-input=false"]);
        for needle in [
            "Invalid alikafka provider configuration",
            "plain http is only allowed for loopback hosts",
            "set insecure_http = true",
        ] {
            assert!(out.contains(needle), "{needle:?} missing:\n{out}");
        }

        let opted_in = instances_workspace(&tf, &endpoint, "insecure_http = true");
        let run = opted_in.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        let out = run.flat();
        assert!(
            out.contains("Warning: Unencrypted alikafka endpoint")
                && out.contains("crosses the network in clear text"),
            "the opt-in warns:\n{out}"
        );
        if emulator.is_some() {
            assert_eq!(run.code, 0, "the opt-in works:\n{out}");
            assert!(out.contains("count = 1"), "{out}");
        } else {
            assert!(out.contains("GetInstanceList failed"), "{out}");
        }

        // Loopback needs no opt-in and gets no warning.
        let local = Emulator::start();
        let ws = instances_workspace(&tf, &local.url, "");
        let run = ws.apply();
        assert!(!run.flat().contains("Unencrypted"), "{}", run.flat());
        println!(
            "tls: terraform={} plain http to {endpoint} refused without insecure_http, \
             served with a warning with it; loopback served silently",
            tf.version
        );
        if let Some(child) = emulator.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    });
}

/// A TLS server with a self-signed certificate for `ip` and localhost, which completes
/// handshakes if a client accepts its certificate, then closes.
fn self_signed_tls_server(ip: IpAddr) -> String {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), ip.to_string()])
        .expect("certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        cert.key_pair.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocols")
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind((ip, 0)).expect("bind TLS server");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut buf = [0u8; 1024];
                let _ = tls.read(&mut buf);
            });
        }
    });
    url
}

#[test]
fn https_certificates_are_verified() {
    let mut addresses = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    if let Some(ip) = non_loopback_ipv4() {
        addresses.push(IpAddr::V4(ip));
    }
    let servers: Vec<String> = addresses.into_iter().map(self_signed_tls_server).collect();
    for_each_terraform(move |tf| {
        for url in &servers {
            let ws = instances_workspace(&tf, url, "");
            let out = ws.fails(&["plan", "-no-color", "-input=false"]);
            assert!(
                out.contains("GetInstanceList failed: NetworkError") && out.contains("certificate"),
                "a self-signed certificate at {url} is refused:\n{out}"
            );
            println!(
                "tls: terraform={} self-signed certificate at {url} refused",
                tf.version
            );
        }
    });
}
