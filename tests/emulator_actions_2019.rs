//! The actions and fields of API version 2019-09-16 against the real binary: answers per
//! version, topic settings, tags (limits, paging), SASL users, ACLs and allowlists
//! (validation, visibility delays, entries stored as the service stores them).

mod emulator_support;

use emulator_support::*;
use serde_json::{json, Value};

fn fast() -> Emulator {
    Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "1000",
        "--create-topic-qps",
        "1000",
    ])
}

const HZ: [(&str, &str); 2] = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];

async fn call19(emu: &Emulator, action: &str, extra: &[(&str, &str)]) -> Reply {
    let mut params: Vec<(&str, &str)> = HZ.to_vec();
    params.extend_from_slice(extra);
    emu.call_as(&Creds::demo(), action, V2019, &params).await
}

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn each_version_answers_its_own_fields() {
    let emu = fast();
    call19(
        &emu,
        "CreateTopic",
        &[
            ("Topic", "orders"),
            ("Remark", "r"),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "pay"),
        ],
    )
    .await
    .assert_ok();
    call19(
        &emu,
        "CreateConsumerGroup",
        &[("ConsumerId", "billing"), ("Remark", "bills")],
    )
    .await
    .assert_ok();

    let old = emu.call("GetTopicList", &HZ).await.assert_ok();
    let old_topic = &old["TopicList"]["TopicVO"][0];
    assert!(old_topic.get("TopicConfig").is_none() && old_topic.get("Tags").is_none());
    let new = call19(&emu, "GetTopicList", &[]).await.assert_ok();
    let topic = &new["TopicList"]["TopicVO"][0];
    let mut expected = keys(old_topic);
    expected.extend(["AutoCreate", "Tags", "TopicConfig"].map(String::from));
    expected.sort();
    assert_eq!(keys(topic), expected);
    assert_eq!(
        topic["Tags"],
        json!({"TagVO": [{"Key": "team", "Value": "pay"}]})
    );
    let config: Value = serde_json::from_str(topic["TopicConfig"].as_str().expect("a string"))
        .expect("a JSON object text");
    assert!(config
        .as_object()
        .expect("object")
        .values()
        .all(Value::is_string));
    assert_eq!(config["retention.ms"], "259200000");

    let old = emu.call("GetConsumerList", &HZ).await.assert_ok();
    assert_eq!(
        keys(&old["ConsumerList"]["ConsumerVO"][0]),
        ["ConsumerId", "InstanceId", "RegionId"]
    );
    assert!(old.get("Total").is_none());
    let new = call19(&emu, "GetConsumerList", &[]).await.assert_ok();
    let group = &new["ConsumerList"]["ConsumerVO"][0];
    assert_eq!(
        keys(group),
        [
            "AutomaticallyCreatedGroup",
            "ConsumerId",
            "CreateTime",
            "InstanceId",
            "RegionId",
            "Remark",
            "Tags"
        ]
    );
    assert_eq!(
        (new["Total"].clone(), new["PageSize"].clone()),
        (json!(1), json!(10000))
    );

    let old = emu
        .call("GetInstanceList", &[("RegionId", "cn-hangzhou")])
        .await
        .assert_ok();
    assert!(old["InstanceList"]["InstanceVO"][0]
        .get("MsgRetain")
        .is_none());
    let new = emu
        .call_as(
            &Creds::demo(),
            "GetInstanceList",
            V2019,
            &[("RegionId", "cn-hangzhou")],
        )
        .await
        .assert_ok();
    let inst = &new["InstanceList"]["InstanceVO"][0];
    assert_eq!(
        (
            inst["UsedTopicCount"].clone(),
            inst["UsedGroupCount"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(inst["UsedPartitionCount"], 12);
    assert!(inst["AllConfig"]
        .as_str()
        .is_some_and(|c| c.contains("enable.acl")));

    // New actions do not exist in the guide's version.
    emu.call("DescribeSaslUsers", &HZ)
        .await
        .assert_error(404, "InvalidAction.NotFound");
    // Names with dots: the 2019 SDK's rule; the guide's refuses them.
    call19(&emu, "CreateTopic", &[("Topic", "a.b.c"), ("Remark", "r")])
        .await
        .assert_ok();
    emu.call(
        "CreateTopic",
        &[HZ[0], HZ[1], ("Topic", "d.e.f"), ("Remark", "r")],
    )
    .await
    .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
}

#[tokio::test]
async fn topic_list_pages_of_ten_by_default_in_2019() {
    let emu = fast();
    for n in 0..12 {
        let name = format!("topic-{n:02}");
        call19(&emu, "CreateTopic", &[("Topic", &name), ("Remark", "r")])
            .await
            .assert_ok();
    }
    let v = call19(&emu, "GetTopicList", &[]).await.assert_ok();
    assert_eq!(v["TopicList"]["TopicVO"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        (v["Total"].clone(), v["PageSize"].clone()),
        (json!(12), json!(10))
    );
    let v = call19(&emu, "GetTopicList", &[("CurrentPage", "2")])
        .await
        .assert_ok();
    assert_eq!(v["TopicList"]["TopicVO"].as_array().map(Vec::len), Some(2));
    let v = emu.call("GetTopicList", &HZ).await.assert_ok();
    assert_eq!(
        v["PageSize"], 10000,
        "the guide's version: one page of 10000"
    );
}

#[tokio::test]
async fn topic_settings_and_replication_are_validated() {
    let emu = fast();
    let create = |topic: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let mut params = vec![("Topic", topic), ("Remark", "r")];
        params.extend(extra);
        params
    };
    for (extra, code) in [
        (
            vec![("LocalTopic", "true"), ("Config", "not json")],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![
                ("LocalTopic", "true"),
                ("Config", r#"{"retention.ms":"1000"}"#),
            ],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![
                ("LocalTopic", "true"),
                ("Config", r#"{"segment.bytes":"1"}"#),
            ],
            "InvalidParameter.NotSupport",
        ),
        (
            vec![("LocalTopic", "true"), ("ReplicationFactor", "4")],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![
                ("LocalTopic", "true"),
                ("ReplicationFactor", "2"),
                ("MinInsyncReplicas", "2"),
            ],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![("Tag.1.Key", "acs:reserved"), ("Tag.1.Value", "x")],
            "InvalidTagKey.Malformed",
        ),
        (vec![("Tag.1.Value", "no key")], "MissingParameter"),
    ] {
        call19(&emu, "CreateTopic", &create("bad", extra.clone()))
            .await
            .assert_error(400, code);
    }
    // A cloud-storage topic takes the defaults whatever Config says.
    call19(
        &emu,
        "CreateTopic",
        &create(
            "cloudy",
            vec![
                ("Config", r#"{"retention.ms":"86400000"}"#),
                ("ReplicationFactor", "1"),
            ],
        ),
    )
    .await
    .assert_ok();
    let state = emu.state_topics(HANGZHOU).await;
    assert_eq!(state[0]["config"], json!({}));
    assert_eq!(state[0]["replication_factor"], 3);
    call19(
        &emu,
        "UpdateTopicConfig",
        &[
            ("Topic", "cloudy"),
            ("Config", "retention.ms"),
            ("Value", "86400000"),
        ],
    )
    .await
    .assert_error(400, "InvalidParameter.NotSupport");
    call19(
        &emu,
        "UpdateTopicConfig",
        &[
            ("Topic", "missing"),
            ("Config", "retention.ms"),
            ("Value", "86400000"),
        ],
    )
    .await
    .assert_error(400, "BIZ_TOPIC_NOT_FOUND");
    call19(
        &emu,
        "CreateTopic",
        &create("local", vec![("LocalTopic", "true")]),
    )
    .await
    .assert_ok();
    for (key, value, code) in [
        (
            "message.timestamp.type",
            "Sometimes",
            "BIZ_FIELD_CHECK_INVALID",
        ),
        ("max.message.bytes", "10485761", "BIZ_FIELD_CHECK_INVALID"),
        ("replication-factor", "2", "InvalidParameter.NotSupport"),
    ] {
        call19(
            &emu,
            "UpdateTopicConfig",
            &[("Topic", "local"), ("Config", key), ("Value", value)],
        )
        .await
        .assert_error(400, code);
    }
    call19(
        &emu,
        "UpdateTopicConfig",
        &[
            ("Topic", "local"),
            ("Config", "retention.ms"),
            ("Value", "0086400000"),
        ],
    )
    .await
    .assert_ok();
    let v = call19(&emu, "GetTopicList", &[("Topic", "local")])
        .await
        .assert_ok();
    let config: Value = serde_json::from_str(
        v["TopicList"]["TopicVO"][0]["TopicConfig"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(config["retention.ms"], "86400000", "kept in canonical form");
    assert_eq!(config["replication-factor"], "3");
    assert_eq!(config["min.insync.replicas"], "2");
}

#[tokio::test]
async fn tag_limits_and_resource_ids() {
    let emu = fast();
    call19(&emu, "CreateTopic", &[("Topic", "tagged"), ("Remark", "r")])
        .await
        .assert_ok();
    let id = format!("Kafka_{HANGZHOU}_tagged");
    let tag_with = |pairs: Vec<(String, String)>| {
        let mut params = vec![
            ("RegionId".to_owned(), "cn-hangzhou".to_owned()),
            ("ResourceType".to_owned(), "Topic".to_owned()),
            ("ResourceId.1".to_owned(), id.clone()),
        ];
        params.extend(pairs);
        params
    };
    let send = |params: Vec<(String, String)>| {
        let emu = &emu;
        async move {
            let borrowed: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            emu.call_as(&Creds::demo(), "TagResources", V2019, &borrowed)
                .await
        }
    };
    let tags = |range: std::ops::Range<usize>| -> Vec<(String, String)> {
        range
            .enumerate()
            .flat_map(|(i, n)| {
                [
                    (format!("Tag.{}.Key", i + 1), format!("key-{n:02}")),
                    (format!("Tag.{}.Value", i + 1), format!("{n}")),
                ]
            })
            .collect()
    };
    send(tag_with(tags(0..21)))
        .await
        .assert_error(400, "NumberExceed.Tags");
    send(tag_with(tags(0..15))).await.assert_ok();
    // 15 on the resource + 6 new keys would be 21.
    send(tag_with(tags(15..21)))
        .await
        .assert_error(400, "NumberExceed.Tags");
    // Changing the value of held keys is no new tag.
    send(tag_with(tags(10..20))).await.assert_ok();
    let long_key = "k".repeat(129);
    send(tag_with(vec![
        ("Tag.1.Key".into(), long_key),
        ("Tag.1.Value".into(), "v".into()),
    ]))
    .await
    .assert_error(400, "InvalidTagKey.Malformed");
    send(tag_with(vec![
        ("Tag.1.Key".into(), "ok".into()),
        ("Tag.1.Value".into(), "https://x".into()),
    ]))
    .await
    .assert_error(400, "InvalidTagValue.Malformed");
    let mut many = vec![
        ("RegionId".to_owned(), "cn-hangzhou".to_owned()),
        ("ResourceType".to_owned(), "TOPIC".to_owned()),
        ("Tag.1.Key".to_owned(), "k".to_owned()),
    ];
    many.extend((1..=51).map(|n| (format!("ResourceId.{n}"), id.clone())));
    send(many)
        .await
        .assert_error(400, "NumberExceed.ResourceIds");
    let missing = vec![
        ("RegionId".to_owned(), "cn-hangzhou".to_owned()),
        ("ResourceType".to_owned(), "TOPIC".to_owned()),
        (
            "ResourceId.1".to_owned(),
            format!("Kafka_{HANGZHOU}_nothere"),
        ),
        ("Tag.1.Key".to_owned(), "k".to_owned()),
    ];
    send(missing).await.assert_error(400, "BIZ_TOPIC_NOT_FOUND");
    // The instance itself is taggable, and GetInstanceList filters by tag.
    emu.call_as(
        &Creds::demo(),
        "TagResources",
        V2019,
        &[
            ("RegionId", "cn-hangzhou"),
            ("ResourceType", "instance"),
            ("ResourceId.1", HANGZHOU),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "prod"),
        ],
    )
    .await
    .assert_ok();
    let v = emu
        .call_as(
            &Creds::demo(),
            "GetInstanceList",
            V2019,
            &[
                ("RegionId", "cn-hangzhou"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "prod"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(
        v["InstanceList"]["InstanceVO"][0]["Tags"],
        json!({"TagVO": [{"Key": "env", "Value": "prod"}]})
    );
    let v = emu
        .call_as(
            &Creds::demo(),
            "GetInstanceList",
            V2019,
            &[
                ("RegionId", "cn-hangzhou"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "dev"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(v["InstanceList"]["InstanceVO"], json!([]));
    emu.call_as(
        &Creds::demo(),
        "ListTagResources",
        V2019,
        &[("RegionId", "cn-hangzhou"), ("ResourceType", "TOPIC")],
    )
    .await
    .assert_error(400, "MissingParameter");
    emu.call_as(
        &Creds::demo(),
        "ListTagResources",
        V2019,
        &[
            ("RegionId", "cn-hangzhou"),
            ("ResourceType", "TOPIC"),
            ("ResourceId.1", &id),
            ("NextToken", "forged"),
        ],
    )
    .await
    .assert_error(400, "InvalidParameter");
}

#[tokio::test]
async fn users_acls_and_allowlists_appear_after_the_visibility_delay() {
    let emu = Emulator::start(&[
        "--visibility-delay-ms",
        "400",
        "--qps",
        "1000",
        "--create-topic-qps",
        "1000",
    ]);
    call19(
        &emu,
        "CreateSaslUser",
        &[("Username", "svc"), ("Password", "pw-1")],
    )
    .await
    .assert_ok();
    call19(
        &emu,
        "CreateAcl",
        &[
            ("Username", "svc"),
            ("AclResourceType", "Topic"),
            ("AclResourceName", "team-"),
            ("AclResourcePatternType", "PREFIXED"),
            ("AclOperationType", "Write"),
        ],
    )
    .await
    .assert_ok();
    call19(
        &emu,
        "UpdateAllowedIp",
        &[
            ("AllowedListType", "vpc"),
            ("UpdateType", "add"),
            ("PortRange", "9094/9094"),
            ("AllowedListIp", "10.0.0.1,10.0.0.2"),
        ],
    )
    .await
    .assert_ok();
    // Without the pattern type the name is taken literally, and no topic "team-" exists.
    let describe_acls = [
        ("Username", "svc"),
        ("AclResourceType", "Topic"),
        ("AclResourceName", "team-"),
        ("AclResourcePatternType", "PREFIXED"),
    ];
    let users = |v: &Value| v["SaslUserList"]["SaslUserVO"].as_array().map(Vec::len);
    let acls = |v: &Value| v["KafkaAclList"]["KafkaAclVO"].as_array().map(Vec::len);
    let entries = |v: &Value| v["AllowedList"]["VpcList"][1]["AllowedIpList"].clone();
    assert_eq!(
        users(&call19(&emu, "DescribeSaslUsers", &[]).await.assert_ok()),
        Some(0)
    );
    assert_eq!(
        acls(
            &call19(&emu, "DescribeAcls", &describe_acls)
                .await
                .assert_ok()
        ),
        Some(0)
    );
    assert_eq!(
        entries(&call19(&emu, "GetAllowedIpList", &[]).await.assert_ok()),
        json!([])
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let v = call19(&emu, "DescribeSaslUsers", &[]).await.assert_ok();
    assert_eq!(
        v["SaslUserList"]["SaslUserVO"],
        json!([{"Username": "svc", "Password": "pw-1", "Type": "plain"}])
    );
    assert_eq!(
        acls(
            &call19(&emu, "DescribeAcls", &describe_acls)
                .await
                .assert_ok()
        ),
        Some(1)
    );
    let v = call19(&emu, "GetAllowedIpList", &[]).await.assert_ok();
    assert_eq!(v["AllowedList"]["VpcList"][1]["PortRange"], "9094/9094");
    assert_eq!(
        entries(&v),
        json!(["10.0.0.1,10.0.0.2"]),
        "one entry, as added"
    );
    // Deleting one address keeps the other (after the delay).
    call19(
        &emu,
        "UpdateAllowedIp",
        &[
            ("AllowedListType", "vpc"),
            ("UpdateType", "delete"),
            ("PortRange", "9094/9094"),
            ("AllowedListIp", "10.0.0.1"),
        ],
    )
    .await
    .assert_ok();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        entries(&call19(&emu, "GetAllowedIpList", &[]).await.assert_ok()),
        json!(["10.0.0.2"])
    );
    // XML carries the description map as entries.
    let mut params = common_params(&Creds::demo(), "GetAllowedIpList", V2019);
    params.insert("Format".into(), "XML".into());
    for (k, v) in HZ {
        params.insert(k.into(), v.into());
    }
    sign_v1("POST", &mut params, DEMO_SK);
    let xml = emu.send("POST", &params, false).await;
    assert_eq!(xml.status, 200, "{}", xml.body);
    assert!(
        xml.body.contains("<AllowedIpList>10.0.0.2</AllowedIpList><AllowedIpGroup><Entry><Key>10.0.0.2</Key><Value></Value></Entry></AllowedIpGroup>"),
        "{}",
        xml.body
    );
}

#[tokio::test]
async fn access_parameters_are_validated() {
    let emu = fast();
    for (extra, code) in [
        (
            vec![
                ("Username", "svc"),
                ("Password", "pw"),
                ("Type", "kerberos"),
            ],
            "InvalidParameter",
        ),
        (
            vec![
                ("Username", "svc"),
                ("Password", "pw"),
                ("Mechanism", "MD5"),
            ],
            "InvalidParameter",
        ),
        (
            vec![("Username", "has space"), ("Password", "pw")],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (vec![("Username", "svc")], "MissingParameter"),
    ] {
        call19(&emu, "CreateSaslUser", &extra)
            .await
            .assert_error(400, code);
    }
    let acl = |extra: &[(&'static str, &'static str)]| {
        let mut params = vec![
            ("Username", "svc"),
            ("AclResourceType", "Topic"),
            ("AclResourceName", "*"),
            ("AclResourcePatternType", "LITERAL"),
            ("AclOperationType", "Read"),
        ];
        for (k, v) in extra {
            params.retain(|(pk, _)| pk != k);
            params.push((k, v));
        }
        params
    };
    for (extra, code) in [
        (vec![("AclResourceType", "Broker")], "InvalidParameter"),
        (
            vec![("AclResourcePatternType", "literal")],
            "InvalidParameter",
        ),
        (
            vec![("AclOperationType", "DESCRIBE_CONFIGS")],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![("AclOperationType", "IdempotentWrite")],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![("AclOperationTypes", "Read,Write")],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (vec![("Host", "10.0.0.1")], "BIZ_FIELD_CHECK_INVALID"),
        (vec![("Host", "10.0.0.0/8")], "InvalidParameter"),
        (
            vec![("AclResourceName", "missing-topic")],
            "BIZ_TOPIC_NOT_FOUND",
        ),
    ] {
        call19(&emu, "CreateAcl", &acl(&extra))
            .await
            .assert_error(400, code);
    }
    call19(
        &emu,
        "CreateAcl",
        &acl(&[("AclPermissionType", "ALLOW"), ("Host", "*")]),
    )
    .await
    .assert_ok();
    call19(&emu, "CreateAcl", &acl(&[])).await.assert_ok();
    let state = emu.state().await;
    let inst = &state["instances"][0];
    assert_eq!(
        inst["acls"].as_array().map(Vec::len),
        Some(1),
        "the same ACL twice is one"
    );
    call19(
        &emu,
        "DescribeAcls",
        &[
            ("Username", "svc"),
            ("AclResourceType", "Group"),
            ("AclResourceName", "nogroup"),
        ],
    )
    .await
    .assert_error(400, "BIZ_SUBSCRIPTION_NOT_FOUND");
    for (extra, code) in [
        (
            vec![
                ("AllowedListType", "vpn"),
                ("UpdateType", "add"),
                ("PortRange", "9092/9092"),
                ("AllowedListIp", "10.0.0.1"),
            ],
            "InvalidParameter",
        ),
        (
            vec![
                ("AllowedListType", "vpc"),
                ("UpdateType", "add"),
                ("PortRange", "1/1"),
                ("AllowedListIp", "10.0.0.1"),
            ],
            "InvalidParameter",
        ),
        (
            vec![
                ("AllowedListType", "vpc"),
                ("UpdateType", "add"),
                ("PortRange", "9092/9092"),
                ("AllowedListIp", "10.0.0.300"),
            ],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![
                ("AllowedListType", "vpc"),
                ("UpdateType", "delete"),
                ("PortRange", "9092/9092"),
                ("AllowedListIp", "10.0.0.1,10.0.0.2"),
            ],
            "BIZ_FIELD_CHECK_INVALID",
        ),
        (
            vec![
                ("AllowedListType", "vpc"),
                ("UpdateType", "replace"),
                ("PortRange", "9092/9092"),
                ("AllowedListIp", "10.0.0.1"),
            ],
            "InvalidParameter",
        ),
    ] {
        call19(&emu, "UpdateAllowedIp", &extra)
            .await
            .assert_error(400, code);
    }
}
