//! Every action against the real binary: response shapes (JSON and XML), business rules,
//! numbers computed from the control API's messages and offsets, hostile input.

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

/// Field names, sorted (serde_json maps do not keep order).
fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted<const N: usize>(names: [&str; N]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

const ENVELOPE: [&str; 4] = ["RequestId", "Message", "Code", "Success"];

#[tokio::test]
async fn every_action_succeeds_with_the_guides_json_shape() {
    let emu = fast();
    let hz = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];

    let v = emu
        .call("GetInstanceList", &[("RegionId", "cn-hangzhou")])
        .await
        .assert_ok();
    let list = v["InstanceList"]["InstanceVO"]
        .as_array()
        .expect("InstanceList.InstanceVO");
    assert_eq!(list.len(), 1);
    let inst = &list[0];
    assert_eq!(inst["InstanceId"], HANGZHOU);
    assert_eq!(inst["RegionId"], "cn-hangzhou");
    for field in ["Name", "EndPoint", "SslEndPoint", "VpcId", "VSwitchId"] {
        assert!(inst[field].is_string(), "{field}");
    }
    for field in ["CreateTime", "ExpiredTime", "DeployType", "ServiceStatus"] {
        assert!(inst[field].is_i64(), "{field}");
    }
    assert_eq!(inst["ServiceStatus"], 5);
    assert!(inst["UpgradeServiceDetailInfo"]["Current2OpenSourceVersion"].is_string());
    let v = emu
        .call("GetInstanceList", &[("RegionId", "cn-shanghai")])
        .await
        .assert_ok();
    assert_eq!(v["InstanceList"]["InstanceVO"][0]["InstanceId"], SHANGHAI);

    let create = [
        hz[0],
        hz[1],
        ("Topic", "orders"),
        ("Remark", "order events"),
        ("PartitionNum", "6"),
        ("LocalTopic", "true"),
        ("CompactTopic", "true"),
    ];
    let v = emu.call("CreateTopic", &create).await.assert_ok();
    assert_eq!(keys(&v), sorted(ENVELOPE));

    let v = emu.call("GetTopicList", &hz).await.assert_ok();
    assert_eq!(
        (
            v["CurrentPage"].clone(),
            v["PageSize"].clone(),
            v["Total"].clone()
        ),
        (json!(1), json!(10000), json!(1))
    );
    let topic = &v["TopicList"]["TopicVO"][0];
    assert_eq!(
        keys(topic),
        sorted([
            "Topic",
            "InstanceId",
            "RegionId",
            "Remark",
            "PartitionNum",
            "CreateTime",
            "Status",
            "StatusName",
            "CompactTopic",
            "LocalTopic"
        ])
    );
    assert_eq!(topic["Topic"], "orders");
    assert_eq!(topic["InstanceId"], HANGZHOU);
    assert_eq!(topic["Remark"], "order events");
    assert_eq!(topic["PartitionNum"], 6);
    assert_eq!(topic["Status"], 0);
    assert_eq!(
        (topic["LocalTopic"].clone(), topic["CompactTopic"].clone()),
        (json!(true), json!(true))
    );
    let age = chrono::Utc::now().timestamp_millis() - topic["CreateTime"].as_i64().expect("ms");
    assert!((0..60_000).contains(&age), "CreateTime is in ms: {age}");

    let v = emu
        .call(
            "GetTopicStatus",
            &[("InstanceId", HANGZHOU), ("Topic", "orders")],
        )
        .await
        .assert_ok();
    let status = &v["TopicStatus"];
    assert_eq!(status["TotalCount"], 0);
    assert_eq!(status["LastTimeStamp"], 0);
    let table = status["OffsetTable"]["OffsetTable"]
        .as_array()
        .expect("OffsetTable.OffsetTable");
    assert_eq!(table.len(), 6);
    assert_eq!(
        keys(&table[0]),
        sorted([
            "Topic",
            "Partition",
            "MinOffset",
            "MaxOffset",
            "LastUpdateTimestamp"
        ])
    );

    let r = emu
        .call_as(
            &Creds::demo(),
            "ModifyTopicRemark",
            V2019,
            &[hz[0], hz[1], ("Topic", "orders"), ("Remark", "new")],
        )
        .await;
    assert_eq!(keys(&r.assert_ok()), sorted(ENVELOPE));
    let r = emu
        .call_as(
            &Creds::demo(),
            "ModifyPartitionNum",
            V2019,
            &[hz[0], hz[1], ("Topic", "orders"), ("AddPartitionNum", "2")],
        )
        .await;
    r.assert_ok();
    let v = emu.call("GetTopicList", &hz).await.assert_ok();
    assert_eq!(v["TopicList"]["TopicVO"][0]["Remark"], "new");
    assert_eq!(v["TopicList"]["TopicVO"][0]["PartitionNum"], 8);

    let v = emu
        .call(
            "CreateConsumerGroup",
            &[hz[0], hz[1], ("ConsumerId", "billing"), ("Remark", "bills")],
        )
        .await
        .assert_ok();
    assert_eq!(keys(&v), sorted(ENVELOPE));
    let v = emu.call("GetConsumerList", &hz).await.assert_ok();
    let groups = v["ConsumerList"]["ConsumerVO"]
        .as_array()
        .expect("ConsumerList.ConsumerVO");
    // The guide's version answers the ids only; Remark is a 2019-09-16 field.
    assert_eq!(
        groups[0],
        json!({"ConsumerId": "billing", "InstanceId": HANGZHOU, "RegionId": "cn-hangzhou"})
    );
    let v = emu
        .call(
            "GetConsumerProgress",
            &[hz[0], hz[1], ("ConsumerId", "billing")],
        )
        .await
        .assert_ok();
    assert_eq!(
        v["ConsumerProgress"],
        json!({"TotalDiff": 0, "LastTimestamp": 0, "TopicList": {"TopicList": []}})
    );

    emu.call(
        "DeleteConsumerGroup",
        &[hz[0], hz[1], ("ConsumerId", "billing")],
    )
    .await
    .assert_ok();
    emu.call("DeleteTopic", &[hz[0], hz[1], ("Topic", "orders")])
        .await
        .assert_ok();
    let v = emu.call("GetTopicList", &hz).await.assert_ok();
    assert_eq!(v["Total"], 0);
    assert_eq!(v["TopicList"]["TopicVO"], json!([]));
    let v = emu.call("GetConsumerList", &hz).await.assert_ok();
    assert_eq!(v["ConsumerList"]["ConsumerVO"], json!([]));
}

