//! Unit tests of the access kinds' keys, IDs and validators.
use super::*;
use crate::api::{AllowedIpEntry, KafkaAcl};

fn s(v: &str) -> Value {
    Value::from(v)
}

#[test]
fn addresses_must_be_ipv4_in_the_form_the_service_lists() {
    for ok in [
        "10.0.0.1",
        "10.0.0.0/8",
        "0.0.0.0/0",
        "192.168.1.7/32",
        "172.16.0.0/12",
    ] {
        assert!(allowed_ip(&s(ok)).is_ok(), "{ok}");
    }
    let err = allowed_ip(&s("10.0.0.1/8")).unwrap_err();
    assert!(err.contains("write \"10.0.0.0/8\""), "{err}");
    for bad in [
        "10.0.0",
        "10.0.0.256",
        "010.0.0.1",
        "::1",
        "10.0.0.0/33",
        "10.0.0.0/+8",
        "a.b.c.d",
        "10.0.0.0/08",
    ] {
        assert!(allowed_ip(&s(bad)).is_err(), "{bad}");
    }
    assert!(acl_host(&s("*")).is_ok());
    assert!(acl_host(&s("192.168.0.9")).is_ok());
    assert!(acl_host(&s("192.168.0.0/24"))
        .unwrap_err()
        .contains("no CIDR"));
}

#[test]
fn names_and_passwords_are_checked_without_echoing_passwords() {
    assert!(username(&s("svc-orders@team.a")).is_ok());
    assert!(username(&s("*")).is_err());
    assert!(acl_username(&s("*")).is_ok());
    assert!(username(&s("a:b")).unwrap_err().contains("':'"));
    assert!(username(&s(&"u".repeat(65))).is_err());
    let err = password(&s(&"p".repeat(65))).unwrap_err();
    assert!(err.contains("got 65") && !err.contains("ppp"), "{err}");
    let err = password(&s("bad\u{7}bell")).unwrap_err();
    assert!(!err.contains("bell"), "{err}");
    assert!(password(&s("")).is_err());
    assert!(mechanism(&s("SCRAM-SHA-256")).is_ok());
    assert!(mechanism(&s("scram-sha-256")).is_err());
    assert!(resource_name(&s("txn:a:b")).is_ok());
    assert!(resource_name(&s("with space")).is_err());
    assert!(description(&s(&"d".repeat(257))).is_err());
}

#[test]
fn user_keys_tell_users_of_one_name_apart() {
    let (instance, key) = UserKey::parse_import_id("i-1:svc").unwrap();
    assert_eq!((instance.as_str(), key.user_type.as_deref()), ("i-1", None));
    let (_, key) = UserKey::parse_import_id("i-1:svc:SCRAM").unwrap();
    assert_eq!(key.user_type.as_deref(), Some("scram"));
    assert_eq!(UserKey::parse(&key.name()), key);
    assert!(key.matches("svc", "scram", None));
    assert!(key.matches("svc", "SCRAM", Some("SCRAM-SHA-256")));
    assert!(!key.matches("svc", "plain", None));
    let plain = UserKey::parse("svc:plain");
    assert!(plain.matches("svc", "", None), "no type listed means plain");
    let with_mechanism = UserKey::parse("svc:scram:SCRAM-SHA-512");
    assert!(!with_mechanism.matches("svc", "scram", Some("SCRAM-SHA-256")));
    for bad in ["svc", ":svc", "i-1:", "i-1:svc:ldap", "i-1:s v c"] {
        let err = UserKey::parse_import_id(bad).unwrap_err();
        let d = err.iter().next().expect("one");
        assert!(
            d.detail.contains("\"<instance_id>:<username>\""),
            "{bad}: {}",
            d.detail
        );
    }
}

fn acl(username: &str, name: &str) -> AclKey {
    AclKey {
        username: username.into(),
        resource_type: AclResourceType::Topic,
        resource_name: name.into(),
        pattern_type: AclPatternType::Literal,
        operation_type: AclOperation::Write,
        operation_types: Vec::new(),
        permission_type: DEFAULT_PERMISSION,
        host: ANY.into(),
    }
}

