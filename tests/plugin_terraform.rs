//! The protocol layer as Terraform sees it: both real CLIs load our binary and its schema.

mod common;

use common::*;
use std::process::Command;

#[test]
fn both_terraform_versions_load_the_provider_schema() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        ws.write_config("");
        let run = ws.ok(&["providers", "schema", "-json"]);
        let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("schema JSON");
        let ours = &schema["provider_schemas"][PROVIDER_SOURCE];
        assert!(ours.is_object(), "our provider is missing: {schema}");

        let provider_attrs = &ours["provider"]["block"]["attributes"];
        assert_eq!(provider_attrs["secret_key"]["sensitive"], true);
        assert_eq!(provider_attrs["security_token"]["sensitive"], true);
        assert_eq!(provider_attrs["region"]["optional"], true);

        let topic = &ours["resource_schemas"]["alikafka_topic"]["block"]["attributes"];
        assert_eq!(topic["topic"]["required"], true);
        assert_eq!(topic["partition_num"]["optional"], true);
        assert_eq!(topic["partition_num"]["computed"], true);
        assert_eq!(topic["id"]["computed"], true);
        assert!(
            topic["topic"]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "attributes are documented: {topic}"
        );
        for resource in ["alikafka_topic", "alikafka_consumer_group"] {
            assert!(
                ours["resource_schemas"][resource].is_object(),
                "{resource} missing"
            );
        }
        assert!(ours["data_source_schemas"]["alikafka_instances"].is_object());
    });
}

#[test]
fn run_by_hand_the_binary_explains_itself_and_exits_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_terraform-provider-alikafka"))
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run the provider binary");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Terraform"), "{stderr}");
    assert!(stderr.contains("dev_overrides"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: that is the handshake's channel"
    );
}

#[test]
fn the_handshake_line_comes_fast_and_offers_protocol_6_with_a_certificate() {
    use std::io::{BufRead, BufReader};
    // A go-plugin-shaped client certificate is only needed for the TLS handshake itself;
    // the handshake line is printed before any client connects.
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-alikafka"))
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", cert.cert.pem())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake line");
    let _ = child.kill();
    let _ = child.wait();
    let parts: Vec<&str> = line.trim().split('|').collect();
    assert_eq!(parts.len(), 6, "{line}");
    assert_eq!(&parts[..2], ["1", "6"]);
    assert!(parts[2] == "unix" || parts[2] == "tcp", "{line}");
    assert_eq!(parts[4], "grpc");
    assert!(
        parts[5].len() > 50,
        "the server certificate is offered: {line}"
    );
    assert!(!parts[5].ends_with('='), "base64 without padding: {line}");
}

#[test]
fn debug_logs_reach_terraform_as_structured_lines_without_secrets() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let mut ws = Workspace::new(&tf, &emu);
        ws.write_config(&format!(
            "resource \"alikafka_topic\" \"t\" {{\n  instance_id = \"{INSTANCE_HZ}\"\n  topic = \"logged\"\n  remark = \"r\"\n}}\n"
        ));
        ws.apply();
        ws.set_env("TF_LOG", "debug");
        let run = ws.run(&["plan", "-no-color", "-input=false"]);
        assert_eq!(run.code, 0, "{}", run.combined());
        let log = run.combined();
        // Terraform parsed our hclog JSON: it shows the message and the fields, not JSON.
        let request_lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("provider.terraform-provider-alikafka: alikafka request:"))
            .collect();
        assert!(
            !request_lines.is_empty(),
            "no provider request lines in:\n{log}"
        );
        assert!(
            request_lines
                .iter()
                .any(|l| l.contains("[DEBUG]") && l.contains("action=GetTopicList")),
            "{request_lines:?}"
        );
        assert!(
            !log.contains("\"@message\""),
            "a provider line was not parsed as hclog JSON"
        );
        assert!(
            !log.contains(DEMO_SK),
            "the secret key appears in the debug log"
        );
        assert!(
            !log.contains("Signature="),
            "a signature appears in the debug log"
        );
    });
}