#[tokio::test]
async fn xml_is_the_default_format_with_vo_wrappers() {
    let emu = fast();
    let xml_call = |action: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let mut params = common_params(&Creds::demo(), action, V2018);
        params.remove("Format");
        for (k, v) in extra {
            params.insert(k.into(), v.into());
        }
        sign_v1("POST", &mut params, DEMO_SK);
        params
    };
    let hz = vec![("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];
    for topic in ["xml-one", "xml-two"] {
        let mut extra = hz.clone();
        extra.extend([("Topic", topic), ("Remark", "r&<>")]);
        let r = emu
            .send("POST", &xml_call("CreateTopic", extra), false)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.content_type, "text/xml;charset=utf-8");
        assert!(r
            .body
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateTopicResponse>"));
        let tree = xml_tree(&r.body);
        assert_eq!(tree["CreateTopicResponse"]["Code"], "200");
        assert_eq!(tree["CreateTopicResponse"]["Success"], "true");
    }
    let r = emu
        .send("POST", &xml_call("GetTopicList", hz.clone()), false)
        .await;
    let tree = xml_tree(&r.body);
    let vos = tree["GetTopicListResponse"]["TopicList"]["TopicVO"]
        .as_array()
        .expect("repeated <TopicVO>")
        .clone();
    assert_eq!(vos.len(), 2);
    assert_eq!(vos[0]["Topic"], "xml-one");
    assert_eq!(vos[0]["Remark"], "r&<>", "escaped and unescaped");
    assert_eq!(tree["GetTopicListResponse"]["Total"], "2");

    let r = emu
        .send(
            "POST",
            &xml_call("GetInstanceList", vec![("RegionId", "cn-hangzhou")]),
            false,
        )
        .await;
    let tree = xml_tree(&r.body);
    assert_eq!(
        tree["GetInstanceListResponse"]["InstanceList"]["InstanceVO"]["InstanceId"],
        HANGZHOU
    );

    let mut extra = hz.clone();
    extra.push(("ConsumerId", "xml-group"));
    emu.send("POST", &xml_call("CreateConsumerGroup", extra), false)
        .await;
    let r = emu
        .send("POST", &xml_call("GetConsumerList", hz.clone()), false)
        .await;
    let tree = xml_tree(&r.body);
    assert_eq!(
        tree["GetConsumerListResponse"]["ConsumerList"]["ConsumerVO"]["ConsumerId"],
        "xml-group"
    );

    let mut extra = hz.clone();
    extra.push(("Topic", "xml-one"));
    let r = emu
        .send("POST", &xml_call("GetTopicStatus", extra), false)
        .await;
    let tree = xml_tree(&r.body);
    let rows = tree["GetTopicStatusResponse"]["TopicStatus"]["OffsetTable"]["OffsetTable"]
        .as_array()
        .expect("rows");
    assert_eq!(rows.len(), 12, "default partition count");

    let mut extra = hz.clone();
    extra.push(("ConsumerId", "xml-group"));
    let r = emu
        .send("POST", &xml_call("GetConsumerProgress", extra), false)
        .await;
    let tree = xml_tree(&r.body);
    assert_eq!(
        tree["GetConsumerProgressResponse"]["ConsumerProgress"]["TotalDiff"],
        "0"
    );

    let mut extra = hz.clone();
    extra.extend([("Topic", "xml-one"), ("Remark", "again")]);
    let r = emu
        .send("POST", &xml_call("CreateTopic", extra), false)
        .await;
    assert_eq!(r.status, 400);
    let tree = xml_tree(&r.body);
    let error = &tree["Error"];
    assert_eq!(error["Code"], "BIZ_TOPIC_EXISTED");
    assert_eq!(error["HostId"], "alikafka.cn-hangzhou.aliyuncs.com");
    assert_eq!(
        keys(error),
        sorted(["RequestId", "HostId", "Code", "Message"])
    );
}

#[tokio::test]
async fn status_and_progress_numbers_follow_messages_and_offsets() {
    let emu = fast();
    let hz = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];
    for topic in ["events", "audit"] {
        emu.call(
            "CreateTopic",
            &[
                hz[0],
                hz[1],
                ("Topic", topic),
                ("Remark", "r"),
                ("PartitionNum", "3"),
            ],
        )
        .await
        .assert_ok();
    }
    emu.call(
        "CreateConsumerGroup",
        &[hz[0], hz[1], ("ConsumerId", "readers")],
    )
    .await
    .assert_ok();
    let append = |partition: i64, count: i64| json!({"instance_id": HANGZHOU, "topic": "events", "partition": partition, "count": count});
    let before = chrono::Utc::now().timestamp_millis();
    let (s, v) = emu.control("POST", "messages", Some(append(0, 10))).await;
    assert_eq!((s, v), (200, json!({"partition": 0, "max_offset": 10})));
    let (_, v) = emu.control("POST", "messages", Some(append(1, 5))).await;
    assert_eq!(v["max_offset"], 5);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (_, v) = emu.control("POST", "messages", Some(append(0, 2))).await;
    assert_eq!(v["max_offset"], 12);
    let (s, _) = emu.control("POST", "messages", Some(append(3, 1))).await;
    assert_eq!(s, 400, "partition beyond the topic's count");
    let (s, _) = emu
        .control(
            "POST",
            "messages",
            Some(json!({"instance_id": HANGZHOU, "topic": "nope", "partition": 0, "count": 1})),
        )
        .await;
    assert_eq!(s, 404);

    let commit = |topic: &str, partition: i64, offset: i64| json!({"instance_id": HANGZHOU, "consumer_id": "readers", "topic": topic, "partition": partition, "offset": offset});
    let (s, v) = emu
        .control("POST", "offsets", Some(commit("events", 0, 7)))
        .await;
    assert_eq!((s, v), (200, json!({})));
    emu.control("POST", "offsets", Some(commit("events", 1, 5)))
        .await;
    emu.control("POST", "offsets", Some(commit("audit", 2, 0)))
        .await;

    let v = emu
        .call(
            "GetTopicStatus",
            &[("InstanceId", HANGZHOU), ("Topic", "events")],
        )
        .await
        .assert_ok();
    let status = &v["TopicStatus"];
    assert_eq!(status["TotalCount"], 17);
    let rows = status["OffsetTable"]["OffsetTable"]
        .as_array()
        .expect("rows");
    let max: Vec<i64> = rows
        .iter()
        .map(|r| r["MaxOffset"].as_i64().expect("i64"))
        .collect();
    assert_eq!(max, [12, 5, 0]);
    assert!(rows
        .iter()
        .all(|r| r["MinOffset"] == 0 && r["Topic"] == "events"));
    let last0 = rows[0]["LastUpdateTimestamp"].as_i64().expect("ts");
    let last1 = rows[1]["LastUpdateTimestamp"].as_i64().expect("ts");
    assert!(
        last0 >= before && last0 > last1,
        "partition 0 was appended to last"
    );
    assert_eq!(rows[2]["LastUpdateTimestamp"], 0);
    assert_eq!(status["LastTimeStamp"], last0);

    let v = emu
        .call(
            "GetConsumerProgress",
            &[hz[0], hz[1], ("ConsumerId", "readers")],
        )
        .await
        .assert_ok();
    let progress = &v["ConsumerProgress"];
    let topics = progress["TopicList"]["TopicList"]
        .as_array()
        .expect("topics");
    let names: Vec<&str> = topics
        .iter()
        .map(|t| t["Topic"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["audit", "events"],
        "every topic with a committed offset"
    );
    let events = &topics[1];
    let offsets = events["OffsetList"]["OffsetList"]
        .as_array()
        .expect("offsets");
    let rows: Vec<(i64, i64, i64)> = offsets
        .iter()
        .map(|o| {
            (
                o["Partition"].as_i64().unwrap(),
                o["BrokerOffset"].as_i64().unwrap(),
                o["ConsumerOffset"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [(0, 12, 7), (1, 5, 5), (2, 0, 0)]);
    assert_eq!(events["TotalDiff"], 5, "lag = broker - consumer: 5 + 0 + 0");
    // Offset 7 means message 6 was consumed: it is in the first batch, older than the latest.
    let p0_ts = offsets[0]["LastTimestamp"].as_i64().unwrap();
    assert!(p0_ts >= before && p0_ts < last0);
    assert_eq!(offsets[2]["LastTimestamp"], 0);
    assert_eq!(
        events["LastTimestamp"],
        offsets
            .iter()
            .map(|o| o["LastTimestamp"].as_i64().unwrap())
            .max()
            .unwrap()
    );
    assert_eq!(topics[0]["TotalDiff"], 0);
    assert_eq!(progress["TotalDiff"], 5);
    assert_eq!(progress["LastTimestamp"], events["LastTimestamp"]);
}

#[tokio::test]
async fn names_remarks_and_partitions_follow_the_business_rules() {
    let emu = fast();
    let hz = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];
    let create = |topic: &'static str, remark: &'static str| {
        [hz[0], hz[1], ("Topic", topic), ("Remark", remark)]
    };

    emu.call("CreateTopic", &create("ab", "r"))
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    emu.call("CreateTopic", &create("has space", "r"))
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    emu.call("CreateTopic", &create("dots.not.ok", "r"))
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    emu.call("CreateTopic", &[hz[0], hz[1], ("Topic", "no-remark")])
        .await
        .assert_error(400, "MissingParameter");
    let long_remark: &'static str = Box::leak("r".repeat(65).into_boxed_str());
    emu.call("CreateTopic", &create("long-remark", long_remark))
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    for bad in ["0", "361", "abc"] {
        emu.call(
            "CreateTopic",
            &[
                hz[0],
                hz[1],
                ("Topic", "parts"),
                ("Remark", "r"),
                ("PartitionNum", bad),
            ],
        )
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    }
    emu.call(
        "CreateTopic",
        &[
            hz[0],
            hz[1],
            ("Topic", "parts"),
            ("Remark", "r"),
            ("LocalTopic", "maybe"),
        ],
    )
    .await
    .assert_error(400, "InvalidParameter");

    // The trap: names longer than 64 characters are silently truncated.
    let long: &'static str =
        Box::leak(format!("{}-tail-beyond-64", "t".repeat(60)).into_boxed_str());
    emu.call("CreateTopic", &create(long, "truncated"))
        .await
        .assert_ok();
    let stored: Vec<String> = emu
        .state_topics(HANGZHOU)
        .await
        .iter()
        .map(|t| t["topic"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stored, [long[..64].to_string()]);
    let prefix: &'static str = Box::leak(long[..64].to_string().into_boxed_str());
    emu.call("CreateTopic", &create(prefix, "again"))
        .await
        .assert_error(400, "BIZ_TOPIC_EXISTED");

    emu.call("CreateTopic", &create("rules", "r"))
        .await
        .assert_ok();
    emu.call("CreateTopic", &create("rules", "r"))
        .await
        .assert_error(400, "BIZ_TOPIC_EXISTED");
    let list = emu.call("GetTopicList", &hz).await.assert_ok();
    let rules = list["TopicList"]["TopicVO"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["Topic"] == "rules")
        .unwrap()
        .clone();
    assert_eq!(rules["PartitionNum"], 12, "default partition count");

    let modify = |add: &'static str| [hz[0], hz[1], ("Topic", "rules"), ("AddPartitionNum", add)];
    emu.call_as(&Creds::demo(), "ModifyPartitionNum", V2019, &modify("0"))
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    emu.call_as(&Creds::demo(), "ModifyPartitionNum", V2019, &modify("349"))
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    emu.call_as(&Creds::demo(), "ModifyPartitionNum", V2019, &modify("348"))
        .await
        .assert_ok();
    emu.call_as(
        &Creds::demo(),
        "ModifyTopicRemark",
        V2019,
        &[hz[0], hz[1], ("Topic", "rules"), ("Remark", long_remark)],
    )
    .await
    .assert_error(400, "BIZ_FIELD_CHECK_INVALID");

    let missing = [hz[0], hz[1], ("Topic", "missing")];
    emu.call("DeleteTopic", &missing)
        .await
        .assert_error(400, "BIZ_TOPIC_NOT_FOUND");
    emu.call("GetTopicStatus", &missing)
        .await
        .assert_error(400, "BIZ_TOPIC_NOT_FOUND");
    emu.call_as(
        &Creds::demo(),
        "ModifyTopicRemark",
        V2019,
        &[hz[0], hz[1], ("Topic", "missing"), ("Remark", "x")],
    )
    .await
    .assert_error(400, "BIZ_TOPIC_NOT_FOUND");

    let group = [hz[0], hz[1], ("ConsumerId", "grp")];
    emu.call("CreateConsumerGroup", &group).await.assert_ok();
    emu.call("CreateConsumerGroup", &group)
        .await
        .assert_error(400, "BIZ_SUBSCRIPTION_EXISTED");
    emu.call("CreateConsumerGroup", &[hz[0], hz[1], ("ConsumerId", "g!")])
        .await
        .assert_error(400, "BIZ_FIELD_CHECK_INVALID");
    let nogroup = [hz[0], hz[1], ("ConsumerId", "nogroup")];
    emu.call("DeleteConsumerGroup", &nogroup)
        .await
        .assert_error(400, "BIZ_SUBSCRIPTION_NOT_FOUND");
    emu.call("GetConsumerProgress", &nogroup)
        .await
        .assert_error(400, "BIZ_SUBSCRIPTION_NOT_FOUND");

    // Instances: unknown, missing, wrong region.
    emu.call(
        "GetTopicList",
        &[
            ("RegionId", "cn-hangzhou"),
            ("InstanceId", "alikafka_post-cn-nothere"),
        ],
    )
    .await
    .assert_error(400, "BIZ_INSTANCE_NOT_FOUND");
    emu.call(
        "GetTopicList",
        &[("RegionId", "cn-shanghai"), ("InstanceId", HANGZHOU)],
    )
    .await
    .assert_error(400, "BIZ_INSTANCE_NOT_FOUND");
    emu.call("GetTopicList", &[("RegionId", "cn-hangzhou")])
        .await
        .assert_error(400, "MissingParameter");
    emu.call("GetTopicList", &[("InstanceId", HANGZHOU)])
        .await
        .assert_error(400, "MissingParameter");
    emu.call("GetInstanceList", &[])
        .await
        .assert_error(400, "MissingParameter");
}

#[tokio::test]
async fn topic_list_pages_and_filters() {
    let emu = fast();
    let hz = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];
    for topic in ["alpha-1", "beta-1", "alpha-2", "beta-2", "gamma"] {
        emu.call(
            "CreateTopic",
            &[hz[0], hz[1], ("Topic", topic), ("Remark", "r")],
        )
        .await
        .assert_ok();
    }
    let names = |v: &Value| -> Vec<String> {
        v["TopicList"]["TopicVO"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Topic"].as_str().unwrap().to_string())
            .collect()
    };
    let v = emu
        .call(
            "GetTopicList",
            &[hz[0], hz[1], ("PageSize", "2"), ("CurrentPage", "2")],
        )
        .await
        .assert_ok();
    assert_eq!(
        (
            v["Total"].clone(),
            v["PageSize"].clone(),
            v["CurrentPage"].clone()
        ),
        (json!(5), json!(2), json!(2))
    );
    assert_eq!(names(&v), ["alpha-2", "beta-2"], "creation order");
    let v = emu
        .call(
            "GetTopicList",
            &[hz[0], hz[1], ("PageSize", "2"), ("CurrentPage", "3")],
        )
        .await
        .assert_ok();
    assert_eq!(names(&v), ["gamma"]);
    let v = emu
        .call(
            "GetTopicList",
            &[hz[0], hz[1], ("PageSize", "2"), ("CurrentPage", "9")],
        )
        .await
        .assert_ok();
    assert_eq!((names(&v).len(), v["Total"].clone()), (0, json!(5)));
    let v = emu
        .call("GetTopicList", &[hz[0], hz[1], ("Topic", "alpha")])
        .await
        .assert_ok();
    assert_eq!(
        (names(&v), v["Total"].clone()),
        (vec!["alpha-1".to_string(), "alpha-2".to_string()], json!(2))
    );
    for (name, bad) in [
        ("PageSize", "0"),
        ("PageSize", "10001"),
        ("CurrentPage", "0"),
        ("CurrentPage", "x"),
    ] {
        emu.call("GetTopicList", &[hz[0], hz[1], (name, bad)])
            .await
            .assert_error(400, "InvalidParameter");
    }
}

#[tokio::test]
async fn versions_actions_methods_and_paths() {
    let emu = fast();
    let hz = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];
    let demo = Creds::demo();
    emu.call_as(&demo, "GetTopicList", V2019, &hz)
        .await
        .assert_ok();
    emu.call_as(&demo, "GetTopicList", "2017-01-01", &hz)
        .await
        .assert_error(400, "InvalidVersion");
    emu.call_as(&demo, "ModifyTopicRemark", V2018, &hz)
        .await
        .assert_error(404, "InvalidAction.NotFound");
    emu.call_as(&demo, "DescribeInstances", V2018, &hz)
        .await
        .assert_error(404, "InvalidAction.NotFound");

    let mut params = common_params(&demo, "GetTopicList", V2018);
    params.remove("Action");
    sign_v1("POST", &mut params, DEMO_SK);
    emu.send("POST", &params, false)
        .await
        .assert_error(400, "MissingParameter");
    let mut params = common_params(&demo, "GetTopicList", V2018);
    params.remove("Version");
    sign_v1("POST", &mut params, DEMO_SK);
    emu.send("POST", &params, false)
        .await
        .assert_error(400, "MissingParameter");

    // GET with the query, POST with a form body: both signed with their own method.
    let mut params = common_params(&demo, "GetTopicList", V2018);
    params.extend(hz.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    sign_v1("GET", &mut params, DEMO_SK);
    emu.send("GET", &params, false).await.assert_ok();
    let mut params = common_params(&demo, "CreateTopic", V2018);
    params.extend(hz.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    params.insert("Topic".into(), "from-form".into());
    params.insert("Remark".into(), "sent in the body: ~!*()'".into());
    sign_v1("POST", &mut params, DEMO_SK);
    emu.send("POST", &params, true).await.assert_ok();
    let topics = emu.state_topics(HANGZHOU).await;
    assert_eq!(topics[0]["remark"], "sent in the body: ~!*()'");
    // A GET-signed request sent as POST does not verify.
    let mut params = common_params(&demo, "GetTopicList", V2018);
    params.extend(hz.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    sign_v1("GET", &mut params, DEMO_SK);
    emu.send("POST", &params, false)
        .await
        .assert_error(400, "SignatureDoesNotMatch");

    let mut params = common_params(&demo, "GetTopicList", V2018);
    sign_v1("PUT", &mut params, DEMO_SK);
    emu.send("PUT", &params, false)
        .await
        .assert_error(404, "InvalidAction.NotFound");
    let reply = Reply::from(
        emu.http
            .post(format!("{}/other/path?Format=JSON", emu.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    reply.assert_error(404, "InvalidAction.NotFound");
}

#[tokio::test]
async fn quotas_are_enforced_per_instance() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("emulator.toml");
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
            [[instances]]
            instance_id = "alikafka_small"
            account = "{DEMO_AK}"
            region_id = "cn-beijing"
            topic_quota = 2
            group_quota = 1
            [[instances]]
            instance_id = "alikafka_stopped"
            account = "{DEMO_AK}"
            region_id = "cn-beijing"
            service_status = 15
            "#
        ),
    )
    .unwrap();
    let emu = Emulator::start(&["--config", config.to_str().unwrap()]);
    let small = [("RegionId", "cn-beijing"), ("InstanceId", "alikafka_small")];
    for topic in ["quota-1", "quota-2"] {
        emu.call(
            "CreateTopic",
            &[small[0], small[1], ("Topic", topic), ("Remark", "r")],
        )
        .await
        .assert_ok();
    }
    emu.call(
        "CreateTopic",
        &[small[0], small[1], ("Topic", "quota-3"), ("Remark", "r")],
    )
    .await
    .assert_error(400, "BIZ_TOPIC_QUOTA_EXCEEDED");
    emu.call(
        "CreateConsumerGroup",
        &[small[0], small[1], ("ConsumerId", "g-1")],
    )
    .await
    .assert_ok();
    emu.call(
        "CreateConsumerGroup",
        &[small[0], small[1], ("ConsumerId", "g-2")],
    )
    .await
    .assert_error(400, "BIZ_SUBSCRIPTION_QUOTA_EXCEEDED");
    // A deleted topic frees its quota slot once gone (delay 0).
    emu.call("DeleteTopic", &[small[0], small[1], ("Topic", "quota-1")])
        .await
        .assert_ok();
    emu.call(
        "CreateTopic",
        &[small[0], small[1], ("Topic", "quota-3"), ("Remark", "r")],
    )
    .await
    .assert_ok();

    let stopped = [
        ("RegionId", "cn-beijing"),
        ("InstanceId", "alikafka_stopped"),
    ];
    emu.call(
        "CreateTopic",
        &[stopped[0], stopped[1], ("Topic", "nope"), ("Remark", "r")],
    )
    .await
    .assert_error(400, "BIZ_INSTANCE_STATUS_ERROR");
    emu.call("GetTopicList", &stopped).await.assert_ok();
    let v = emu
        .call("GetInstanceList", &[("RegionId", "cn-beijing")])
        .await
        .assert_ok();
    assert_eq!(v["InstanceList"]["InstanceVO"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["InstanceList"]["InstanceVO"][0]["Name"], "alikafka_small",
        "name defaults to the id"
    );
}

#[tokio::test]
async fn hostile_input_is_answered_and_never_breaks_the_server() {
    let emu = fast();
    for raw in [
        "Action=%ZZ&Version=%",
        "Action=%FF%FE&Format=JSON",
        "%FF=1&Format=JSON",
        "Action=GetTopicList&Action=GetTopicList&Format=JSON",
        "Format=YAML",
        "&&&===&&",
        "Format=JSON&Timestamp=%00%01",
    ] {
        let r = emu.send_raw_query(raw).await;
        assert!(
            (400..500).contains(&r.status),
            "{raw}: {} {}",
            r.status,
            r.body
        );
    }
    let huge = "x".repeat(60_000);
    let r = emu
        .send_raw_query(&format!(
            "Format=JSON&Action=GetTopicList&Version={V2018}&Junk={huge}"
        ))
        .await;
    r.assert_error(400, "MissingParameter");
    let many: String = (0..5000).map(|i| format!("P{i}={i}&")).collect();
    let r = emu.send_raw_query(&format!("{many}Format=JSON")).await;
    r.assert_error(400, "MissingParameter");
    let big_body = vec![b'a'; 2 << 20];
    let response = emu
        .http
        .post(format!("{}/?Format=JSON", emu.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big_body)
        .send()
        .await;
    if let Ok(response) = response {
        assert!(Reply::from(response).await.status >= 400);
    }
    let r = Reply::from(
        emu.http
            .post(format!("{}/?Format=JSON", emu.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![0xff, 0xfe, b'=', 0x80])
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "InvalidParameter");
    let r = Reply::from(
        emu.http
            .post(format!("{}/?Format=JSON", emu.base))
            .header("authorization", "ACS3-HMAC-SHA256 junk")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
    let (status, health) = emu.control("GET", "health", None).await;
    assert_eq!((status, health), (200, json!({"status": "ok"})));
    emu.call("GetInstanceList", &[("RegionId", "cn-hangzhou")])
        .await
        .assert_ok();
}
