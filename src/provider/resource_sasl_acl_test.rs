//! Unit tests of `alikafka_sasl_acl`: keys, IDs, requests and plan-time checks.
use super::*;
use crate::provider::kafka::Scope;

fn resource() -> SaslAclResource {
    SaslAclResource::new(Shared::default())
}

fn config(set: &[(&str, &str)]) -> Value {
    let mut v = support::object_with(
        &resource().schema(),
        &[
            ("instance_id", Value::from("i-1")),
            ("username", Value::from("svc")),
            ("acl_resource_type", Value::from("Topic")),
            ("acl_resource_name", Value::from("orders")),
            ("acl_resource_pattern_type", Value::from("LITERAL")),
            ("acl_operation_type", Value::from("Write")),
        ],
    );
    for (name, value) in set {
        v.set_attr(*name, Value::from(*value));
    }
    v
}

fn validate(config: &Value) -> Diagnostics {
    futures::executor::block_on(resource().validate(&Context::detached(), config))
}

#[test]
fn schema_is_sound_documented_and_all_replacing() {
    let schema = resource().schema();
    support::assert_sound_and_documented(&schema);
    for a in &schema.block.attributes {
        let settable = a.required || a.optional;
        if settable && a.name != "timeouts" {
            assert!(a.requires_replace, "{} must replace the ACL", a.name);
        }
    }
}

#[test]
fn keys_ids_and_requests() {
    let planned = config(&[("acl_permission_type", "ALLOW"), ("host", "*")]);
    let key = Acls::key(&planned).expect("key");
    assert_eq!(key.id(), "i-1:svc:Topic:orders:LITERAL:Write");
    let state = Acls::state_from(&planned, &KafkaAcl::default(), &Scope::new("cn-x"));
    assert_eq!(
        state.attr("id"),
        &Value::from("i-1:svc:Topic:orders:LITERAL:Write")
    );
    let fields: AclFields = crate::tfplugin::framework::decode(&planned).unwrap();
    let spec = fields.spec().unwrap();
    assert_eq!(spec.permission_type, None, "ALLOW is not sent");
    assert_eq!(spec.host, None, "* is not sent");

    let serverless = config(&[
        ("acl_operation_type", "Read"),
        ("acl_operation_types", "Write, Read"),
        ("acl_permission_type", "DENY"),
        ("host", "10.0.0.7"),
    ]);
    let key = Acls::key(&serverless).expect("key");
    assert_eq!(
        key.id(),
        "i-1:svc:Topic:orders:LITERAL:Read,Write:DENY:10.0.0.7"
    );
    let fields: AclFields = crate::tfplugin::framework::decode(&serverless).unwrap();
    let spec = fields.spec().unwrap();
    assert_eq!(
        spec.operation_types,
        [AclOperation::Read, AclOperation::Write]
    );
    assert_eq!(spec.permission_type, Some(AclPermission::Deny));
    assert_eq!(spec.host.as_deref(), Some("10.0.0.7"));

    let imported = futures::executor::block_on(resource().import(&Context::detached(), &key.id()))
        .expect("import");
    assert_eq!(
        imported.attr("acl_operation_types"),
        &Value::from("Read,Write")
    );
    assert_eq!(imported.attr("host"), &Value::from("10.0.0.7"));
    assert_eq!(Acls::key(&imported).expect("key").id(), key.id());
    imported
        .conforms_to(&resource().schema().value_type())
        .unwrap();
}

#[test]
fn operations_must_fit_the_resource_type() {
    assert!(!validate(&config(&[])).has_errors());
    let d = validate(&config(&[("acl_resource_type", "Group")]));
    let e = d.iter().next().expect("an error");
    assert_eq!(e.attribute, Some(AttributePath::attr("acl_operation_type")));
    assert!(e.detail.contains("Group takes \"Read\""), "{}", e.detail);
    let d = validate(&config(&[("acl_operation_types", "Read,Describe")]));
    let paths: Vec<_> = d.iter().map(|e| e.attribute.clone()).collect();
    assert_eq!(
        paths,
        [
            Some(AttributePath::attr("acl_operation_types")),
            Some(AttributePath::attr("acl_operation_types"))
        ],
        "{d}"
    );
    assert!(operation_list(&Value::from("Read,Erase"))
        .unwrap_err()
        .contains("\"Erase\""));
    assert!(operation_list(&Value::from(" , ")).is_err());
}
