//! The msgpack form of `DynamicValue`, following cty's encoding: null is nil, unknown is an
//! extension (any extension type decodes as unknown), numbers are ints, floats or decimal
//! text, objects are maps, and a value where the type is `dynamic` is `[type_json, value]`.
//!
//! The decoder reads untrusted bytes: it never panics, bounds nesting depth, never
//! allocates more than the input can fill, and checks everything against the type.

use std::collections::BTreeMap;

use rmp::Marker;

use super::number::Number;
use super::path::PathStep;
use super::types::Type;
use super::value::{Value, ValueError};

/// Deepest nesting the decoder follows (types from the wire can nest without bound).
pub const MAX_DEPTH: usize = 128;

/// Encodes `value` as msgpack for type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut buf = Vec::new();
    encode_into(&mut buf, value, ty, 0)?;
    Ok(buf)
}

/// Decodes msgpack bytes holding a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut rd = bytes;
    let value = decode_value(&mut rd, ty, 0)?;
    if !rd.is_empty() {
        return Err(ValueError::new(format!(
            "{} unexpected bytes after the value",
            rd.len()
        )));
    }
    Ok(value)
}

// Writing into a Vec<u8> cannot fail; rmp still returns a Result, which these helpers drop.
fn write_marker_len(buf: &mut Vec<u8>, kind: SeqKind, len: usize) -> Result<(), ValueError> {
    let len =
        u32::try_from(len).map_err(|_| ValueError::new("collection too large for msgpack"))?;
    let _ = match kind {
        SeqKind::Array => rmp::encode::write_array_len(buf, len),
        SeqKind::Map => rmp::encode::write_map_len(buf, len),
    };
    Ok(())
}

#[derive(Clone, Copy)]
enum SeqKind {
    Array,
    Map,
}

fn write_str(buf: &mut Vec<u8>, s: &str) -> Result<(), ValueError> {
    if u32::try_from(s.len()).is_err() {
        return Err(ValueError::new("string too large for msgpack"));
    }
    let _ = rmp::encode::write_str(buf, s);
    Ok(())
}

fn encode_into(
    buf: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    depth: usize,
) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(ValueError::new("value nests too deeply"));
    }
    if let Type::Dynamic = ty {
        if value.is_present() {
            let actual = value.infer_type();
            write_marker_len(buf, SeqKind::Array, 2)?;
            let _ = rmp::encode::write_bin(buf, &actual.to_json_bytes());
            return encode_into(buf, value, &actual, depth + 1);
        }
    }
    match (value, ty) {
        (Value::Unknown, _) => {
            // cty's unknown: fixext1, extension type 0, one zero byte.
            let _ = rmp::encode::write_ext_meta(buf, 1, 0);
            buf.push(0);
        }
        (Value::Null, _) => {
            let _ = rmp::encode::write_nil(buf);
        }
        (Value::Bool(b), Type::Bool) => {
            let _ = rmp::encode::write_bool(buf, *b);
        }
        (Value::Number(n), Type::Number) => match n {
            Number::Int(i) => {
                let _ = rmp::encode::write_sint(buf, *i);
            }
            Number::Float(f) => {
                let _ = rmp::encode::write_f64(buf, *f);
            }
            Number::Decimal(text) => write_str(buf, text)?,
        },
        (Value::String(s), Type::String) => write_str(buf, s)?,
        (Value::List(items), Type::List(e)) | (Value::Set(items), Type::Set(e)) => {
            write_marker_len(buf, SeqKind::Array, items.len())?;
            for (i, item) in items.iter().enumerate() {
                encode_into(buf, item, e, depth + 1)
                    .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))?;
            }
        }
        (Value::Map(entries), Type::Map(e)) => {
            write_marker_len(buf, SeqKind::Map, entries.len())?;
            for (k, v) in entries {
                write_str(buf, k)?;
                encode_into(buf, v, e, depth + 1)
                    .map_err(|err| err.within(PathStep::ElementKeyString(k.clone())))?;
            }
        }
        (Value::Object(attrs), Type::Object { attributes, .. }) => {
            if let Some(extra) = attrs.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(ValueError::new(format!("unsupported attribute {extra:?}")));
            }
            write_marker_len(buf, SeqKind::Map, attributes.len())?;
            for (name, attr_ty) in attributes {
                write_str(buf, name)?;
                let v = attrs.get(name).unwrap_or(&Value::Null);
                encode_into(buf, v, attr_ty, depth + 1)
                    .map_err(|err| err.within(PathStep::Attribute(name.clone())))?;
            }
        }
        (Value::Tuple(items), Type::Tuple(types)) => {
            if items.len() != types.len() {
                return Err(ValueError::new(format!(
                    "tuple needs {} elements, has {}",
                    types.len(),
                    items.len()
                )));
            }
            write_marker_len(buf, SeqKind::Array, items.len())?;
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                encode_into(buf, item, t, depth + 1)
                    .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))?;
            }
        }
        (value, ty) => {
            return Err(ValueError::new(format!(
                "{} value where {ty} is required",
                value.kind_name()
            )))
        }
    }
    Ok(())
}

