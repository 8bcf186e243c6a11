//! Unit tests of `alikafka_sasl_user`: state mapping, plan-time checks and the plan of a
//! password changed outside Terraform.
use super::*;
use crate::provider::kafka::Scope;
use crate::provider::lists::Locates;
use crate::tfplugin::framework::plan::plan_resource;

fn resource() -> SaslUserResource {
    SaslUserResource::new(Shared::default())
}

fn listed(user_type: &str, password: &str) -> SaslUser {
    SaslUser {
        username: "svc".into(),
        password: SecretString::new(password),
        user_type: user_type.into(),
        mechanism: None,
    }
}

fn object(set: &[(&str, Value)]) -> Value {
    let mut v = support::object_with(
        &resource().schema(),
        &[
            ("instance_id", Value::from("i-1")),
            ("username", Value::from("svc")),
        ],
    );
    for (name, value) in set {
        v.set_attr(*name, value.clone());
    }
    v
}

fn validate(config: &Value) -> Diagnostics {
    futures::executor::block_on(resource().validate(&Context::detached(), config))
}

#[test]
fn schema_is_sound_and_documented() {
    let schema = resource().schema();
    support::assert_sound_and_documented(&schema);
    let wo = schema.attribute("password_wo").expect("password_wo");
    assert!(wo.write_only && wo.sensitive);
    assert!(schema.attribute("password").expect("password").sensitive);
}

#[test]
fn state_comes_from_the_list_but_never_the_password() {
    let base = object(&[
        ("type", Value::from("scram")),
        ("password", Value::from("configured")),
        (PASSWORD_SET_AT, Value::from("2026-01-01T00:00:00Z")),
    ]);
    let s = SaslUsers::state_from(
        &base,
        &listed("SCRAM", "listed-secret"),
        &Scope::new("cn-x"),
    );
    s.conforms_to(&resource().schema().value_type()).unwrap();
    assert_eq!(s.attr("id"), &Value::from("i-1:svc"));
    assert_eq!(s.attr("type"), &Value::from("scram"));
    assert_eq!(s.attr("password"), &Value::from("configured"));
    assert_eq!(s.attr("region_id"), &Value::from("cn-x"));
    assert!(!format!("{s:?}").contains("listed-secret"));

    let key = SaslUsers::key(&base).expect("key");
    assert_eq!(key.name, "svc:scram");
    assert_eq!(SaslUsers::id(&key), "i-1:svc");
    assert_eq!(SaslUsers::shown(&key), "svc (scram)");
    assert!(SaslUsersOf::matches(&listed("scram", "x"), &key));
    assert!(!SaslUsersOf::matches(&listed("plain", "x"), &key));
    let hint = lifecycle::import_hint::<SaslUsers>(&key);
    assert!(
        hint.contains("terraform import alikafka_sasl_user.<name> i-1:svc"),
        "{hint}"
    );
}

/// No error, or the summary and attribute path of the first.
type Expected = Option<(&'static str, Option<&'static str>)>;

#[test]
fn exactly_one_password_attribute_is_checked_at_plan_time() {
    let cases: [(&[(&str, Value)], Expected); 7] = [
        (&[("password", Value::from("p"))], None),
        (
            &[
                ("password_wo", Value::from("p")),
                ("password_wo_version", Value::from(1)),
            ],
            None,
        ),
        (
            &[
                ("password", Value::from("p")),
                ("password_wo", Value::from("p")),
                ("password_wo_version", Value::from(1)),
            ],
            Some(("Conflicting password attributes", Some("password"))),
        ),
        (&[], Some(("No password configured", None))),
        (
            &[("password_wo", Value::from("p"))],
            Some((
                "password_wo_version is required with password_wo",
                Some("password_wo_version"),
            )),
        ),
        (
            &[
                ("password", Value::from("p")),
                ("password_wo_version", Value::from(1)),
            ],
            Some((
                "password_wo_version belongs to password_wo",
                Some("password_wo_version"),
            )),
        ),
        (
            &[
                ("password", Value::from("p")),
                ("mechanism", Value::from("SCRAM-SHA-256")),
            ],
            Some(("mechanism applies to scram users only", Some("mechanism"))),
        ),
    ];
    for (set, expected) in cases {
        let d = validate(&object(set));
        match expected {
            None => assert!(!d.has_errors(), "{set:?}: {d}"),
            Some((summary, path)) => {
                let e = d
                    .iter()
                    .next()
                    .unwrap_or_else(|| panic!("{set:?}: no error"));
                assert_eq!(e.summary, summary);
                assert_eq!(e.attribute, path.map(AttributePath::attr), "{set:?}");
                if summary.contains("password attributes") || summary.starts_with("No password") {
                    assert!(e.detail.contains("Terraform 1.11"), "{}", e.detail);
                }
            }
        }
    }
    // An unknown password counts as set.
    assert!(!validate(&object(&[("password", Value::Unknown)])).has_errors());
}

