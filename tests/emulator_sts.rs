//! The emulator's STS, ECS metadata and credentials-URI stand-ins, driven by Alibaba's
//! official Python SDKs (`alibabacloud-sts20150401`, `alibabacloud-credentials`,
//! `alibabacloud-alikafka20181015`): issued credentials work on alikafka actions with the
//! role's permissions, every documented STS error answers as the service does, and issued
//! credentials expire for real.

mod emulator_support;

use std::path::PathBuf;
use std::process::Command;

use emulator_support::*;
use serde_json::{json, Value};

const STRANGER_AK: &str = "stranger-ak";
const STRANGER_SK: &str = "stranger-sk";

fn python() -> PathBuf {
    let tools = std::env::var_os("ALIKAFKA_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools"));
    let python = tools.join("venv/bin/python");
    let probe = Command::new(&python)
        .args([
            "-c",
            "import alibabacloud_sts20150401, alibabacloud_credentials",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        probe,
        "the official STS SDK and credentials library are missing from {}: run scripts/install-tools.sh",
        python.display()
    );
    python
}

async fn run_script(args: Vec<String>) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/sts_sdk.py");
    let python = python();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args(args)
            .env("HOME", std::env::temp_dir())
            .output()
    })
    .await
    .expect("join")
    .expect("script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn config_with(extra: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("config");
    std::fs::write(
        file.path(),
        format!(
            r#"
[[accounts]]
access_key_id = "emulator-demo-ak"
access_key_secret = "emulator-demo-sk"
account_id = "1000000000000000"

[[accounts]]
access_key_id = "{STRANGER_AK}"
access_key_secret = "{STRANGER_SK}"
account_id = "2000000000000000"
{extra}
"#
        ),
    )
    .expect("write config");
    file
}

fn code(value: &Value) -> (Value, Value) {
    (value["code"].clone(), value["status"].clone())
}

