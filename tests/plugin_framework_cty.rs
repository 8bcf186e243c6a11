//! Property tests of the cty value codecs: round trips for arbitrary types and values, and
//! decoders that never panic on arbitrary input.

use std::collections::BTreeMap;

use alikafka::tfplugin::cty::json::{self, JsonOptions};
use alikafka::tfplugin::cty::{msgpack, Number, Type, Value};
use proptest::prelude::*;

fn attr_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}"
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map(attr_name(), inner.clone(), 0..4).prop_map(Type::object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_filter_map("a number", Number::from_f64),
        "-?[0-9]{1,3}\\.[0-9]{1,30}".prop_filter_map("decimal", |s| Number::parse(&s)),
        any::<u64>().prop_map(Number::from_u64),
    ]
}

/// A concrete (non-dynamic) type for values placed where the type is dynamic.
fn concrete_type() -> impl Strategy<Value = Type> {
    arb_type().prop_filter("no dynamic", |t| !t.has_dynamic())
}

/// An arbitrary value of type `ty`, unknown and null included at every level.
fn arb_value(ty: Type, unknown_allowed: bool) -> BoxedStrategy<Value> {
    let known = match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Dynamic => concrete_type()
            .prop_flat_map(move |t| arb_value(t, unknown_allowed))
            .boxed(),
        Type::List(e) => prop::collection::vec(arb_value(*e, unknown_allowed), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(e) => prop::collection::vec(arb_value(*e, unknown_allowed), 0..4)
            .prop_map(Value::set)
            .boxed(),
        Type::Map(e) => prop::collection::btree_map(".{0,5}", arb_value(*e, unknown_allowed), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object { attributes, .. } => {
            let parts: Vec<BoxedStrategy<(String, Value)>> = attributes
                .into_iter()
                .map(|(name, t)| {
                    arb_value(t, unknown_allowed)
                        .prop_map(move |v| (name.clone(), v))
                        .boxed()
                })
                .collect();
            parts
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<BTreeMap<_, _>>()))
                .boxed()
        }
        Type::Tuple(types) => types
            .into_iter()
            .map(|t| arb_value(t, unknown_allowed))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
    };
    if unknown_allowed {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn typed_value(unknown_allowed: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| (Just(t.clone()), arb_value(t, unknown_allowed)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn msgpack_round_trips((ty, value) in typed_value(true)) {
        let bytes = msgpack::encode(&value, &ty).expect("encodes");
        let back = msgpack::decode(&bytes, &ty).expect("decodes");
        prop_assert_eq!(&back, &value);
        // Encoding is deterministic, so re-encoding gives the same bytes.
        prop_assert_eq!(msgpack::encode(&back, &ty).expect("re-encodes"), bytes);
    }

    #[test]
    fn json_round_trips((ty, value) in typed_value(false)) {
        let encoded = json::encode(&value, &ty).expect("encodes");
        let back = json::decode(&encoded, &ty, JsonOptions::default()).expect("decodes");
        prop_assert_eq!(back, value);
    }

    #[test]
    fn type_json_round_trips(ty in arb_type()) {
        let bytes = ty.to_json_bytes();
        prop_assert_eq!(Type::from_json_bytes(&bytes).expect("parses"), ty);
    }

    #[test]
    fn decoded_values_conform_to_their_type((ty, value) in typed_value(true)) {
        let bytes = msgpack::encode(&value, &ty).expect("encodes");
        let back = msgpack::decode(&bytes, &ty).expect("decodes");
        prop_assert!(back.conforms_to(&ty).is_ok());
    }

    #[test]
    fn random_bytes_never_panic(ty in arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(value) = msgpack::decode(&bytes, &ty) {
            prop_assert!(value.conforms_to(&ty).is_ok());
        }
        let _ = Type::from_json_bytes(&bytes);
        let _ = json::decode_bytes(&bytes, &ty, JsonOptions::default());
    }

    #[test]
    fn corrupted_encodings_never_panic(
        (ty, value) in typed_value(true),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = msgpack::encode(&value, &ty).expect("encodes");
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = msgpack::decode(&bytes, &ty);
        let _ = msgpack::decode(&bytes[..cut.index(bytes.len() + 1)], &ty);
        let _ = msgpack::decode(&bytes, &Type::Dynamic);
    }
}

#[test]
fn dynamic_attribute_in_an_object() {
    let ty = Type::object([("any", Type::Dynamic), ("name", Type::String)]);
    let value = Value::object([
        (
            "any",
            Value::Map([("k".to_owned(), Value::List(vec![Value::from(1)]))].into()),
        ),
        ("name", Value::Unknown),
    ]);
    let bytes = msgpack::encode(&value, &ty).unwrap();
    assert_eq!(msgpack::decode(&bytes, &ty).unwrap(), value);
}
