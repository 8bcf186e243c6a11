//! Unit tests of `alikafka_consumer_group`'s state mapping.
use super::*;
use crate::provider::kafka::Scope;
use crate::provider::lifecycle::ObjectKey;

fn resource() -> ConsumerGroupResource {
    ConsumerGroupResource::new(Shared::default())
}

fn listed(remark: Option<&str>) -> ConsumerInfo {
    ConsumerInfo {
        consumer_id: "billing".into(),
        instance_id: "i-1".into(),
        region_id: "cn-hangzhou".into(),
        remark: remark.map(str::to_string),
        ..Default::default()
    }
}

fn base(remark: Value) -> Value {
    support::object_with(
        &resource().schema(),
        &[
            ("instance_id", Value::from("i-1")),
            ("consumer_id", Value::from("billing")),
            ("remark", remark),
        ],
    )
}

#[test]
fn an_empty_listed_remark_keeps_the_states_form() {
    let s = Groups::state_from(&base(Value::Null), &listed(Some("")), &Scope::new("x"));
    assert!(s.attr("remark").is_null());
    let s = Groups::state_from(&base(Value::from("")), &listed(Some("")), &Scope::new("x"));
    assert_eq!(s.attr("remark"), &Value::from(""));
    let s = Groups::state_from(&base(Value::Null), &listed(None), &Scope::new("x"));
    assert!(s.attr("remark").is_null());
    // A remark set outside Terraform shows, so the plan proposes a replacement.
    let s = Groups::state_from(
        &base(Value::Null),
        &listed(Some("by hand")),
        &Scope::new("x"),
    );
    assert_eq!(s.attr("remark"), &Value::from("by hand"));
    assert_eq!(s.attr("id"), &Value::from("i-1:billing"));
    assert_eq!(s.attr("region_id"), &Value::from("cn-hangzhou"));
    s.conforms_to(&resource().schema().value_type()).unwrap();
}

#[test]
fn schema_is_sound_and_documented() {
    support::assert_sound_and_documented(&resource().schema());
    let key = ObjectKey {
        instance_id: "i-1".into(),
        name: "billing".into(),
    };
    let hint = lifecycle::import_hint::<Groups>(&key);
    assert!(hint.contains("terraform import alikafka_consumer_group.<name> i-1:billing"));
}
