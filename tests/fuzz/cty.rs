//! Targets: the cty value decoders (msgpack `DynamicValue`s from Terraform, JSON raw state)
//! and the type JSON parser, against arbitrary bytes, mutated valid encodings and
//! generated (type, value) pairs.
//!
//! Byte inputs are `<type JSON>\n<encoded value>`; without a parsable type line the
//! whole input is decoded as a `dynamic` value.

use std::collections::BTreeMap;

use alikafka::tfplugin::cty::json::{self, JsonOptions};
use alikafka::tfplugin::cty::{msgpack, Number, Type, Value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::harness::{self, random_text, ByteTarget};

/// Largest number of elements or attributes a generated collection has.
const MAX_WIDTH: usize = 4;

// ----- generators -----

pub fn random_type(rng: &mut StdRng, depth: u32) -> Type {
    let leaf = depth == 0 || rng.gen_bool(0.4);
    if leaf {
        return [Type::String, Type::Number, Type::Bool, Type::Dynamic][rng.gen_range(0..4)]
            .clone();
    }
    match rng.gen_range(0..5) {
        0 => Type::list(random_type(rng, depth - 1)),
        1 => Type::set(random_type(rng, depth - 1)),
        2 => Type::map(random_type(rng, depth - 1)),
        3 => {
            let attributes: BTreeMap<String, Type> = (0..rng.gen_range(0..=MAX_WIDTH))
                .map(|_| (attribute_name(rng), random_type(rng, depth - 1)))
                .collect();
            let optional = attributes
                .keys()
                .filter(|_| rng.gen_bool(0.2))
                .cloned()
                .collect();
            Type::Object {
                attributes,
                optional,
            }
        }
        _ => Type::Tuple(
            (0..rng.gen_range(0..=MAX_WIDTH))
                .map(|_| random_type(rng, depth - 1))
                .collect(),
        ),
    }
}

fn attribute_name(rng: &mut StdRng) -> String {
    if rng.gen_bool(0.8) {
        [
            "name",
            "partition_num",
            "remark",
            "tags",
            "id",
            "timeouts",
            "a",
            "",
        ][rng.gen_range(0..8)]
        .to_owned()
    } else {
        random_text(rng, 8)
    }
}

/// A string value that must never show up in an error message.
fn secret_string(rng: &mut StdRng) -> String {
    format!("SECRET-VALUE-{:016x}", rng.gen::<u64>())
}

pub fn random_number(rng: &mut StdRng) -> Number {
    match rng.gen_range(0..6) {
        0 => Number::Int(rng.gen::<i64>() >> rng.gen_range(0..64)),
        1 => Number::Int([0, -1, i64::MIN, i64::MAX, 360][rng.gen_range(0..5)]),
        2 => {
            let f = match rng.gen_range(0..4) {
                0 => f64::from_bits(rng.gen()),
                1 => [
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::MIN_POSITIVE,
                    f64::MAX,
                    1e19,
                    0.1,
                    -0.0,
                ][rng.gen_range(0..7)],
                _ => rng.gen::<f64>() * 10f64.powi(rng.gen_range(-20..40)),
            };
            Number::from_f64(f).unwrap_or(Number::Int(0))
        }
        3 => Number::from_u64(rng.gen::<u64>() | (1 << 63)),
        _ => {
            let digits = |rng: &mut StdRng, n: usize| -> String {
                (0..n)
                    .map(|_| char::from(b'0' + rng.gen_range(0..10)))
                    .collect()
            };
            let n = rng.gen_range(1..30);
            let mut text = digits(rng, n);
            if rng.gen_bool(0.5) {
                let n = rng.gen_range(1..20);
                text = format!("{text}.{}", digits(rng, n));
            }
            if rng.gen_bool(0.3) {
                text = format!(
                    "{text}e{}{}",
                    ["", "+", "-"][rng.gen_range(0..3)],
                    rng.gen_range(0..500)
                );
            }
            if rng.gen_bool(0.3) {
                text.insert(0, '-');
            }
            Number::parse(&text).unwrap_or(Number::Int(1))
        }
    }
}

/// A value of type `ty` (nulls and unknowns anywhere, sets without duplicates).
pub fn random_value(rng: &mut StdRng, ty: &Type, depth: u32) -> Value {
    match rng.gen_range(0..12) {
        0 => return Value::Null,
        1 => return Value::Unknown,
        _ => {}
    }
    let width = |rng: &mut StdRng| rng.gen_range(0..=MAX_WIDTH);
    match ty {
        Type::String => Value::String(if rng.gen_bool(0.5) {
            secret_string(rng)
        } else {
            random_text(rng, 12)
        }),
        Type::Number => Value::Number(random_number(rng)),
        Type::Bool => Value::Bool(rng.gen()),
        Type::Dynamic => {
            let actual = random_type(rng, depth.min(2));
            random_value(rng, &actual, depth.saturating_sub(1))
        }
        Type::List(e) => Value::List(
            (0..width(rng))
                .map(|_| random_value(rng, e, depth.saturating_sub(1)))
                .collect(),
        ),
        Type::Set(e) => Value::set(
            (0..width(rng))
                .map(|_| random_value(rng, e, depth.saturating_sub(1)))
                .collect(),
        ),
        Type::Map(e) => Value::Map(
            (0..width(rng))
                .map(|_| {
                    (
                        attribute_name(rng),
                        random_value(rng, e, depth.saturating_sub(1)),
                    )
                })
                .collect(),
        ),
        Type::Object { attributes, .. } => Value::Object(
            attributes
                .iter()
                .map(|(name, t)| (name.clone(), random_value(rng, t, depth.saturating_sub(1))))
                .collect(),
        ),
        Type::Tuple(types) => Value::Tuple(
            types
                .iter()
                .map(|t| random_value(rng, t, depth.saturating_sub(1)))
                .collect(),
        ),
    }
}

fn framed(ty: &Type, encoded: &[u8]) -> Vec<u8> {
    let mut out = ty.to_json_bytes();
    out.push(b'\n');
    out.extend_from_slice(encoded);
    out
}

/// Splits `<type JSON>\n<rest>`; the type is `dynamic` when the line does not parse.
fn unframe(input: &[u8]) -> (Type, &[u8]) {
    if let Some(newline) = input.iter().position(|b| *b == b'\n') {
        if let Ok(ty) = Type::from_json_bytes(&input[..newline]) {
            return (ty, &input[newline + 1..]);
        }
    }
    (Type::Dynamic, input)
}

fn generated_pair(rng: &mut StdRng) -> (Type, Value) {
    let ty = random_type(rng, 4);
    let value = random_value(rng, &ty, 4);
    (ty, value)
}

// ----- target: msgpack bytes -----

const MSGPACK_DICTIONARY: &[&[u8]] = &[
    &[0xc0],
    &[0xc2],
    &[0xc3],
    &[0xd4, 0x00, 0x00],
    &[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3],
    &[0xdd, 0xff, 0xff, 0xff, 0xff],
    &[0xdf, 0xff, 0xff, 0xff, 0xff],
    &[0xdb, 0xff, 0xff, 0xff, 0xff],
    &[0xc6, 0xff, 0xff, 0xff, 0xff],
    &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
    &[0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
    &[0xca, 0x7f, 0xc0, 0, 0],
    &[0x92, 0xc4, 0x08],
    b"\"string\"",
    b"[\"list\",\"dynamic\"]",
    b"[\"object\",{\"a\":\"number\"},[\"a\"]]",
    &[0xa3, b'1', b'e', b'9'],
    &[0xa3, b'0', b'.', b'1'],
    &[0xa8, b'I', b'n', b'f', b'i', b'n', b'i', b't', b'y'],
    &[0x91],
    &[0x81, 0xa1, b'a'],
    &[0xff, 0xfe],
];

pub fn run_msgpack() {
    let mut rng = StdRng::seed_from_u64(17);
    let seeds = (0..64)
        .filter_map(|_| {
            let (ty, value) = generated_pair(&mut rng);
            msgpack::encode(&value, &ty)
                .ok()
                .map(|bytes| framed(&ty, &bytes))
        })
        .collect();
    harness::fuzz_bytes(ByteTarget {
        name: "cty_msgpack",
        seeds,
        dictionary: MSGPACK_DICTIONARY,
        generate_percent: 20,
        generate: &mut |rng| {
            let ty = random_type(rng, 4);
            let bytes = harness::random_bytes(rng, MSGPACK_DICTIONARY, 64);
            framed(&ty, &bytes)
        },
        check: &mut |input| {
            let (ty, bytes) = unframe(input);
            check_msgpack(&ty, bytes)
        },
    });
}

fn check_msgpack(ty: &Type, bytes: &[u8]) -> Result<(), String> {
    let Ok(value) = msgpack::decode(bytes, ty) else {
        return Ok(());
    };
    value
        .conforms_to(ty)
        .map_err(|e| format!("decoded value does not conform to {ty}: {e}"))?;
    let encoded =
        msgpack::encode(&value, ty).map_err(|e| format!("a decoded value does not encode: {e}"))?;
    let again = msgpack::decode(&encoded, ty)
        .map_err(|e| format!("re-encoded bytes do not decode: {e}"))?;
    if again != value {
        return Err(format!(
            "msgpack round trip changed {value:?} into {again:?}"
        ));
    }
    let twice = msgpack::encode(&again, ty).map_err(|e| format!("second encoding failed: {e}"))?;
    if twice != encoded {
        return Err("encoding is not deterministic".into());
    }
    if value.is_wholly_known() {
        check_json_round_trip(&value, ty)?;
    }
    Ok(())
}

fn check_json_round_trip(value: &Value, ty: &Type) -> Result<(), String> {
    let doc =
        json::encode(value, ty).map_err(|e| format!("a known value has no JSON form: {e}"))?;
    let text = serde_json::to_vec(&doc).map_err(|e| format!("JSON not serialisable: {e}"))?;
    let back = json::decode_bytes(&text, ty, JsonOptions::default()).map_err(|e| {
        format!(
            "JSON {} does not decode: {e}",
            String::from_utf8_lossy(&text)
        )
    })?;
    if &back != value {
        return Err(format!(
            "JSON round trip changed {value:?} into {back:?} via {}",
            String::from_utf8_lossy(&text)
        ));
    }
    Ok(())
}

// ----- target: JSON bytes and type JSON -----

const JSON_DICTIONARY: &[&[u8]] = &[
    b"null",
    b"true",
    b"\"0.1\"",
    b"1e400",
    b"-0",
    b"18446744073709551615",
    b"9223372036854775808",
    b"\"inf\"",
    b"{\"value\":",
    b"\"type\":",
    b"[\"list\",",
    b"[\"set\",",
    b"[\"map\",",
    b"[\"tuple\",[",
    b"[\"object\",{",
    b"\"dynamic\"",
    b"\"string\"",
    b"\"number\"",
    b"\"bool\"",
    b"[[[[[[[[",
    b"\\ud800",
];

pub fn run_json() {
    let mut rng = StdRng::seed_from_u64(19);
    let seeds = (0..64)
        .filter_map(|_| {
            let (ty, value) = generated_pair(&mut rng);
            let doc = json::encode(&value, &ty).ok()?;
            Some(framed(&ty, &serde_json::to_vec(&doc).ok()?))
        })
        .collect();
    harness::fuzz_bytes(ByteTarget {
        name: "cty_json",
        seeds,
        dictionary: JSON_DICTIONARY,
        generate_percent: 20,
        generate: &mut |rng| {
            let ty = random_type(rng, 4);
            framed(&ty, &harness::random_bytes(rng, JSON_DICTIONARY, 64))
        },
        check: &mut check_json,
    });
}

fn check_json(input: &[u8]) -> Result<(), String> {
    // The type line on its own: a parsed type prints back to the same type.
    if let Some(newline) = input.iter().position(|b| *b == b'\n') {
        if let Ok(ty) = Type::from_json_bytes(&input[..newline]) {
            let again = Type::from_json_bytes(&ty.to_json_bytes())
                .map_err(|e| format!("type {ty} does not parse back: {e}"))?;
            if again != ty {
                return Err(format!("type round trip changed {ty} into {again}"));
            }
        }
    }
    let (ty, bytes) = unframe(input);
    for options in [
        JsonOptions::default(),
        JsonOptions {
            ignore_undefined_attributes: true,
        },
    ] {
        let Ok(value) = json::decode_bytes(bytes, &ty, options) else {
            continue;
        };
        value
            .conforms_to(&ty)
            .map_err(|e| format!("decoded value does not conform to {ty}: {e}"))?;
        check_json_round_trip(&value, &ty)?;
        // JSON values are always known, so they have a msgpack form too.
        let packed = msgpack::encode(&value, &ty).map_err(|e| format!("no msgpack form: {e}"))?;
        let unpacked = msgpack::decode(&packed, &ty)
            .map_err(|e| format!("msgpack form does not decode: {e}"))?;
        if unpacked != value {
            return Err(format!(
                "msgpack round trip changed {value:?} into {unpacked:?}"
            ));
        }
    }
    Ok(())
}

// ----- target: generated values round-trip, and errors never quote string values -----

pub fn run_round_trip() {
    harness::fuzz_structured(
        "cty_round_trip",
        &mut |rng| {
            let (ty, value) = generated_pair(rng);
            (ty, value, random_type(rng, 3))
        },
        &mut |(ty, value, other)| check_round_trip(ty, value, other),
    );
}

fn check_round_trip(ty: &Type, value: &Value, other: &Type) -> Result<(), String> {
    value
        .conforms_to(ty)
        .map_err(|e| format!("generator bug: {e}"))?;
    let bytes = msgpack::encode(value, ty).map_err(|e| format!("encode failed: {e}"))?;
    let back = msgpack::decode(&bytes, ty)
        .map_err(|e| format!("decode failed: {e} ({})", hex::encode(&bytes)))?;
    if &back != value {
        return Err(format!(
            "msgpack round trip changed {value:?} into {back:?} ({})",
            hex::encode(&bytes)
        ));
    }
    let mut secrets = Vec::new();
    collect_strings(value, &mut secrets);
    secrets.retain(|s| s.starts_with("SECRET-VALUE-"));
    // Decoding against another type fails or succeeds, but never quotes a string value.
    if let Err(e) = msgpack::decode(&bytes, other) {
        no_secret(&e.to_string(), &secrets)?;
    }
    if value.is_wholly_known() {
        check_json_round_trip(value, ty)?;
        if let Ok(doc) = json::encode(value, ty) {
            if let Err(e) = json::decode(&doc, other, JsonOptions::default()) {
                no_secret(&e.to_string(), &secrets)?;
            }
        }
    }
    Ok(())
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter().for_each(|v| collect_strings(v, out))
        }
        Value::Map(entries) | Value::Object(entries) => {
            entries.values().for_each(|v| collect_strings(v, out))
        }
        _ => {}
    }
}

fn no_secret(message: &str, secrets: &[String]) -> Result<(), String> {
    match secrets.iter().find(|s| message.contains(s.as_str())) {
        Some(secret) => Err(format!(
            "error quotes the string value {secret:?}: {message}"
        )),
        None => Ok(()),
    }
}

/// Regression (found by `cty_round_trip` and `cty_msgpack`): serde_json's default float
/// parser is not correctly rounded, so a float in raw state changed by one unit in the
/// last place through a JSON round trip. Fixed with serde_json's `float_roundtrip`.
#[test]
fn json_floats_round_trip_exactly() {
    for f in [
        2.816_660_649_073_110_2e-304,
        1.381_068_757_026_922_3e-247,
        9.758_223_372_036_854e21,
        f64::from_bits(0x00e8_b95d_48ab_52ad),
    ] {
        let value = Value::Number(Number::from_f64(f).expect("not NaN"));
        check_json_round_trip(&value, &Type::Number).unwrap();
    }
}
