//! The gateway's authentication failure matrix (V1 and V3) and tenancy, over HTTP.

mod emulator_support;

use emulator_support::*;
use serde_json::json;

const STS_AK: &str = "STS.emulator-sts";
const STS_SK: &str = "sts-secret";
const STS_TOKEN: &str = "CAIS-sts-token-value";
const OTHER_AK: &str = "other-tenant-ak";
const OTHER_SK: &str = "other-tenant-sk";
const OTHER_INSTANCE: &str = "alikafka_post-cn-other01";

/// Demo account plus an STS key, an expired STS key, a disabled key and a second tenant.
fn start() -> (Emulator, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("auth.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            visibility_delay_ms = 0
            [rate_limits]
            qps = 1000
            create_topic_qps = 1000
            [[accounts]]
            access_key_id = "{DEMO_AK}"
            access_key_secret = "{DEMO_SK}"
            [[accounts]]
            access_key_id = "{STS_AK}"
            access_key_secret = "{STS_SK}"
            security_token = "{STS_TOKEN}"
            [[accounts]]
            access_key_id = "STS.expired"
            access_key_secret = "x"
            security_token = "old-token"
            security_token_expires_at = "2020-01-01T00:00:00Z"
            [[accounts]]
            access_key_id = "disabled-ak"
            access_key_secret = "x"
            disabled = true
            [[accounts]]
            access_key_id = "{OTHER_AK}"
            access_key_secret = "{OTHER_SK}"
            [[instances]]
            instance_id = "{HANGZHOU}"
            account = "{DEMO_AK}"
            region_id = "cn-hangzhou"
            [[instances]]
            instance_id = "{OTHER_INSTANCE}"
            account = "{OTHER_AK}"
            region_id = "cn-hangzhou"
            [[instances]]
            instance_id = "alikafka_sts"
            account = "{STS_AK}"
            region_id = "cn-hangzhou"
            "#
        ),
    )
    .unwrap();
    (
        Emulator::start(&["--config", config.to_str().unwrap()]),
        dir,
    )
}

fn signed(creds: &Creds, edit: impl FnOnce(&mut Params)) -> Params {
    let mut p = common_params(creds, "GetInstanceList", V2018);
    p.insert("RegionId".into(), "cn-hangzhou".into());
    edit(&mut p);
    sign_v1("POST", &mut p, &creds.sk);
    p
}