/// The plan of an unchanged configuration after a refresh that left `private`.
fn plan_after_refresh(config_password: &str, private: Vec<u8>) -> (Plan, Diagnostics) {
    let schema = resource().schema();
    let prior = object(&[
        ("id", Value::from("i-1:svc")),
        ("type", Value::from("plain")),
        ("password_wo_version", Value::from(1)),
        (PASSWORD_SET_AT, Value::from("2026-01-01T00:00:00Z")),
        ("region_id", Value::from("cn-x")),
    ]);
    let mut config = prior.clone();
    for computed in ["id", PASSWORD_SET_AT, "region_id", "mechanism"] {
        config.set_attr(computed, Value::Null);
    }
    config.set_attr("password_wo", Value::from(config_password));
    let req = PlanRequest {
        prior_state: prior.clone(),
        proposed_new_state: prior,
        config,
        prior_private: private,
    };
    let mut plan = plan_resource(&schema, &req);
    let ctx = Context::detached();
    futures::executor::block_on(resource().modify_plan(&ctx, &req, &mut plan)).expect("plan");
    (plan, ctx.take_reported())
}

#[test]
fn a_password_changed_outside_terraform_plans_an_update_with_a_warning() {
    let refreshed =
        || password_check::private_for_listed("svc", "plain", &SecretString::new("by-hand"));
    let (plan, warnings) = plan_after_refresh("configured", refreshed().expect("check"));
    assert!(plan.planned_state.attr(PASSWORD_SET_AT).is_unknown());
    let w = warnings.iter().next().expect("a warning");
    assert!(
        w.summary.contains("not the configured one"),
        "{}",
        w.summary
    );
    assert!(!w.detail.contains("by-hand") && !w.detail.contains("configured\""));

    // The listed password is the configured one: nothing to do.
    let (plan, warnings) = plan_after_refresh("by-hand", refreshed().expect("check"));
    assert_eq!(
        plan.planned_state.attr(PASSWORD_SET_AT),
        &Value::from("2026-01-01T00:00:00Z")
    );
    assert!(warnings.is_empty());

    // No check to compare with (never refreshed, or unconfirmed): nothing claimed.
    let (plan, _) = plan_after_refresh("configured", Vec::new());
    assert!(!plan.planned_state.attr(PASSWORD_SET_AT).is_unknown());
}

#[test]
fn a_new_password_is_an_update_not_a_replacement() {
    let schema = resource().schema();
    let prior = object(&[
        ("id", Value::from("i-1:svc")),
        ("type", Value::from("plain")),
        ("password", Value::from("old")),
        (PASSWORD_SET_AT, Value::Null), // imported
        ("region_id", Value::from("cn-x")),
    ]);
    let mut config = prior.clone();
    for computed in ["id", PASSWORD_SET_AT, "region_id", "mechanism"] {
        config.set_attr(computed, Value::Null);
    }
    config.set_attr("password", Value::from("new"));
    let req = PlanRequest {
        prior_state: prior,
        proposed_new_state: config.clone(),
        config,
        prior_private: Vec::new(),
    };
    let mut plan = plan_resource(&schema, &req);
    plan.requires_replace = crate::tfplugin::framework::plan::replacement_paths(
        &schema,
        &req.prior_state,
        &plan.planned_state,
    );
    let ctx = Context::detached();
    futures::executor::block_on(resource().modify_plan(&ctx, &req, &mut plan)).expect("plan");
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}",
        plan.requires_replace
    );
    assert!(plan.planned_state.attr("mechanism").is_null());
    assert!(plan.planned_state.attr(PASSWORD_SET_AT).is_unknown());
}

#[test]
fn a_user_found_after_a_lost_create_answer_is_ours_if_its_password_is() {
    let spec: UserSpec = crate::tfplugin::framework::decode(&object(&[
        ("type", Value::from("plain")),
        ("password_wo", Value::from("mine")),
    ]))
    .expect("spec");
    assert!(SaslUsers::differences(&spec, &listed("plain", "mine")).is_empty());
    let d = SaslUsers::differences(&spec, &listed("plain", "theirs"));
    assert_eq!(d, ["its password is not the configured one"]);
    assert!(SaslUsers::differences(&spec, &listed("plain", "")).is_empty());
    let request = spec.create_request().expect("request");
    assert_eq!(request.password.expose(), "mine");
    assert_eq!(request.user_type, Some(SaslUserType::Plain));
}
