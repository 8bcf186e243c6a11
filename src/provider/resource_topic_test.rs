//! Unit tests of `alikafka_topic`'s plan rules and state mapping.
use super::*;
use crate::provider::kafka::Scope;
use crate::provider::lifecycle::ObjectKey;
use crate::tfplugin::framework::plan::{check_plan, plan_resource, replacement_paths};

fn resource() -> TopicResource {
    TopicResource::new(Shared::default())
}

fn state(partitions: i64, topic: &str) -> Value {
    support::object_with(
        &resource().schema(),
        &[
            ("id", Value::from(format!("i-1:{topic}"))),
            ("instance_id", Value::from("i-1")),
            ("topic", Value::from(topic)),
            ("remark", Value::from("r")),
            ("partition_num", Value::from(partitions)),
            ("local_topic", Value::from(false)),
            ("compact_topic", Value::from(false)),
            ("region_id", Value::from("cn-hangzhou")),
            ("status", Value::from(0)),
            ("status_name", Value::from("服务中")),
            ("create_time", Value::from(1_700_000_000_000i64)),
        ],
    )
}

fn config(partitions: Option<i64>, topic: &str, remark: &str) -> Value {
    support::object_with(
        &resource().schema(),
        &[
            ("instance_id", Value::from("i-1")),
            ("topic", Value::from(topic)),
            ("remark", Value::from(remark)),
            ("partition_num", Value::from(partitions)),
        ],
    )
}

/// Terraform's proposal: config values, prior values for unset computed attributes.
fn proposed(prior: &Value, config: &Value) -> Value {
    let mut p = config.clone();
    for name in [
        "id",
        "partition_num",
        "local_topic",
        "compact_topic",
        "region_id",
        "status",
        "status_name",
        "create_time",
        "config",
        "effective_config",
        "replication_factor",
        "min_insync_replicas",
        "tags_all",
    ] {
        if config.attr(name).is_null() {
            p.set_attr(name, prior.attr(name).clone());
        }
    }
    p
}

async fn plan_for(prior: Value, config: Value) -> Result<Plan, Diagnostics> {
    let r = resource();
    let schema = r.schema();
    let req = PlanRequest {
        proposed_new_state: proposed(&prior, &config),
        prior_state: prior,
        config,
        prior_private: Vec::new(),
    };
    let mut plan = plan_resource(&schema, &req);
    r.modify_plan(&Context::detached(), &req, &mut plan).await?;
    check_plan(&schema, &req.prior_state, &req.config, &plan.planned_state).into_result()?;
    Ok(plan)
}

#[tokio::test]
async fn a_partition_decrease_is_refused_with_the_exact_message() {
    let err = plan_for(state(8, "orders"), config(Some(4), "orders", "r"))
        .await
        .unwrap_err();
    let d = err.iter().next().expect("one error");
    assert_eq!(
        d.summary,
        "partition_num cannot decrease from 8 to 4: Kafka cannot remove partitions from a topic"
    );
    assert!(!d.detail.is_empty());
    assert_eq!(d.attribute, Some(AttributePath::attr("partition_num")));
}

#[tokio::test]
async fn a_replaced_topic_may_have_fewer_partitions() {
    let plan = plan_for(state(8, "orders"), config(Some(4), "orders-v2", "r"))
        .await
        .expect("replacement plan");
    let schema = resource().schema();
    let replace = replacement_paths(&schema, &state(8, "orders"), &plan.planned_state);
    assert_eq!(replace, vec![AttributePath::attr("topic")]);
}

#[tokio::test]
async fn a_remark_change_keeps_computed_values_from_state() {
    let plan = plan_for(state(12, "orders"), config(None, "orders", "new"))
        .await
        .expect("update plan");
    let p = &plan.planned_state;
    assert_eq!(p.attr("remark"), &Value::from("new"));
    for name in [
        "id",
        "partition_num",
        "region_id",
        "status",
        "status_name",
        "create_time",
    ] {
        assert_eq!(p.attr(name), state(12, "orders").attr(name), "{name}");
    }
    assert!(replacement_paths(&resource().schema(), &state(12, "orders"), p).is_empty());
    // Growing partitions is allowed.
    assert!(plan_for(state(8, "orders"), config(Some(9), "orders", "r"))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_new_topic_has_defaults_and_unknown_computed_values() {
    let plan = plan_for(Value::Null, config(None, "orders", "r"))
        .await
        .expect("create plan");
    let p = &plan.planned_state;
    assert_eq!(p.attr("local_topic"), &Value::from(false));
    assert_eq!(p.attr("compact_topic"), &Value::from(false));
    assert!(p.attr("partition_num").is_unknown());
    assert!(p.attr("id").is_unknown());
}

#[tokio::test]
async fn compaction_needs_local_storage() {
    let r = resource();
    let ctx = Context::detached();
    let mut c = config(None, "orders", "r");
    c.set_attr("compact_topic", Value::from(true));
    let d = r.validate(&ctx, &c).await;
    assert!(d.has_errors());
    c.set_attr("local_topic", Value::from(true));
    assert!(!r.validate(&ctx, &c).await.has_errors());
    c.set_attr("local_topic", Value::Unknown);
    assert!(!r.validate(&ctx, &c).await.has_errors());
}

#[test]
fn listed_topics_become_state_and_differences_are_named() {
    let t = TopicInfo {
        topic: "orders".into(),
        instance_id: "i-1".into(),
        region_id: String::new(),
        remark: "r".into(),
        partition_num: Some(12),
        create_time: Some(5),
        status: Some(0),
        status_name: Some("服务中".into()),
        compact_topic: None,
        local_topic: Some(false),
        ..Default::default()
    };
    let base = config(None, "orders", "r");
    let s = Topics::state_from(&base, &t, &Scope::new("cn-hangzhou"));
    assert_eq!(s.attr("id"), &Value::from("i-1:orders"));
    assert_eq!(s.attr("region_id"), &Value::from("cn-hangzhou"));
    assert_eq!(s.attr("compact_topic"), &Value::from(false));
    assert_eq!(s.attr("partition_num"), &Value::from(12));
    s.conforms_to(&resource().schema().value_type()).unwrap();

    let spec = TopicSpec {
        instance_id: "i-1".into(),
        topic: "orders".into(),
        remark: "r".into(),
        partition_num: None,
        local_topic: Some(false),
        compact_topic: Some(false),
        replication_factor: None,
        min_insync_replicas: None,
    };
    assert!(Topics::differences(&spec, &t).is_empty());
    let other = TopicSpec {
        remark: "other".into(),
        partition_num: Some(6),
        local_topic: Some(true),
        ..spec
    };
    let diffs = Topics::differences(&other, &t);
    assert_eq!(diffs.len(), 3, "{diffs:?}");
    let key = ObjectKey {
        instance_id: "i-1".into(),
        name: "orders".into(),
    };
    assert!(lifecycle::import_hint::<Topics>(&key)
        .contains("terraform import alikafka_topic.<name> i-1:orders"));
}

#[test]
fn schema_is_sound_and_documented() {
    support::assert_sound_and_documented(&resource().schema());
}
