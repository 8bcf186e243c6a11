//! Property tests of the generic plan: whatever Terraform proposes, the plan obeys
//! Terraform's rules, and each attribute flag does what it promises.

use alikafka::tfplugin::cty::{AttributePath, Type, Value};
use alikafka::tfplugin::framework::plan::{check_plan, plan_resource, replacement_paths};
use alikafka::tfplugin::framework::PlanRequest;
use alikafka::tfplugin::schema::{Attribute, NestedType, Schema};
use proptest::prelude::*;

fn schema() -> Schema {
    Schema::new(vec![
        Attribute::string("id").computed().use_state_for_unknown(),
        Attribute::string("name").required().requires_replace(),
        Attribute::string("note").optional(),
        Attribute::number("count").optional().computed().default(3),
        Attribute::string("zone")
            .optional()
            .computed()
            .requires_replace(),
        Attribute::string("status").computed(),
        Attribute::string("created")
            .computed()
            .use_state_for_unknown(),
        Attribute::new("tags", Type::map(Type::String)).optional(),
        Attribute::nested(
            "opts",
            NestedType::single(vec![
                Attribute::bool("flag").optional(),
                Attribute::string("mode")
                    .optional()
                    .computed()
                    .default("auto"),
                Attribute::string("out").computed(),
            ]),
        )
        .optional(),
    ])
}

fn small_string() -> impl Strategy<Value = Value> {
    prop_oneof![Just(Value::from("a")), Just(Value::from("b"))]
}

/// A configured value: null, unknown, or a value.
fn configured(known: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![2 => Just(Value::Null), 1 => Just(Value::Unknown), 4 => known].boxed()
}

fn opts_config() -> impl Strategy<Value = Value> {
    (
        configured(any::<bool>().prop_map(Value::Bool)),
        configured(small_string()),
    )
        .prop_map(|(flag, mode)| {
            Value::object([("flag", flag), ("mode", mode), ("out", Value::Null)])
        })
}

fn config() -> impl Strategy<Value = Value> {
    (
        small_string(),
        configured(small_string()),
        configured((1i64..4).prop_map(Value::from)),
        configured(small_string()),
        configured(prop::collection::btree_map("[ab]", small_string(), 0..2).prop_map(Value::Map)),
        configured(opts_config()),
    )
        .prop_map(|(name, note, count, zone, tags, opts)| {
            Value::object([
                ("id", Value::Null),
                ("name", name),
                ("note", note),
                ("count", count),
                ("zone", zone),
                ("status", Value::Null),
                ("created", Value::Null),
                ("tags", tags),
                ("opts", opts),
            ])
        })
}

/// A wholly known prior state shaped like what apply would have stored.
fn prior() -> impl Strategy<Value = Value> {
    let known_config = config().prop_filter("known", Value::is_wholly_known);
    (known_config, small_string(), small_string(), small_string()).prop_map(
        |(mut v, id, status, created)| {
            v.set_attr("id", id);
            v.set_attr("status", status);
            v.set_attr("created", created);
            if v.attr("count").is_null() {
                v.set_attr("count", 3.into());
            }
            if v.attr("zone").is_null() {
                v.set_attr("zone", "a".into());
            }
            if let Some(opts) = v.attr_mut("opts") {
                if opts.attr("mode").is_null() {
                    opts.set_attr("mode", "auto".into());
                }
                opts.set_attr("out", "o".into());
            }
            v
        },
    )
}

/// Terraform's proposed new state (objchange.ProposedNew): config values, and prior values
/// for computed attributes the config leaves null.
fn propose(attrs: &[Attribute], prior: &Value, config: &Value) -> Value {
    let mut out = config.clone();
    for a in attrs {
        let (c, p) = (config.attr(&a.name), prior.attr(&a.name));
        let v = match (a.nested_type(), c) {
            (_, Value::Null) if a.computed => p.clone(),
            (Some(nested), Value::Object(_)) => propose(&nested.attributes, p, c),
            _ => c.clone(),
        };
        out.set_attr(a.name.clone(), v);
    }
    out
}