fn truncated() -> ValueError {
    ValueError::new("msgpack ends early")
}

fn take<'a>(rd: &mut &'a [u8], n: usize) -> Result<&'a [u8], ValueError> {
    if rd.len() < n {
        return Err(truncated());
    }
    let (head, tail) = rd.split_at(n);
    *rd = tail;
    Ok(head)
}

fn take_array<const N: usize>(rd: &mut &[u8]) -> Result<[u8; N], ValueError> {
    let mut out = [0u8; N];
    out.copy_from_slice(take(rd, N)?);
    Ok(out)
}

fn read_marker(rd: &mut &[u8]) -> Result<Marker, ValueError> {
    rmp::decode::read_marker(rd).map_err(|_| truncated())
}

/// The length that follows a length-prefixed marker (str, bin, array, map, ext).
fn read_len(rd: &mut &[u8], marker: Marker) -> Result<usize, ValueError> {
    let len = match marker {
        Marker::FixStr(n) | Marker::FixArray(n) | Marker::FixMap(n) => u32::from(n),
        Marker::Str8 | Marker::Bin8 | Marker::Ext8 => u32::from(take_array::<1>(rd)?[0]),
        Marker::Str16 | Marker::Bin16 | Marker::Array16 | Marker::Map16 | Marker::Ext16 => {
            u32::from(u16::from_be_bytes(take_array(rd)?))
        }
        Marker::Str32 | Marker::Bin32 | Marker::Array32 | Marker::Map32 | Marker::Ext32 => {
            u32::from_be_bytes(take_array(rd)?)
        }
        other => return Err(unexpected(other, "a length-prefixed value")),
    };
    usize::try_from(len).map_err(|_| ValueError::new("length does not fit in memory"))
}

fn unexpected(marker: Marker, wanted: &str) -> ValueError {
    ValueError::new(format!(
        "expected {wanted}, found msgpack {}",
        marker_name(marker)
    ))
}

fn marker_name(marker: Marker) -> &'static str {
    match marker {
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "integer",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "extension",
        Marker::Reserved => "reserved byte",
    }
}

/// Skips an extension's type byte and payload (the marker was read).
fn skip_ext(rd: &mut &[u8], marker: Marker) -> Result<(), ValueError> {
    let payload = match marker {
        Marker::FixExt1 => 1,
        Marker::FixExt2 => 2,
        Marker::FixExt4 => 4,
        Marker::FixExt8 => 8,
        Marker::FixExt16 => 16,
        _ => read_len(rd, marker)?,
    };
    take(rd, payload.saturating_add(1)).map(|_| ())
}

fn is_ext(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

/// Reads a string or binary payload as bytes (the marker was read).
fn read_bytes<'a>(rd: &mut &'a [u8], marker: Marker) -> Result<&'a [u8], ValueError> {
    match marker {
        Marker::FixStr(_)
        | Marker::Str8
        | Marker::Str16
        | Marker::Str32
        | Marker::Bin8
        | Marker::Bin16
        | Marker::Bin32 => {
            let len = read_len(rd, marker)?;
            take(rd, len)
        }
        other => Err(unexpected(other, "a string")),
    }
}

fn read_string(rd: &mut &[u8], marker: Marker) -> Result<String, ValueError> {
    let bytes = read_bytes(rd, marker)?;
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| ValueError::new("string is not valid UTF-8"))
}

