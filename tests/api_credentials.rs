//! The refreshing credentials provider and the client against the real emulator: one fetch
//! for any number of concurrent callers, refreshes before expiry, a failed refresh that
//! keeps valid credentials and then names the source, the role and the code, and a call whose
//! credentials the service calls expired fetching new ones once, and an OIDC token file read
//! at every fetch (ACK rotates it).

mod emulator_support;

use std::sync::Arc;
use std::time::Duration;

use alikafka::api::{
    AssumeRoleSpec, Client, ClientConfig, Credentials, CredentialsProvider, FetchSettings,
    GetInstanceListRequest, OidcSpec, OidcToken, Source, StsEndpoint,
};
use emulator_support::*;
use serde_json::{json, Value};

const DEMO_ROLE: &str = "acs:ram::1000000000000000:role/emulator-demo-role";

fn emulator_with_lifetime(seconds: u64) -> (Emulator, tempfile::NamedTempFile) {
    let config = tempfile::NamedTempFile::new().expect("config");
    std::fs::write(
        config.path(),
        format!("[sts]\ncredential_lifetime_seconds = {seconds}\n"),
    )
    .expect("write");
    let emu = Emulator::start(&[
        "--config",
        config.path().to_str().expect("path"),
        "--qps",
        "1000",
    ]);
    (emu, config)
}

fn assume_demo_role(emu: &Emulator) -> Source {
    Source::AssumeRole {
        base: Box::new(Source::Static(Credentials::new(DEMO_AK, DEMO_SK, None))),
        role: AssumeRoleSpec {
            role_arn: DEMO_ROLE.into(),
            session_name: "api-test".into(),
            policy: None,
            duration_seconds: 3600,
            external_id: None,
            sts: StsEndpoint {
                explicit: Some(emu.base.clone()),
                region: None,
                vpc: false,
            },
        },
    }
}

async fn sessions(emu: &Emulator) -> Vec<Value> {
    let (_, answer) = emu.control("GET", "sts/sessions", None).await;
    answer["sessions"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn one_fetch_serves_every_concurrent_caller_and_refreshes_come_before_expiry() {
    let (emu, _config) = emulator_with_lifetime(4);
    let provider = Arc::new(
        CredentialsProvider::new(assume_demo_role(&emu), "test", FetchSettings::default())
            .expect("provider"),
    );
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move { provider.current().await })
        })
        .collect();
    let mut ids = Vec::new();
    for caller in callers {
        ids.push(
            caller
                .await
                .expect("join")
                .expect("credentials")
                .access_key_id
                .clone(),
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every caller got the same credentials");
    assert_eq!(provider.fetches(), 1);
    assert_eq!(sessions(&emu).await.len(), 1);

    // A 4-second session (second precision: 3 to 4 s) is fetched again at half of it.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let renewed = provider.current().await.expect("renewed");
    assert_ne!(renewed.access_key_id, ids[0]);
    assert_eq!(provider.fetches(), 2);
    // And then it is fresh again.
    let again = provider.current().await.expect("cached");
    assert_eq!(again.access_key_id, renewed.access_key_id);
    assert_eq!(provider.fetches(), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_valid_credentials_then_names_source_role_and_code() {
    // 13 to 14 seconds (second precision): stale after about 7, unusable 5 before expiry.
    let (emu, _config) = emulator_with_lifetime(14);
    let provider = CredentialsProvider::new(
        assume_demo_role(&emu),
        "provider block",
        FetchSettings::default(),
    )
    .expect("provider");
    let first = provider.current().await.expect("first");
    let (status, _) = emu
        .control(
            "POST",
            "faults",
            Some(json!({"action": "AssumeRole", "mode": "error", "code": "NoPermission",
                        "http_status": 403, "message": "You are not authorized to do this action."})),
        )
        .await;
    assert_eq!(status, 200);
    // Past half the lifetime: stale, but valid for longer than the safety margin.
    tokio::time::sleep(Duration::from_millis(7200)).await;
    let kept = provider.current().await.expect("the valid ones are kept");
    assert_eq!(kept.access_key_id, first.access_key_id);
    // Within five seconds of expiry they are no longer handed out.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let error = provider.current().await.expect_err("refresh fails");
    assert_eq!(error.code, "NoPermission");
    assert_eq!(error.kind, "AssumeRole");
    assert_eq!(error.role.as_deref(), Some(DEMO_ROLE));
    assert_eq!(error.http_status, Some(403));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "AssumeRole for role {DEMO_ROLE} (configured in provider block) failed: NoPermission (HTTP 403)"
        )),
        "{text}"
    );
    assert!(!text.contains(DEMO_SK));
}