fn request() -> impl Strategy<Value = PlanRequest> {
    (prop_oneof![1 => Just(Value::Null), 3 => prior()], config()).prop_map(|(prior, config)| {
        let proposed = propose(&schema().block.attributes, &prior, &config);
        PlanRequest {
            prior_state: prior,
            proposed_new_state: proposed,
            config,
            prior_private: Vec::new(),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn plans_obey_terraform_rules(req in request()) {
        let schema = schema();
        let plan = plan_resource(&schema, &req);
        let planned = &plan.planned_state;
        let problems = check_plan(&schema, &req.prior_state, &req.config, planned);
        prop_assert!(problems.is_empty(), "{}", problems);

        // Non-computed attributes are planned exactly as configured.
        for name in ["name", "note", "tags"] {
            prop_assert_eq!(planned.attr(name), req.config.attr(name));
        }
        // Defaults fill unset optional+computed attributes.
        if req.config.attr("count").is_null() {
            prop_assert_eq!(planned.attr("count"), &Value::from(3));
        }
        let changed = req.prior_state.is_null() || planned != &req.prior_state;
        if changed {
            // Unset computed attributes are unknown, or the prior value if kept.
            prop_assert!(planned.attr("status").is_unknown());
            for kept in ["id", "created"] {
                if req.prior_state.is_null() {
                    prop_assert!(planned.attr(kept).is_unknown());
                } else {
                    prop_assert_eq!(planned.attr(kept), req.prior_state.attr(kept));
                }
            }
            if req.config.attr("zone").is_null() {
                prop_assert!(planned.attr("zone").is_unknown());
            }
        } else {
            prop_assert!(planned.is_wholly_known());
        }

        // Replacement is asked for exactly the requires_replace attributes that change.
        let paths = replacement_paths(&schema, &req.prior_state, planned);
        let mut expected = Vec::new();
        if !req.prior_state.is_null() {
            for name in ["name", "zone"] {
                if req.prior_state.attr(name) != planned.attr(name) {
                    expected.push(AttributePath::attr(name));
                }
            }
        }
        prop_assert_eq!(paths, expected);
    }

    #[test]
    fn destroy_plans_are_null(prior in prior()) {
        let schema = schema();
        let req = PlanRequest {
            prior_state: prior.clone(),
            proposed_new_state: Value::Null,
            config: Value::Null,
            prior_private: Vec::new(),
        };
        let plan = plan_resource(&schema, &req);
        prop_assert!(plan.planned_state.is_null());
        prop_assert!(check_plan(&schema, &prior, &Value::Null, &Value::Null).is_empty());
        prop_assert!(replacement_paths(&schema, &prior, &Value::Null).is_empty());
    }
}

#[test]
fn nested_defaults_and_unknowns() {
    let schema = schema();
    let config = Value::object([
        ("name", Value::from("a")),
        (
            "opts",
            Value::object([
                ("flag", Value::from(true)),
                ("mode", Value::Null),
                ("out", Value::Null),
            ]),
        ),
    ]);
    let req = PlanRequest {
        prior_state: Value::Null,
        proposed_new_state: propose(&schema.block.attributes, &Value::Null, &config),
        config,
        prior_private: Vec::new(),
    };
    let planned = plan_resource(&schema, &req).planned_state;
    let opts = AttributePath::attr("opts");
    assert_eq!(
        planned.at(&opts.clone().attribute("mode")),
        &Value::from("auto")
    );
    assert!(planned.at(&opts.clone().attribute("out")).is_unknown());
    assert_eq!(planned.at(&opts.attribute("flag")), &Value::from(true));
}

#[test]
fn check_plan_flags_invented_values() {
    let schema = schema();
    let config = Value::object([("name", Value::from("a"))]);
    let mut planned = config.clone();
    planned.set_attr("note", "invented".into());
    let problems = check_plan(&schema, &Value::Null, &config, &planned);
    let d = problems.iter().next().expect("a problem");
    assert_eq!(d.attribute, Some(AttributePath::attr("note")));
    assert!(d.detail.contains("non-computed"), "{}", d.detail);
    // Planning a different value for a configured optional+computed attribute is wrong too.
    let mut planned = config.clone();
    let mut config2 = config.clone();
    config2.set_attr("count", 2.into());
    planned.set_attr("count", 3.into());
    assert_eq!(
        check_plan(&schema, &Value::Null, &config2, &planned).len(),
        1
    );
}