#[tokio::test]
async fn v1_failure_matrix() {
    let (emu, _dir) = start();
    let demo = Creds::demo();
    emu.send("POST", &signed(&demo, |_| {}), false)
        .await
        .assert_ok();

    for name in [
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
    ] {
        let p = signed(&demo, |p| {
            p.remove(name);
        });
        let v = emu
            .send("POST", &p, false)
            .await
            .assert_error(400, "MissingParameter");
        assert!(
            v["Message"]
                .as_str()
                .unwrap()
                .contains(&format!("\"{name}\"")),
            "{v}"
        );
    }
    let mut p = signed(&demo, |_| {});
    p.remove("Signature");
    emu.send("POST", &p, false)
        .await
        .assert_error(400, "MissingParameter");

    let unknown = Creds::new("no-such-key", "x", None);
    let v = emu
        .send("POST", &signed(&unknown, |_| {}), false)
        .await
        .assert_error(404, "InvalidAccessKeyId.NotFound");
    assert_eq!(v["Message"], "Specified access key is not found.");
    let disabled = Creds::new("disabled-ak", "x", None);
    emu.send("POST", &signed(&disabled, |_| {}), false)
        .await
        .assert_error(400, "InvalidAccessKeyId.Inactive");

    // Wrong secret: the message carries the server's StringToSign, which equals ours.
    let wrong = Creds::new(DEMO_AK, "not-the-secret", None);
    let p = signed(&wrong, |_| {});
    let v = emu
        .send("POST", &p, false)
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    let message = v["Message"].as_str().unwrap();
    let (_, server_sts) = message
        .split_once("server string to sign is:")
        .expect("StringToSign in message");
    assert_eq!(server_sts, string_to_sign_v1("POST", &p));
    // A parameter changed after signing.
    let mut p = signed(&demo, |_| {});
    p.insert("RegionId".into(), "cn-shanghai".into());
    emu.send("POST", &p, false)
        .await
        .assert_error(400, "SignatureDoesNotMatch");

    let at = |minutes: i64| {
        (chrono::Utc::now() + chrono::Duration::minutes(minutes))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    for minutes in [-16, 16] {
        let p = signed(&demo, |p| {
            p.insert("Timestamp".into(), at(minutes));
        });
        let v = emu
            .send("POST", &p, false)
            .await
            .assert_error(400, "InvalidTimeStamp.Expired");
        assert_eq!(
            v["Message"],
            "Specified time stamp or date value is expired."
        );
    }
    for minutes in [-14, 14] {
        let p = signed(&demo, |p| {
            p.insert("Timestamp".into(), at(minutes));
        });
        emu.send("POST", &p, false).await.assert_ok();
    }
    let p = signed(&demo, |p| {
        p.insert("Timestamp".into(), "27/11/2026 10:00".into());
    });
    emu.send("POST", &p, false)
        .await
        .assert_error(400, "InvalidTimeStamp.Format");

    // Nonce replay: same nonce, fresh signature, within the window.
    let p = signed(&demo, |p| {
        p.insert("SignatureNonce".into(), "fixed-nonce-1".into());
    });
    emu.send("POST", &p, false).await.assert_ok();
    let v = emu
        .send("POST", &p, false)
        .await
        .assert_error(400, "SignatureNonceUsed");
    assert_eq!(v["Message"], "Specified signature nonce was used already.");
    let p = signed(&demo, |p| {
        p.insert("SignatureNonce".into(), "fixed-nonce-1".into());
        p.insert("Timestamp".into(), at(1));
    });
    emu.send("POST", &p, false)
        .await
        .assert_error(400, "SignatureNonceUsed");
    // Another key may use the same nonce.
    let other = Creds::new(OTHER_AK, OTHER_SK, None);
    let p = signed(&other, |p| {
        p.insert("SignatureNonce".into(), "fixed-nonce-1".into());
    });
    emu.send("POST", &p, false).await.assert_ok();
    // A request that failed verification does not burn its nonce.
    let p = signed(&wrong, |p| {
        p.insert("SignatureNonce".into(), "fixed-nonce-2".into());
    });
    emu.send("POST", &p, false)
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    let p = signed(&demo, |p| {
        p.insert("SignatureNonce".into(), "fixed-nonce-2".into());
    });
    emu.send("POST", &p, false).await.assert_ok();

    for (name, value) in [
        ("SignatureMethod", "HMAC-SHA256"),
        ("SignatureVersion", "2.0"),
    ] {
        let p = signed(&demo, |p| {
            p.insert(name.into(), value.into());
        });
        emu.send("POST", &p, false)
            .await
            .assert_error(400, "IncompleteSignature");
    }

    // Errors default to XML like everything else.
    let p = signed(&unknown, |p| {
        p.remove("Format");
    });
    let r = emu.send("POST", &p, false).await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (404, "text/xml;charset=utf-8")
    );
    assert_eq!(
        xml_tree(&r.body)["Error"]["Code"],
        "InvalidAccessKeyId.NotFound"
    );
}

#[tokio::test]
async fn sts_tokens_are_checked_and_never_echoed() {
    let (emu, _dir) = start();
    let sts = Creds::new(STS_AK, STS_SK, Some(STS_TOKEN));
    emu.send("POST", &signed(&sts, |_| {}), false)
        .await
        .assert_ok();
    let no_token = Creds::new(STS_AK, STS_SK, None);
    let v = emu
        .send("POST", &signed(&no_token, |_| {}), false)
        .await
        .assert_error(400, "MissingSecurityToken");
    assert_eq!(v["Message"], "SecurityToken is mandatory for this action.");
    let bad_token = Creds::new(STS_AK, STS_SK, Some("forged"));
    emu.send("POST", &signed(&bad_token, |_| {}), false)
        .await
        .assert_error(400, "InvalidSecurityToken.MismatchWithAccessKey");
    let expired = Creds::new("STS.expired", "x", Some("old-token"));
    emu.send("POST", &signed(&expired, |_| {}), false)
        .await
        .assert_error(400, "InvalidSecurityToken.Expired");
    let token_on_plain_key = Creds::new(DEMO_AK, DEMO_SK, Some("whatever"));
    emu.send("POST", &signed(&token_on_plain_key, |_| {}), false)
        .await
        .assert_error(400, "InvalidSecurityToken.MismatchWithAccessKey");

    let wrong_secret = Creds::new(STS_AK, "wrong", Some(STS_TOKEN));
    let r = emu
        .send("POST", &signed(&wrong_secret, |_| {}), false)
        .await;
    r.assert_error(400, "SignatureDoesNotMatch");
    assert!(
        !r.body.contains(STS_TOKEN),
        "the token must not be echoed: {}",
        r.body
    );
    assert!(!r.body.contains(STS_SK) && !r.body.contains("wrong"));

    // STS works over V3 too (x-acs-security-token header).
    let reply = v3_call(
        &emu,
        &sts,
        "GetInstanceList",
        &[("RegionId", "cn-hangzhou")],
        &[],
    )
    .await;
    let v = reply.assert_ok();
    assert_eq!(
        v["InstanceList"]["InstanceVO"][0]["InstanceId"],
        "alikafka_sts"
    );
}