/// A credentials URI that passes the emulator's credentials on with a far-off Expiration:
/// the provider believes them fresh after the service has expired them.
async fn lying_credentials_uri(upstream: String) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/",
        get(move || {
            let upstream = upstream.clone();
            async move {
                let mut answer: Value = reqwest::get(&upstream)
                    .await
                    .expect("upstream")
                    .json()
                    .await
                    .expect("json");
                let later = chrono::Utc::now() + chrono::Duration::hours(1);
                answer["Expiration"] = json!(later.format("%Y-%m-%dT%H:%M:%SZ").to_string());
                axum::Json(answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

#[tokio::test]
async fn credentials_the_service_calls_expired_are_fetched_again_once() {
    let (emu, _config) = emulator_with_lifetime(2);
    let (_, sts) = emu.control("GET", "sts", None).await;
    let upstream = sts["credentials_uri"].as_str().expect("URI").to_string();
    let uri = lying_credentials_uri(upstream).await;
    let provider = Arc::new(
        CredentialsProvider::new(
            Source::CredentialsUri { uri },
            "test",
            FetchSettings::default(),
        )
        .expect("provider"),
    );
    let config = ClientConfig {
        endpoint: Some(emu.base.clone()),
        ..ClientConfig::new("cn-hangzhou")
    };
    let client = Client::with_credentials(config, Arc::clone(&provider)).expect("client");
    let request = GetInstanceListRequest::default();
    client.call(&request, None).await.expect("first call");
    assert_eq!(provider.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // The cached credentials have expired at the service: one Expired answer, a new fetch,
    // and the call succeeds.
    let answer = client.call(&request, None).await.expect("renewed call");
    assert!(!answer.instances.is_empty());
    assert_eq!(provider.fetches(), 2);
    assert_eq!(client.stats().attempts, 3);
}

#[tokio::test]
async fn an_oidc_token_file_is_read_at_every_fetch_so_a_rotated_token_is_the_one_sent() {
    let (emu, _config) = emulator_with_lifetime(3600);
    let mint = |body: Value| {
        let emu = &emu;
        async move {
            let (status, answer) = emu.control("POST", "oidc/token", Some(body)).await;
            assert_eq!(status, 200, "{answer}");
            answer["token"].as_str().expect("token").to_owned()
        }
    };
    let dir = tempfile::tempdir().expect("dir");
    let token_file = dir.path().join("token");
    // As ACK writes it: the token and a newline.
    std::fs::write(
        &token_file,
        format!("{}\n", mint(json!({"expires_in": -300})).await),
    )
    .expect("write");
    let provider = CredentialsProvider::new(
        Source::Oidc(OidcSpec {
            provider_arn: "acs:ram::1000000000000000:oidc-provider/emulator-demo-oidc".into(),
            role_arn: DEMO_ROLE.into(),
            token: OidcToken::File(token_file.clone()),
            session_name: "rotation".into(),
            policy: None,
            duration_seconds: 3600,
            sts: StsEndpoint {
                explicit: Some(emu.base.clone()),
                region: None,
                vpc: false,
            },
        }),
        "test",
        FetchSettings::default(),
    )
    .expect("provider");
    let refused = provider.current().await.expect_err("an expired token");
    assert_eq!(refused.code, "AuthenticationFail.OIDCToken.Expired");
    assert!(sessions(&emu).await.is_empty());

    // The platform rotates the file; the next fetch sends the new token.
    std::fs::write(&token_file, format!("{}\n", mint(json!({})).await)).expect("rotate");
    let credentials = provider.current().await.expect("the rotated token");
    let issued = sessions(&emu).await;
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(
        issued[0]["access_key_id"],
        credentials.access_key_id.as_str()
    );
    assert_eq!(issued[0]["origin"], "AssumeRoleWithOIDC");
    assert_eq!(issued[0]["session_name"], "rotation");
}
