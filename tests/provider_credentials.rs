//! Credentials as CI and cloud hosts provide them, with real Terraform against the real
//! emulator: `assume_role` on keys, OIDC as ACK RRSA sets it (variables and a token file)
//! and as a GitHub Actions job passes it (the block), the ECS instance role, a credentials
//! URI, and every role profile mode of the aliyun CLI. Each mode plans and applies; each
//! runs with `TF_LOG=trace`, and no key, secret, token or JWT it used — fixed or issued —
//! appears in Terraform's output, its log, the state, the plan or any file it wrote.
//!
//! Also: an apply that outlives its credentials never sees them expire; a read-only role
//! gets a clear permission error naming the role; a role that cannot be assumed stops the
//! run at configuration with the source, the role and the service's code.

mod common;

use std::path::Path;

use common::*;
use serde_json::{json, Value};

const DEMO_ROLE: &str = "acs:ram::1000000000000000:role/emulator-demo-role";
const READONLY_ROLE: &str = "acs:ram::1000000000000000:role/emulator-demo-readonly";
const DEMO_OIDC: &str = "acs:ram::1000000000000000:oidc-provider/emulator-demo-oidc";

/// An emulator whose issued credentials live `lifetime` seconds at most.
fn emulator(lifetime: Option<u64>, dir: &Path) -> Emulator {
    let mut args = vec![
        "--visibility-delay-ms".to_string(),
        "0".to_string(),
        "--qps".to_string(),
        "1000".to_string(),
    ];
    if let Some(seconds) = lifetime {
        let config = dir.join("emulator.toml");
        std::fs::write(
            &config,
            format!("[sts]\ncredential_lifetime_seconds = {seconds}\n"),
        )
        .expect("write emulator config");
        args.extend(["--config".to_string(), config.display().to_string()]);
    } else {
        args.extend(["--create-topic-qps".to_string(), "1000".to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Emulator::start_with(&args)
}

fn standin(emulator: &Emulator, key: &str) -> String {
    emulator.control_get("sts")[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}"))
        .to_string()
}

fn mint(emulator: &Emulator, body: Value) -> String {
    emulator.control_post("oidc/token", body)["token"]
        .as_str()
        .expect("a token")
        .to_string()
}

/// A workspace without credentials, pointed at the emulator (API, STS and metadata
/// stand-in), logging at trace level into `trace.log` inside the working directory.
fn workspace(tf: &Terraform, emulator: &Emulator) -> Workspace {
    let mut ws = Workspace::bare(tf);
    ws.set_env("ALICLOUD_REGION", REGION_HZ);
    ws.set_env("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA", &emulator.url);
    ws.set_env("ALIBABA_CLOUD_STS_ENDPOINT", &emulator.url);
    ws.set_env(
        "ALIKAFKA_ECS_METADATA_ENDPOINT",
        &standin(emulator, "ecs_metadata_url"),
    );
    ws.set_env("TF_LOG", "trace");
    let log = ws.path().join("trace.log").display().to_string();
    ws.set_env("TF_LOG_PATH", &log);
    ws
}

fn topic(name: &str) -> String {
    format!(
        r#"
resource "alikafka_topic" "t" {{
  instance_id = "{INSTANCE_HZ}"
  topic       = "{name}"
  remark      = "credentials test"
}}
"#
    )
}

/// The sessions the emulator issued (with their secrets, to look for them).
fn sessions(emulator: &Emulator) -> Vec<Value> {
    emulator.control_get("sts/sessions?secrets=true")["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn sessions_of(emulator: &Emulator, origin: &str, role: &str) -> Vec<Value> {
    sessions(emulator)
        .into_iter()
        .filter(|s| s["origin"] == origin && s["role_arn"] == role)
        .collect()
}

/// Applies, checks the topic landed and a second plan is empty, then destroys; returns
/// everything Terraform printed.
fn apply_plan_destroy(ws: &Workspace, emulator: &Emulator, name: &str) -> String {
    let mut printed = ws.apply().combined();
    assert!(
        emulator.topic(INSTANCE_HZ, name).is_some(),
        "{name} not created ({})",
        ws.tf.version
    );
    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color", "-out=tfplan"]);
    assert_eq!(
        plan.code,
        0,
        "not empty ({}):\n{}",
        ws.tf.version,
        plan.combined()
    );
    printed.push_str(&plan.combined());
    printed.push_str(&ws.ok(&["show", "-json", "tfplan"]).combined());
    printed.push_str(&ws.ok(&["show", "-json"]).combined());
    printed.push_str(&ws.destroy().combined());
    printed
}

/// No secret of any issued session, nor any of `extra`, in `printed` or any file under the
/// working directory (state, plan, trace log, .terraform).
fn assert_no_secrets(ws: &Workspace, emulator: &Emulator, printed: &str, extra: &[&str]) {
    let mut secrets: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    for session in sessions(emulator) {
        for key in ["access_key_secret", "security_token"] {
            if let Some(value) = session[key].as_str() {
                secrets.push(value.to_string());
            }
        }
    }
    assert!(secrets.len() > extra.len(), "no issued session to look for");
    let mut haystacks = vec![("output".to_string(), printed.to_string())];
    // The home directory holds the test's own inputs (profiles, token files).
    let home = ws.path().join("home");
    let mut stack = vec![ws.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path == home {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                haystacks.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    let log = std::fs::read_to_string(ws.path().join("trace.log")).unwrap_or_default();
    assert!(
        log.contains("alikafka"),
        "the trace log is missing or says nothing of the provider"
    );
    for (name, text) in &haystacks {
        for secret in &secrets {
            // Secrets appear whole, or percent-encoded as in a query or form.
            let encoded = alikafka::api::signing::percent_encode(secret);
            assert!(
                !text.contains(secret.as_str()) && !text.contains(&encoded),
                "a secret ({}…) is in {name} ({})",
                &secret[..6.min(secret.len())],
                ws.tf.version
            );
        }
    }
}

#[test]
fn assume_role_on_environment_keys() {
    for_each_terraform(|tf| {
        let dir = tempfile::tempdir().expect("dir");
        let emu = emulator(None, dir.path());
        let mut ws = workspace(&tf, &emu);
        ws.set_env("ALICLOUD_ACCESS_KEY", DEMO_AK);
        ws.set_env("ALICLOUD_SECRET_KEY", DEMO_SK);
        let name = format!("assume-role-{}", tf.version.replace('.', "-"));
        ws.write_config(&format!(
            r#"
provider "alikafka" {{
  assume_role {{
    role_arn           = "{DEMO_ROLE}"
    session_name       = "tf-ci"
    session_expiration = 900
  }}
}}
{}"#,
            topic(&name)
        ));
        let printed = apply_plan_destroy(&ws, &emu, &name);
        let issued = sessions_of(&emu, "AssumeRole", DEMO_ROLE);
        assert!(!issued.is_empty(), "no AssumeRole session");
        assert!(
            issued.iter().all(|s| s["session_name"] == "tf-ci"),
            "{issued:?}"
        );
        assert_no_secrets(&ws, &emu, &printed, &[DEMO_SK]);
    });
}

#[test]
fn ack_rrsa_environment_and_token_file() {
    for_each_terraform(|tf| {
        let dir = tempfile::tempdir().expect("dir");
        let emu = emulator(None, dir.path());
        let mut ws = workspace(&tf, &emu);
        // As ACK's webhook sets a pod up: three variables and a projected token file.
        let token = mint(
            &emu,
            json!({"subject": "system:serviceaccount:ci:terraform"}),
        );
        let token_file = ws.path().join("home").join("rrsa-tokens").join("token");
        std::fs::create_dir_all(token_file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&token_file, format!("{token}\n")).expect("write token");
        ws.set_env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", DEMO_OIDC);
        ws.set_env("ALIBABA_CLOUD_ROLE_ARN", DEMO_ROLE);
        ws.set_env(
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_file.to_str().expect("utf-8"),
        );
        let name = format!("rrsa-{}", tf.version.replace('.', "-"));
        ws.write_config(&format!("provider \"alikafka\" {{}}\n{}", topic(&name)));
        let printed = apply_plan_destroy(&ws, &emu, &name);
        let issued = sessions_of(&emu, "AssumeRoleWithOIDC", DEMO_ROLE);
        assert!(!issued.is_empty(), "no OIDC session");
        assert!(
            issued.iter().all(|s| s["session_name"] == "terraform"),
            "{issued:?}"
        );
        assert_no_secrets(&ws, &emu, &printed, &[&token]);
    });
}

#[test]
fn github_actions_style_token_in_the_block() {
    let tf = terraform("1.15.5");
    let dir = tempfile::tempdir().expect("dir");
    let emu = emulator(None, dir.path());
    let mut ws = workspace(&tf, &emu);
    // A workflow step puts the job's token in the environment: it never becomes a
    // Terraform variable, whose values plan files keep.
    let token = mint(
        &emu,
        json!({"subject": "repo:example/infra:ref:refs/heads/main"}),
    );
    ws.set_env("ALIBABA_CLOUD_OIDC_TOKEN", &token);
    ws.write_config(&format!(
        r#"
provider "alikafka" {{
  assume_role_with_oidc {{
    oidc_provider_arn = "{DEMO_OIDC}"
    role_arn          = "{DEMO_ROLE}"
    role_session_name = "github-run-42"
  }}
}}
{}"#,
        topic("github-oidc")
    ));
    let printed = apply_plan_destroy(&ws, &emu, "github-oidc");
    let issued = sessions_of(&emu, "AssumeRoleWithOIDC", DEMO_ROLE);
    assert!(
        issued.iter().any(|s| s["session_name"] == "github-run-42"),
        "{issued:?}"
    );
    assert_no_secrets(&ws, &emu, &printed, &[&token]);
}

#[test]
fn ecs_instance_role_hardened_mode() {
    for_each_terraform(|tf| {
        let dir = tempfile::tempdir().expect("dir");
        let emu = emulator(None, dir.path());
        let ws = workspace(&tf, &emu);
        let name = format!("ecs-{}", tf.version.replace('.', "-"));
        ws.write_config(&format!(
            "provider \"alikafka\" {{\n  ecs_role_name = \"emulator-demo-role\"\n}}\n{}",
            topic(&name)
        ));
        let printed = apply_plan_destroy(&ws, &emu, &name);
        assert!(!sessions_of(&emu, "EcsMetadata", DEMO_ROLE).is_empty());
        // Every metadata request carried a session token.
        assert!(emu.requests_of("EcsMetadata.Token") >= 1);
        assert!(emu.requests_of("EcsMetadata.Credentials") >= 1);
        assert_eq!(emu.requests_of("EcsMetadata.TokenlessRequest"), 0);
        assert_no_secrets(&ws, &emu, &printed, &[]);
    });
}

#[test]
fn credentials_uri_in_the_block() {
    let tf = terraform("1.0.3");
    let dir = tempfile::tempdir().expect("dir");
    let emu = emulator(None, dir.path());
    let ws = workspace(&tf, &emu);
    ws.write_config(&format!(
        "provider \"alikafka\" {{\n  credentials_uri = \"{}\"\n}}\n{}",
        standin(&emu, "credentials_uri"),
        topic("from-uri")
    ));
    let printed = apply_plan_destroy(&ws, &emu, "from-uri");
    assert!(!sessions_of(&emu, "CredentialsUri", DEMO_ROLE).is_empty());
    assert_no_secrets(&ws, &emu, &printed, &[]);
}

#[test]
fn every_role_profile_mode() {
    let tf = terraform("1.15.5");
    let dir = tempfile::tempdir().expect("dir");
    let emu = emulator(None, dir.path());
    let mut ws = workspace(&tf, &emu);
    let token = mint(&emu, json!({}));
    let token_file = ws.path().join("home").join("oidc-token");
    std::fs::write(&token_file, format!("{token}\n")).expect("write token");
    let uri = standin(&emu, "credentials_uri");
    let profiles = json!({
        "current": "ram",
        "profiles": [
            {"name": "ram", "mode": "RamRoleArn", "access_key_id": DEMO_AK, "access_key_secret": DEMO_SK,
             "ram_role_arn": DEMO_ROLE, "ram_session_name": "profile-ram", "expired_seconds": 900},
            {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "ram",
             "ram_role_arn": DEMO_ROLE, "ram_session_name": "profile-chain"},
            {"name": "oidc", "mode": "OIDC", "ram_role_arn": DEMO_ROLE, "oidc_provider_arn": DEMO_OIDC,
             "oidc_token_file": "~/oidc-token", "role_session_name": "profile-oidc"},
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "emulator-demo-role"},
            {"name": "uri", "mode": "CredentialsURI", "credentials_uri": uri}
        ]
    });
    let config_dir = ws.path().join("home").join(".aliyun");
    std::fs::create_dir_all(&config_dir).expect("mkdir");
    std::fs::write(config_dir.join("config.json"), profiles.to_string()).expect("write");
    let mut printed = String::new();
    for (profile, origin, session) in [
        ("ram", "AssumeRole", "profile-ram"),
        ("chain", "AssumeRole", "profile-chain"),
        ("oidc", "AssumeRoleWithOIDC", "profile-oidc"),
        ("ecs", "EcsMetadata", "ecs-instance"),
        ("uri", "CredentialsUri", "credentials-uri"),
    ] {
        ws.set_env("ALICLOUD_PROFILE", profile);
        let name = format!("profile-{profile}");
        ws.write_config(&format!("provider \"alikafka\" {{}}\n{}", topic(&name)));
        printed.push_str(&apply_plan_destroy(&ws, &emu, &name));
        let issued = sessions_of(&emu, origin, DEMO_ROLE);
        assert!(
            issued.iter().any(|s| s["session_name"] == session),
            "{profile}: {issued:?}"
        );
    }
    assert_no_secrets(&ws, &emu, &printed, &[DEMO_SK, &token]);
}

#[test]
fn an_apply_outlives_its_credentials() {
    let tf = terraform("1.15.5");
    let dir = tempfile::tempdir().expect("dir");
    // Credentials live 10 seconds; 16 topics at one CreateTopic per second take longer.
    let emu = emulator(Some(10), dir.path());
    let mut ws = workspace(&tf, &emu);
    ws.set_env("ALICLOUD_ACCESS_KEY", DEMO_AK);
    ws.set_env("ALICLOUD_SECRET_KEY", DEMO_SK);
    ws.set_env("TF_LOG", "debug");
    ws.write_config(&format!(
        r#"
provider "alikafka" {{
  assume_role {{
    role_arn = "{DEMO_ROLE}"
  }}
}}

resource "alikafka_topic" "many" {{
  count       = 16
  instance_id = "{INSTANCE_HZ}"
  topic       = "long-apply-${{count.index}}"
  remark      = "outlives its credentials"
}}
"#
    ));
    let started = std::time::Instant::now();
    let run = ws.apply();
    let took = started.elapsed();
    assert!(
        took.as_secs() > 12,
        "the apply was too short to matter: {took:?}"
    );
    assert_eq!(emu.topics(INSTANCE_HZ).len(), 16);
    let log = std::fs::read_to_string(ws.path().join("trace.log")).expect("log");
    assert!(
        log.contains("fetched temporary credentials"),
        "the log shows no credentials fetch"
    );
    for text in [&run.combined(), &log] {
        assert!(
            !text.contains("InvalidSecurityToken"),
            "an expired-credentials answer was seen"
        );
    }
    // Refreshed before expiry, once for the process: a handful of sessions, not one per call.
    let issued = sessions_of(&emu, "AssumeRole", DEMO_ROLE).len();
    let calls = emu.requests_of("CreateTopic") + emu.requests_of("GetTopicList");
    assert!(
        issued >= 3,
        "credentials were not refreshed: {issued} sessions"
    );
    assert!(
        (issued as i64) * 3 < calls,
        "{issued} sessions for {calls} calls: refreshed per call?"
    );
    eprintln!("apply {took:?}: {issued} sessions for {calls} alikafka calls");
}

#[test]
fn a_read_only_role_gets_a_clear_permission_error() {
    for_each_terraform(|tf| {
        let dir = tempfile::tempdir().expect("dir");
        let emu = emulator(None, dir.path());
        let mut ws = workspace(&tf, &emu);
        ws.remove_env("TF_LOG");
        ws.set_env("ALICLOUD_ACCESS_KEY", DEMO_AK);
        ws.set_env("ALICLOUD_SECRET_KEY", DEMO_SK);
        ws.write_config(&format!(
            r#"
provider "alikafka" {{
  assume_role {{
    role_arn = "{READONLY_ROLE}"
  }}
}}

data "alikafka_instances" "all" {{}}
{}"#,
            topic("not-allowed")
        ));
        // Reads work: the plan succeeds.
        ws.ok(&["plan", "-no-color", "-input=false"]);
        let failed = ws.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        for needle in [
            "AUTH_PERMISSION_CHECK_ERROR",
            "alikafka:CreateTopic",
            READONLY_ROLE,
            "from AssumeRole",
            "do not allow this action",
        ] {
            assert!(
                failed.contains(needle),
                "{needle} missing ({}): {failed}",
                tf.version
            );
        }
        assert!(emu.topic(INSTANCE_HZ, "not-allowed").is_none());
    });
}

#[test]
fn roles_and_tokens_that_cannot_be_used_stop_the_run_at_configuration() {
    let tf = terraform("1.0.3");
    let dir = tempfile::tempdir().expect("dir");
    let emu = emulator(None, dir.path());
    let mut ws = workspace(&tf, &emu);
    ws.remove_env("TF_LOG");
    ws.set_env("ALICLOUD_ACCESS_KEY", DEMO_AK);
    ws.set_env("ALICLOUD_SECRET_KEY", DEMO_SK);
    ws.write_config(
        r#"
provider "alikafka" {
  assume_role {
    role_arn = "acs:ram::1000000000000000:role/no-such-role"
  }
}

data "alikafka_instances" "all" {}
"#,
    );
    let failed = ws.fails(&["plan", "-no-color", "-input=false"]);
    for needle in [
        "Cannot get alikafka credentials",
        "AssumeRole for role acs:ram::1000000000000000:role/no-such-role",
        "configured in assume_role",
        "EntityNotExist.Role",
        "Check the role ARN",
    ] {
        assert!(failed.contains(needle), "{needle} missing: {failed}");
    }

    let expired = mint(&emu, json!({"expires_in": -300}));
    ws.set_env("ALIBABA_CLOUD_OIDC_TOKEN", &expired);
    ws.write_config(&format!(
        r#"
provider "alikafka" {{
  assume_role_with_oidc {{
    oidc_provider_arn = "{DEMO_OIDC}"
    role_arn          = "{DEMO_ROLE}"
  }}
}}

data "alikafka_instances" "all" {{}}
"#
    ));
    // Keys in the environment win over the block's OIDC exchange, as in the alicloud
    // provider: the expired token is never sent.
    ws.ok(&["plan", "-no-color", "-input=false"]);
    ws.remove_env("ALICLOUD_ACCESS_KEY");
    ws.remove_env("ALICLOUD_SECRET_KEY");
    let failed = ws.fails(&["plan", "-no-color", "-input=false"]);
    for needle in [
        "AssumeRoleWithOIDC for role",
        DEMO_ROLE,
        "AuthenticationFail.OIDCToken.Expired",
        "fresh",
    ] {
        assert!(failed.contains(needle), "{needle} missing: {failed}");
    }
    assert!(!failed.contains(&expired[20..60]), "the token was shown");

    // A malformed setting is caught when the configuration is validated, with its path.
    ws.write_config(
        r#"
provider "alikafka" {
  assume_role {
    role_arn     = "acs:ram::1000000000000000:role/emulator-demo-role"
    session_name = "not a valid name"
  }
}

data "alikafka_instances" "all" {}
"#,
    );
    let invalid = ws.fails(&["validate", "-no-color"]);
    assert!(
        invalid.contains("session_name") && invalid.contains("2 to 64 letters"),
        "{invalid}"
    );
}
