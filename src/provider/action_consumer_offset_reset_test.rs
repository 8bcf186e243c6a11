use super::*;
use crate::tfplugin::framework::Action;

fn config(set: &[(&str, Value)]) -> Value {
    let action = ConsumerOffsetResetAction::new(Shared::default());
    let mut config = support::object_with(&action.schema(), &[]);
    for (name, value) in [
        ("instance_id", Value::from("i-1")),
        ("consumer_id", Value::from("billing")),
        ("topic", Value::from("orders")),
    ] {
        config.set_attr(name, value);
    }
    for (name, value) in set {
        config.set_attr(*name, value.clone());
    }
    config
}

fn offsets(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

fn only_error(result: Result<Option<Target>, Diagnostics>) -> Diagnostic {
    let diagnostics = result.expect_err("refused");
    let all: Vec<&Diagnostic> = diagnostics.iter().collect();
    assert_eq!(all.len(), 1, "{diagnostics}");
    all[0].clone()
}

#[test]
fn the_schema_is_sound_and_documented() {
    let action = ConsumerOffsetResetAction::new(Shared::default());
    support::assert_sound_and_documented(&action.schema());
}

#[test]
fn each_target_becomes_its_reset() {
    let earliest = target(&config(&[("to", "earliest".into())]))
        .unwrap()
        .unwrap();
    assert_eq!(
        earliest.reset(),
        OffsetReset::Timestamp(OffsetReset::EARLIEST)
    );
    let latest = target(&config(&[("to", "latest".into())]))
        .unwrap()
        .unwrap();
    assert_eq!(latest.reset(), OffsetReset::Timestamp(OffsetReset::LATEST));
    let at_time = target(&config(&[(
        "timestamp",
        "2024-06-01T00:00:00+08:00".into(),
    )]))
    .unwrap()
    .unwrap();
    assert_eq!(at_time.reset(), OffsetReset::Timestamp(1_717_171_200_000));
    assert!(at_time.describe().contains("2024-06-01T00:00:00+08:00"));
    let given = offsets(&[("1", Value::from(950)), ("0", Value::from(1200))]);
    let given = target(&config(&[("offsets", given)])).unwrap().unwrap();
    assert_eq!(
        given.reset(),
        OffsetReset::Offsets(vec![
            PartitionOffset {
                partition: 0,
                offset: 1200
            },
            PartitionOffset {
                partition: 1,
                offset: 950
            },
        ])
    );
    assert_eq!(
        given.describe(),
        "given offsets (partition 0 to 1200, partition 1 to 950)"
    );
}

#[test]
fn unknown_values_wait_for_the_invocation() {
    assert_eq!(target(&config(&[("to", Value::Unknown)])).unwrap(), None);
    let partly = offsets(&[("0", Value::Unknown)]);
    assert_eq!(target(&config(&[("offsets", partly)])).unwrap(), None);
}

#[test]
fn exactly_one_target_with_the_path_of_the_extra_one() {
    let none = only_error(target(&config(&[])));
    assert_eq!(none.summary, "Where should the offsets go?");
    let both = only_error(target(&config(&[
        ("to", "latest".into()),
        ("offsets", offsets(&[("0", Value::from(1))])),
    ])));
    assert_eq!(both.attribute, Some(at("offsets")));
    assert!(both.detail.contains("to and offsets"), "{}", both.detail);
    // An unknown value still counts as set.
    let with_unknown = target(&config(&[
        ("timestamp", Value::Unknown),
        ("to", "latest".into()),
    ]));
    assert!(with_unknown.is_err());
}

#[test]
fn bad_times_and_offsets_are_refused_where_they_are() {
    let time = only_error(target(&config(&[("timestamp", "yesterday".into())])));
    assert_eq!(time.attribute, Some(at("timestamp")));
    assert!(time.detail.contains("RFC 3339"), "{}", time.detail);
    let old = only_error(target(&config(&[(
        "timestamp",
        "1969-12-31T00:00:00Z".into(),
    )])));
    assert!(old.detail.contains("before 1970"), "{}", old.detail);

    let bad = offsets(&[
        ("first", Value::from(1)),
        ("2", Value::from(-5)),
        ("3", Value::from(7)),
    ]);
    let diagnostics = target(&config(&[("offsets", bad)])).unwrap_err();
    let paths: Vec<Option<AttributePath>> =
        diagnostics.iter().map(|d| d.attribute.clone()).collect();
    assert_eq!(
        paths,
        [
            Some(at("offsets").key("2")),
            Some(at("offsets").key("first"))
        ]
    );
    let empty = only_error(target(&config(&[("offsets", offsets(&[]))])));
    assert_eq!(empty.summary, "No offsets given");
}

#[test]
fn partitions_the_topic_lacks_are_named() {
    let wanted = [
        PartitionOffset {
            partition: 2,
            offset: 0,
        },
        PartitionOffset {
            partition: 6,
            offset: 0,
        },
    ];
    let diagnostics = partitions_beyond(&wanted, "orders", 6);
    let d = diagnostics.iter().next().expect("one");
    assert_eq!(diagnostics.iter().count(), 1);
    assert_eq!(d.attribute, Some(at("offsets").key("6")));
    assert!(
        d.detail.contains("has 6 partitions, numbered 0 to 5"),
        "{}",
        d.detail
    );
}

#[test]
fn refusals_say_what_to_do() {
    let c = Config {
        instance_id: "i-1".into(),
        consumer_id: "billing".into(),
        topic: "orders".into(),
    };
    let mut online = ApiError::new(
        "UpdateConsumerOffset",
        Some(400),
        GROUP_ONLINE,
        "The consumer group has online consumers.",
    );
    online.request_id = Some("REQ-7".into());
    let d = reset_failed(&online, &c, "cn-hangzhou");
    let d = d.iter().next().expect("one");
    assert_eq!(d.summary, "Consumer group billing has consumers connected");
    assert_eq!(d.attribute, Some(at("consumer_id")));
    for needle in ["Stop every consumer of billing", "REQ-7", GROUP_ONLINE] {
        assert!(d.detail.contains(needle), "{needle}: {}", d.detail);
    }

    let mut lost = ApiError::new("UpdateConsumerOffset", None, "RequestTimeout", "no answer");
    lost.outcome_uncertain = true;
    let d = reset_failed(&lost, &c, "cn-hangzhou");
    let d = d.iter().next().expect("one");
    assert!(
        d.summary.starts_with("Cannot tell whether"),
        "{}",
        d.summary
    );
    assert!(d.detail.contains("not sent again"), "{}", d.detail);

    let missing = ApiError::new(
        "UpdateConsumerOffset",
        Some(400),
        "BIZ_TOPIC_NOT_FOUND",
        "topic not found",
    );
    let d = reset_failed(&missing, &c, "cn-hangzhou");
    assert_eq!(d.iter().next().expect("one").attribute, Some(at("topic")));
}