async fn v3_call(
    emu: &Emulator,
    creds: &Creds,
    action: &str,
    query: &[(&str, &str)],
    extra_headers: &[(&str, &str)],
) -> Reply {
    let query: Params = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let host = emu.base.trim_start_matches("http://").to_string();
    let headers = sign_v3(
        &V3Request {
            method: "POST",
            host: &host,
            query: &query,
            body: b"",
            action,
            version: V2018,
            extra_headers,
        },
        creds,
    );
    let mut request = emu
        .http
        .post(format!("{}/?{}", emu.base, query_string(&query)));
    for (k, v) in headers {
        request = request.header(k, v);
    }
    Reply::from(request.send().await.unwrap()).await
}

#[tokio::test]
async fn v3_failure_matrix() {
    let (emu, _dir) = start();
    let demo = Creds::demo();
    let hz = [("RegionId", "cn-hangzhou")];
    let r = v3_call(&emu, &demo, "GetInstanceList", &hz, &[]).await;
    assert_eq!(
        r.content_type, "application/json;charset=utf-8",
        "V3 defaults to JSON"
    );
    r.assert_ok();

    let wrong = Creds::new(DEMO_AK, "nope", None);
    let v = v3_call(&emu, &wrong, "GetInstanceList", &hz, &[])
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    assert!(v["Message"]
        .as_str()
        .unwrap()
        .contains("ACS3-HMAC-SHA256\n"));
    let unknown = Creds::new("who", "x", None);
    v3_call(&emu, &unknown, "GetInstanceList", &hz, &[])
        .await
        .assert_error(404, "InvalidAccessKeyId.NotFound");
    v3_call(&emu, &demo, "Nope", &hz, &[])
        .await
        .assert_error(404, "InvalidAction.NotFound");

    // Build a request by hand to break one thing at a time.
    let host = emu.base.trim_start_matches("http://").to_string();
    let query: Params = [("RegionId".to_string(), "cn-hangzhou".to_string())].into();
    let url = format!("{}/?{}", emu.base, query_string(&query));
    let send = |headers: Vec<(String, String)>, body: Vec<u8>| {
        let mut request = emu.http.post(&url).body(body);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        async move { Reply::from(request.send().await.unwrap()).await }
    };
    let good = sign_v3(
        &V3Request {
            method: "POST",
            host: &host,
            query: &query,
            body: b"",
            action: "GetInstanceList",
            version: V2018,
            extra_headers: &[],
        },
        &demo,
    );
    let without = |name: &str| {
        good.iter()
            .filter(|(k, _)| k != name)
            .cloned()
            .collect::<Vec<_>>()
    };
    send(without("x-acs-signature-nonce"), vec![])
        .await
        .assert_error(400, "MissingParameter");
    send(without("x-acs-date"), vec![])
        .await
        .assert_error(400, "MissingParameter");
    let mut unsigned = good.clone();
    unsigned.push(("x-acs-extra".into(), "not signed".into()));
    send(unsigned, vec![])
        .await
        .assert_error(400, "IncompleteSignature");
    // The body hash covers the body: sending a different body than the one signed fails.
    send(good.clone(), b"RegionId=cn-shanghai".to_vec())
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    send(good.clone(), vec![]).await.assert_ok();
    send(good.clone(), vec![])
        .await
        .assert_error(400, "SignatureNonceUsed");
    let mut bad_algo = good.clone();
    for (k, v) in bad_algo.iter_mut() {
        if k == "authorization" {
            *v = v.replace("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3");
        }
    }
    send(bad_algo, vec![])
        .await
        .assert_error(400, "IncompleteSignature");

    // Business parameters in a signed form body.
    let body = format!("InstanceId={HANGZHOU}&Topic=v3-form&Remark=via%20v3");
    let q: Params = [("RegionId".to_string(), "cn-hangzhou".to_string())].into();
    let headers = sign_v3(
        &V3Request {
            method: "POST",
            host: &host,
            query: &q,
            body: body.as_bytes(),
            action: "CreateTopic",
            version: V2018,
            extra_headers: &[("content-type", "application/x-www-form-urlencoded")],
        },
        &demo,
    );
    send(headers, body.into_bytes()).await.assert_ok();
    assert_eq!(emu.state_topics(HANGZHOU).await[0]["remark"], "via v3");
}