#[test]
fn acl_ids_are_alicloud_compatible_and_read_from_both_ends() {
    let key = acl("svc", "orders");
    assert_eq!(key.name(), "svc:Topic:orders:LITERAL:Write");
    let (instance, parsed) =
        AclKey::parse_import_id("alikafka_post-cn-x:svc:Topic:orders:LITERAL:Write").unwrap();
    assert_eq!((instance.as_str(), &parsed), ("alikafka_post-cn-x", &key));
    // Serverless fields join the ID only when they say something.
    let scoped = AclKey {
        permission_type: AclPermission::Deny,
        host: "10.0.0.9".into(),
        ..acl("*", "txn:with:colons")
    };
    let name = scoped.name();
    assert_eq!(name, "*:Topic:txn:with:colons:LITERAL:Write:DENY:10.0.0.9");
    assert_eq!(AclKey::parse(&name).unwrap(), scoped);
    // As the service spells values, and a batch of operations.
    let loose = AclKey::parse("svc:TOPIC:orders:literal:READ,WRITE").unwrap();
    assert_eq!(loose.operation_type, AclOperation::Read);
    assert_eq!(
        loose.operation_types,
        [AclOperation::Read, AclOperation::Write]
    );
    assert_eq!(loose.name(), "svc:Topic:orders:LITERAL:Read,Write");
    for bad in [
        "i-1:svc:Topic:orders:LITERAL",
        "i-1:svc:Queue:orders:LITERAL:Write",
        "i-1:svc:Topic:orders:EXACT:Write",
        "i-1:svc:Topic:orders:LITERAL:Erase",
        "i-1:svc:Topic::LITERAL:Write",
        "i-1:svc:Topic:orders:LITERAL:Write:ALLOW:10.0.0.0/8",
    ] {
        let err = AclKey::parse_import_id(bad).unwrap_err();
        let d = err.iter().next().expect("one");
        assert!(
            d.detail
                .contains("<acl_resource_pattern_type>:<acl_operation_type>\""),
            "{bad}: {}",
            d.detail
        );
    }
}

#[test]
fn listed_acls_match_in_the_services_spelling() {
    let key = acl("svc", "orders");
    let mut listed = KafkaAcl {
        username: "svc".into(),
        acl_resource_type: "TOPIC".into(),
        acl_resource_name: "orders".into(),
        acl_resource_pattern_type: "LITERAL".into(),
        acl_operation_type: "WRITE".into(),
        acl_permission_type: None,
        host: None,
    };
    assert!(key.matches(&listed), "a reserved instance leaves scope out");
    listed.acl_permission_type = Some("ALLOW".into());
    listed.host = Some("*".into());
    assert!(key.matches(&listed));
    listed.acl_resource_pattern_type = "PREFIXED".into();
    assert!(!key.matches(&listed));
    listed.acl_resource_pattern_type = "LITERAL".into();
    listed.acl_operation_type = "Read".into();
    assert!(!key.matches(&listed));
    assert!(operation_fits(AclResourceType::Group, AclOperation::Read));
    assert!(!operation_fits(AclResourceType::Group, AclOperation::Write));
    assert!(operation_fits(
        AclResourceType::Cluster,
        AclOperation::IdempotentWriteServerless
    ));
}

#[test]
fn allowlist_ids_carry_type_port_and_address() {
    let (instance, key) = AllowedIpKey::parse_import_id("i-1:vpc:9092/9092:10.0.0.0/8").unwrap();
    assert_eq!(instance, "i-1");
    assert_eq!(key.name(), "vpc:9092/9092:10.0.0.0/8");
    let entry = AllowedIpEntry {
        list_type: AllowedListType::Vpc,
        port_range: "9092/9092".into(),
        address: "10.0.0.0/8".into(),
        description: None,
    };
    assert!(key.matches(&entry));
    assert!(!key.matches(&AllowedIpEntry {
        port_range: "9094/9094".into(),
        ..entry
    }));
    for bad in [
        "i-1:vpc:9093/9093:10.0.0.1",
        "i-1:public:9092/9092:10.0.0.1",
        "i-1:vpc:9092/9092:10.0.0.1/8",
        "i-1:vpc:9092/9092",
    ] {
        let err = AllowedIpKey::parse_import_id(bad).unwrap_err();
        let d = err.iter().next().expect("one");
        assert!(
            d.detail
                .contains("\"<instance_id>:<allowed_type>:<port_range>:<allowed_ip>\""),
            "{bad}: {}",
            d.detail
        );
    }
    assert!(check_port_range(AllowedListType::Internet, "9092/9092")
        .unwrap_err()
        .contains("\"9093/9093\""));
}