fn read_number(rd: &mut &[u8], marker: Marker) -> Result<Number, ValueError> {
    Ok(match marker {
        Marker::FixPos(n) => Number::Int(i64::from(n)),
        Marker::FixNeg(n) => Number::Int(i64::from(n)),
        Marker::U8 => Number::Int(i64::from(take_array::<1>(rd)?[0])),
        Marker::U16 => Number::Int(i64::from(u16::from_be_bytes(take_array(rd)?))),
        Marker::U32 => Number::Int(i64::from(u32::from_be_bytes(take_array(rd)?))),
        Marker::U64 => Number::from_u64(u64::from_be_bytes(take_array(rd)?)),
        Marker::I8 => Number::Int(i64::from(i8::from_be_bytes(take_array(rd)?))),
        Marker::I16 => Number::Int(i64::from(i16::from_be_bytes(take_array(rd)?))),
        Marker::I32 => Number::Int(i64::from(i32::from_be_bytes(take_array(rd)?))),
        Marker::I64 => Number::Int(i64::from_be_bytes(take_array(rd)?)),
        Marker::F32 => Number::from_f64(f64::from(f32::from_be_bytes(take_array(rd)?)))
            .ok_or_else(|| ValueError::new("NaN is not a number"))?,
        Marker::F64 => Number::from_f64(f64::from_be_bytes(take_array(rd)?))
            .ok_or_else(|| ValueError::new("NaN is not a number"))?,
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            let text = read_string(rd, marker)?;
            Number::parse(&text).ok_or_else(|| ValueError::new("string is not a number"))?
        }
        other => return Err(unexpected(other, "a number")),
    })
}

fn read_seq_len(rd: &mut &[u8], marker: Marker) -> Result<usize, ValueError> {
    match marker {
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => read_len(rd, marker),
        other => Err(unexpected(other, "an array")),
    }
}

fn read_map_len(rd: &mut &[u8], marker: Marker) -> Result<usize, ValueError> {
    match marker {
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => read_len(rd, marker),
        other => Err(unexpected(other, "a map")),
    }
}