#[tokio::test]
async fn tenants_see_only_their_own_instances() {
    let (emu, _dir) = start();
    let demo = Creds::demo();
    let other = Creds::new(OTHER_AK, OTHER_SK, None);
    let hz = |id: &'static str| [("RegionId", "cn-hangzhou"), ("InstanceId", id)];

    let v = emu
        .call_as(
            &other,
            "GetInstanceList",
            V2018,
            &[("RegionId", "cn-hangzhou")],
        )
        .await
        .assert_ok();
    let ids: Vec<_> = v["InstanceList"]["InstanceVO"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InstanceId"].clone())
        .collect();
    assert_eq!(ids, [json!(OTHER_INSTANCE)]);
    let v = emu
        .call_as(
            &demo,
            "GetInstanceList",
            V2018,
            &[("RegionId", "cn-hangzhou")],
        )
        .await
        .assert_ok();
    let ids: Vec<_> = v["InstanceList"]["InstanceVO"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InstanceId"].clone())
        .collect();
    assert_eq!(ids, [json!(HANGZHOU)]);

    let mine = [
        hz(HANGZHOU)[0],
        hz(HANGZHOU)[1],
        ("Topic", "private"),
        ("Remark", "r"),
    ];
    emu.call_as(&demo, "CreateTopic", V2018, &mine)
        .await
        .assert_ok();
    // Another tenant gets the same answer as for an instance that does not exist.
    let foreign = emu
        .call_as(&other, "GetTopicList", V2018, &hz(HANGZHOU))
        .await
        .assert_error(400, "BIZ_INSTANCE_NOT_FOUND");
    let missing = emu
        .call_as(
            &other,
            "GetTopicList",
            V2018,
            &hz("alikafka_post-cn-missing"),
        )
        .await
        .assert_error(400, "BIZ_INSTANCE_NOT_FOUND");
    assert_eq!(
        foreign["Message"].as_str().unwrap().replace(HANGZHOU, "ID"),
        missing["Message"]
            .as_str()
            .unwrap()
            .replace("alikafka_post-cn-missing", "ID")
    );
    let other_create = [
        hz(HANGZHOU)[0],
        hz(HANGZHOU)[1],
        ("Topic", "intruder"),
        ("Remark", "r"),
    ];
    emu.call_as(&other, "CreateTopic", V2018, &other_create)
        .await
        .assert_error(400, "BIZ_INSTANCE_NOT_FOUND");
    emu.call_as(
        &other,
        "DeleteTopic",
        V2018,
        &[hz(HANGZHOU)[0], hz(HANGZHOU)[1], ("Topic", "private")],
    )
    .await
    .assert_error(400, "BIZ_INSTANCE_NOT_FOUND");
    emu.call_as(
        &other,
        "GetTopicStatus",
        V2018,
        &[("InstanceId", HANGZHOU), ("Topic", "private")],
    )
    .await
    .assert_error(400, "BIZ_INSTANCE_NOT_FOUND");
    let topics = emu.state_topics(HANGZHOU).await;
    assert_eq!(topics.len(), 1, "nothing changed: {topics:?}");

    // Each tenant works on its own instance.
    emu.call_as(
        &other,
        "CreateTopic",
        V2018,
        &[
            hz(OTHER_INSTANCE)[0],
            hz(OTHER_INSTANCE)[1],
            ("Topic", "private"),
            ("Remark", "r"),
        ],
    )
    .await
    .assert_ok();
    let v = emu
        .call_as(&other, "GetTopicList", V2018, &hz(OTHER_INSTANCE))
        .await
        .assert_ok();
    assert_eq!(v["Total"], 1);
    let state = emu.state().await;
    let accounts: Vec<_> = state["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["instance_id"].clone(), i["account"].clone()))
        .collect();
    assert!(accounts.contains(&(json!(OTHER_INSTANCE), json!(OTHER_AK))));
    assert!(accounts.contains(&(json!(HANGZHOU), json!(DEMO_AK))));
}
