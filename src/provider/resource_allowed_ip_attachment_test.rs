//! Unit tests of `alikafka_instance_allowed_ip_attachment`.
use super::*;
use crate::provider::kafka::Scope;
use crate::provider::lists::Locates;

fn resource() -> AllowedIpResource {
    AllowedIpResource::new(Shared::default())
}

fn state(port: &str, description: Value) -> Value {
    support::object_with(
        &resource().schema(),
        &[
            ("instance_id", Value::from("i-1")),
            ("allowed_type", Value::from("vpc")),
            ("port_range", Value::from(port)),
            ("allowed_ip", Value::from("10.0.0.0/8")),
            ("description", description),
        ],
    )
}

fn entry(description: Option<&str>) -> AllowedIpEntry {
    AllowedIpEntry {
        list_type: AllowedListType::Vpc,
        port_range: "9092/9092".into(),
        address: "10.0.0.0/8".into(),
        description: description.map(str::to_string),
    }
}

#[test]
fn schema_is_sound_and_documented() {
    support::assert_sound_and_documented(&resource().schema());
}

#[test]
fn an_address_reads_back_as_itself_with_its_entrys_description() {
    let base = state("9092/9092", Value::Null);
    let key = AllowedIps::key(&base).expect("key");
    assert_eq!(key.id(), "i-1:vpc:9092/9092:10.0.0.0/8");
    assert!(AllowedIpsOf::matches(&entry(None), &key));
    let s = AllowedIps::state_from(&base, &entry(Some("")), &Scope::new("x"));
    assert!(s.attr("description").is_null());
    assert_eq!(s.attr("id"), &Value::from("i-1:vpc:9092/9092:10.0.0.0/8"));
    let s = AllowedIps::state_from(&base, &entry(Some("apps")), &Scope::new("x"));
    assert_eq!(s.attr("description"), &Value::from("apps"));
    s.conforms_to(&resource().schema().value_type()).unwrap();
    let spec: EntrySpec = crate::tfplugin::framework::decode(&base).unwrap();
    assert!(AllowedIps::differences(&spec, &entry(Some(""))).is_empty());
    assert_eq!(
        AllowedIps::differences(&spec, &entry(Some("apps"))),
        ["description is \"apps\", not \"\""]
    );
    let delete = spec.request(false).unwrap();
    assert_eq!(
        (delete.add, delete.allowed_ips.as_str()),
        (false, "10.0.0.0/8")
    );
}

#[test]
fn a_port_range_of_the_other_list_is_refused_at_its_path() {
    let ctx = Context::detached();
    let ok =
        futures::executor::block_on(resource().validate(&ctx, &state("9094/9094", Value::Null)));
    assert!(!ok.has_errors(), "{ok}");
    let d =
        futures::executor::block_on(resource().validate(&ctx, &state("9093/9093", Value::Null)));
    let e = d.iter().next().expect("an error");
    assert_eq!(e.attribute, Some(AttributePath::attr("port_range")));
    assert!(
        e.detail
            .contains("\"9092/9092\", \"9094/9094\", \"9095/9095\""),
        "{}",
        e.detail
    );
}