fn decode_value(rd: &mut &[u8], ty: &Type, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_DEPTH {
        return Err(ValueError::new("value nests too deeply"));
    }
    let marker = read_marker(rd)?;
    if is_ext(marker) {
        skip_ext(rd, marker)?;
        return Ok(Value::Unknown);
    }
    if marker == Marker::Null {
        return Ok(Value::Null);
    }
    match ty {
        Type::Dynamic => {
            let len = read_seq_len(rd, marker)?;
            if len != 2 {
                return Err(ValueError::new(
                    "dynamic value must be a [type, value] pair",
                ));
            }
            let type_marker = read_marker(rd)?;
            let type_json = read_bytes(rd, type_marker)?;
            let actual =
                Type::from_json_bytes(type_json).map_err(|e| ValueError::new(e.to_string()))?;
            decode_value(rd, &actual, depth + 1)
        }
        Type::Bool => match marker {
            Marker::True => Ok(Value::Bool(true)),
            Marker::False => Ok(Value::Bool(false)),
            other => Err(unexpected(other, "a bool")),
        },
        Type::Number => read_number(rd, marker).map(Value::Number),
        Type::String => read_string(rd, marker).map(Value::String),
        Type::List(e) | Type::Set(e) => {
            let len = read_seq_len(rd, marker)?;
            // Every element takes at least one byte: never reserve beyond the input.
            let mut items = Vec::with_capacity(len.min(rd.len()));
            for i in 0..len {
                items.push(
                    decode_value(rd, e, depth + 1)
                        .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))?,
                );
            }
            Ok(match ty {
                Type::Set(_) => Value::set(items),
                _ => Value::List(items),
            })
        }
        Type::Tuple(types) => {
            let len = read_seq_len(rd, marker)?;
            if len != types.len() {
                return Err(ValueError::new(format!(
                    "tuple needs {} elements, has {len}",
                    types.len()
                )));
            }
            let mut items = Vec::with_capacity(len);
            for (i, t) in types.iter().enumerate() {
                items.push(
                    decode_value(rd, t, depth + 1)
                        .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))?,
                );
            }
            Ok(Value::Tuple(items))
        }
        Type::Map(e) => {
            let len = read_map_len(rd, marker)?;
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let key_marker = read_marker(rd)?;
                let key = read_string(rd, key_marker)?;
                let v = decode_value(rd, e, depth + 1)
                    .map_err(|err| err.within(PathStep::ElementKeyString(key.clone())))?;
                if entries.insert(key.clone(), v).is_some() {
                    return Err(ValueError::new(format!("duplicate map key {key:?}")));
                }
            }
            Ok(Value::Map(entries))
        }
        Type::Object { attributes, .. } => {
            let len = read_map_len(rd, marker)?;
            let mut attrs = BTreeMap::new();
            for _ in 0..len {
                let key_marker = read_marker(rd)?;
                let name = read_string(rd, key_marker)?;
                let Some(attr_ty) = attributes.get(&name) else {
                    return Err(ValueError::new(format!("unsupported attribute {name:?}")));
                };
                let v = decode_value(rd, attr_ty, depth + 1)
                    .map_err(|err| err.within(PathStep::Attribute(name.clone())))?;
                if attrs.insert(name.clone(), v).is_some() {
                    return Err(ValueError::new(format!("duplicate attribute {name:?}")));
                }
            }
            // Absent attributes are null, so every object value has all its attributes.
            for name in attributes.keys() {
                attrs.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(attrs))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        hex::encode(bytes)
    }

    #[test]
    fn encodes_like_cty() {
        let ty = Type::object([("id", Type::String), ("n", Type::Number)]);
        let v = Value::object([("id", Value::Unknown), ("n", Value::from(3))]);
        // fixmap(2) "id" fixext1(0,0) "n" 3
        assert_eq!(hex(&encode(&v, &ty).unwrap()), "82a26964d40000a16e03");
        assert_eq!(hex(&encode(&Value::Null, &ty).unwrap()), "c0");
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let bytes = encode(&Value::from("hi"), &Type::Dynamic).unwrap();
        // [bin("\"string\""), "hi"]
        assert_eq!(hex(&bytes), "92c40822737472696e6722a26869");
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), Value::from("hi"));
        // A str-typed type header is accepted too.
        let mut alt = vec![0x92, 0xa8];
        alt.extend_from_slice(b"\"string\"");
        alt.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(decode(&alt, &Type::Dynamic).unwrap(), Value::from("hi"));
    }

    #[test]
    fn any_extension_decodes_as_unknown() {
        // ext type 12 (cty refinements) with a 3-byte payload
        let bytes = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
        assert_eq!(decode(&bytes, &Type::String).unwrap(), Value::Unknown);
        assert_eq!(
            decode(&[0xd4, 0x00, 0x00], &Type::Number).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn numbers_accept_ints_floats_and_text() {
        let n = |bytes: &[u8]| decode(bytes, &Type::Number).unwrap();
        assert_eq!(n(&[0x05]), Value::from(5));
        assert_eq!(n(&[0xd0, 0xfb]), Value::from(-5));
        let mut f = vec![0xcb];
        f.extend_from_slice(&1.5f64.to_be_bytes());
        assert_eq!(n(&f), Value::Number(Number::Float(1.5)));
        assert_eq!(
            n(&[0xa3, b'0', b'.', b'1']),
            Value::Number(Number::Decimal("0.1".into()))
        );
        assert!(decode(&[0xa1, b'x'], &Type::Number).is_err());
        // decimal text goes back out as text, unchanged
        assert_eq!(
            encode(&n(&[0xa3, b'0', b'.', b'1']), &Type::Number).unwrap(),
            vec![0xa3, b'0', b'.', b'1']
        );
        let mut nan = vec![0xcb];
        nan.extend_from_slice(&f64::NAN.to_be_bytes());
        assert!(decode(&nan, &Type::Number).is_err());
    }

    #[test]
    fn decoding_checks_the_type() {
        let ty = Type::object([("a", Type::String)]);
        // {"b": "x"}
        let err = decode(&[0x81, 0xa1, b'b', 0xa1, b'x'], &ty).unwrap_err();
        assert!(err.message.contains("unsupported attribute"));
        // {"a": 1}
        let err = decode(&[0x81, 0xa1, b'a', 0x01], &ty).unwrap_err();
        assert_eq!(err.path.to_string(), "a");
        // {} decodes with a null "a"
        assert_eq!(
            decode(&[0x80], &ty).unwrap(),
            Value::object([("a", Value::Null)])
        );
        assert!(decode(&[0xc0, 0xc0], &ty).is_err(), "trailing bytes");
        assert!(decode(&[], &ty).is_err());
    }

    #[test]
    fn huge_declared_lengths_fail_without_allocating() {
        // array32 with 4 billion elements and no data
        let bytes = [0xdd, 0xff, 0xff, 0xff, 0xff];
        assert!(decode(&bytes, &Type::list(Type::String)).is_err());
        let bytes = [0xdb, 0xff, 0xff, 0xff, 0xff];
        assert!(decode(&bytes, &Type::String).is_err());
    }

    #[test]
    fn deep_dynamic_nesting_is_refused() {
        // [["list","dynamic"], [[["list","dynamic"], [...]]]] nested far beyond the limit
        let header = br#"["list","dynamic"]"#;
        let mut bytes = Vec::new();
        for _ in 0..(MAX_DEPTH * 2) {
            bytes.extend_from_slice(&[0x92, 0xc4, header.len() as u8]);
            bytes.extend_from_slice(header);
            bytes.push(0x91);
        }
        bytes.push(0xc0);
        let err = decode(&bytes, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("deeply"), "{err}");
    }
}