#[tokio::test]
async fn official_sdks_against_the_emulated_sts() {
    let config = config_with("");
    let emu = Emulator::start(&[
        "--config",
        config.path().to_str().expect("path"),
        "--visibility-delay-ms",
        "0",
        "--qps",
        "100",
        "--create-topic-qps",
        "100",
    ]);
    let (_, sts) = emu.control("GET", "sts", None).await;
    let metadata = sts["ecs_metadata_url"]
        .as_str()
        .expect("metadata URL")
        .to_string();
    let uri = sts["credentials_uri"].as_str().expect("URI").to_string();
    let seen = run_script(vec![
        emu.base.clone(),
        metadata,
        uri,
        STRANGER_AK.into(),
        STRANGER_SK.into(),
    ])
    .await;

    assert_eq!(
        seen["assume_role"]["arn"],
        "acs:ram::1000000000000000:role/emulator-demo-role/sdk-session"
    );
    assert_eq!(seen["assume_role"]["id_prefix"], "STS.");
    assert_eq!(seen["assume_role"]["request_id"], true);
    assert_eq!(
        seen["caller"],
        json!({"arn": "acs:ram::1000000000000000:assumed-role/emulator-demo-role/sdk-session",
               "type": "AssumedRoleUser", "account": "1000000000000000"})
    );
    // Role sessions see the account's instances and may write with the full role.
    assert_eq!(seen["role_topics"], json!(["sts-role-topic"]));
    assert_eq!(seen["readonly_topics"], json!(["sts-role-topic"]));
    assert_eq!(
        code(&seen["readonly_create"]),
        (json!("AUTH_PERMISSION_CHECK_ERROR"), json!(400))
    );
    let denied = seen["readonly_create"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        denied.contains("alikafka:CreateTopic")
            && denied.contains("emulator-demo-readonly/sdk-reader"),
        "{denied}"
    );
    assert_eq!(
        seen["narrowed_create"]["code"],
        "AUTH_PERMISSION_CHECK_ERROR"
    );

    let errors = &seen["errors"];
    for (case, expected_code, status) in [
        ("no_such_role", "EntityNotExist.Role", 404),
        ("bad_session_name", "InvalidParameter.RoleSessionName", 400),
        (
            "duration_too_short",
            "InvalidParameter.DurationSeconds",
            400,
        ),
        ("duration_too_long", "InvalidParameter.DurationSeconds", 400),
        ("bad_policy", "InvalidParameter.PolicyGrammar", 400),
        ("untrusted_account", "NoPermission", 403),
        ("wrong_secret", "SignatureDoesNotMatch", 400),
    ] {
        assert_eq!(
            code(&errors[case]),
            (json!(expected_code), json!(status)),
            "{case}: {}",
            errors[case]
        );
    }

    assert_eq!(
        seen["oidc"],
        json!({"arn": "acs:ram::1000000000000000:role/emulator-demo-role/sdk-oidc",
               "issuer": "https://oidc.emulator.invalid/emulator-demo-oidc",
               "client_ids": "sts.aliyuncs.com",
               "subject": "system:serviceaccount:default:emulator-demo"})
    );
    assert_eq!(seen["oidc_topics"], json!(["sts-role-topic"]));
    let oidc = &seen["oidc_errors"];
    for (case, expected_code) in [
        ("expired", "AuthenticationFail.OIDCToken.Expired"),
        (
            "bad_signature",
            "AuthenticationFail.OIDCToken.InvalidSignature",
        ),
        (
            "wrong_audience",
            "AuthenticationFail.OIDCToken.AudienceNotMatch",
        ),
        (
            "wrong_issuer",
            "AuthenticationFail.OIDCToken.IssuerNotMatch",
        ),
        ("garbage", "AuthenticationFail.OIDCToken.Invalid"),
        ("untrusting_role", "AuthenticationFail.NoPermission"),
        ("no_such_provider", "AuthenticationFail.NoPermission"),
    ] {
        assert_eq!(
            code(&oidc[case]),
            (json!(expected_code), json!(401)),
            "{case}: {}",
            oidc[case]
        );
    }

    let library = &seen["library"];
    for (provider, name) in [
        ("ram_role_arn", "ram_role_arn/static_ak"),
        ("oidc_role_arn", "oidc_role_arn"),
        ("credentials_uri", "credential_uri"),
        ("ecs_ram_role", "ecs_ram_role"),
        ("ecs_discovered", "ecs_ram_role"),
    ] {
        assert_eq!(
            library[provider],
            json!({"provider": name, "id_prefix": "STS.", "topics": 1}),
            "{provider}"
        );
    }

    // Every session is on record with its origin; the metadata stand-in saw the hardened
    // (token) protocol, the way the library speaks it.
    let (_, sessions) = emu.control("GET", "sts/sessions", None).await;
    let origins: Vec<&str> = sessions["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter_map(|s| s["origin"].as_str())
        .collect();
    for origin in [
        "AssumeRole",
        "AssumeRoleWithOIDC",
        "EcsMetadata",
        "CredentialsUri",
    ] {
        assert!(origins.contains(&origin), "{origin} in {origins:?}");
    }
    assert!(
        !sessions.to_string().contains("AccessKeySecret") && !sessions.to_string().contains("CAIS"),
        "sessions list secrets: {sessions}"
    );
    let (_, metrics) = emu.control("GET", "metrics", None).await;
    let count = |name: &str| metrics["actions"][name]["requests"].as_i64().unwrap_or(0);
    assert!(count("EcsMetadata.Token") >= 2, "{metrics}");
    assert_eq!(count("EcsMetadata.TokenlessRequest"), 0, "{metrics}");
    assert!(count("AssumeRole") >= 10, "{metrics}");
}

#[tokio::test]
async fn issued_credentials_expire_and_the_hardened_metadata_service_wants_a_token() {
    let config = config_with(
        r#"
[sts]
credential_lifetime_seconds = 2

[sts.ecs_metadata]
require_token = true
"#,
    );
    let emu = Emulator::start(&["--config", config.path().to_str().expect("path")]);
    let seen = run_script(vec![emu.base.clone(), "expiry".into(), "3".into()]).await;
    assert_eq!(seen["before"], json!([]));
    assert_eq!(
        code(&seen["after"]),
        (json!("InvalidSecurityToken.Expired"), json!(400)),
        "{seen}"
    );

    // Hardened mode: no token, no credentials; with one, credentials.
    let (_, sts) = emu.control("GET", "sts", None).await;
    let metadata = sts["ecs_metadata_url"].as_str().expect("metadata URL");
    let http = reqwest::Client::new();
    let path = format!("{metadata}/latest/meta-data/ram/security-credentials/emulator-demo-role");
    let tokenless = http.get(&path).send().await.expect("reachable");
    assert_eq!(tokenless.status().as_u16(), 403);
    let token = http
        .put(format!("{metadata}/latest/api/token"))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", "60")
        .send()
        .await
        .expect("token")
        .text()
        .await
        .expect("token text");
    let answer: Value = http
        .get(&path)
        .header("X-aliyun-ecs-metadata-token", token.trim())
        .send()
        .await
        .expect("credentials")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["Code"], "Success");
    assert!(answer["AccessKeyId"]
        .as_str()
        .is_some_and(|id| id.starts_with("STS.")));
    let wrong = http
        .get(&path)
        .header("X-aliyun-ecs-metadata-token", "forged")
        .send()
        .await
        .expect("reachable");
    assert_eq!(wrong.status().as_u16(), 401);
    let no_ttl = http
        .put(format!("{metadata}/latest/api/token"))
        .send()
        .await
        .expect("reachable");
    assert_eq!(no_ttl.status().as_u16(), 400);
}
