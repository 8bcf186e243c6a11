//! The JSON form of cty values, used for raw state (`UpgradeResourceState`) and as the
//! bridge from serde models to values. Unknown values have no JSON form.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::number::Number;
use super::path::PathStep;
use super::types::Type;
use super::value::{Value, ValueError};

/// How strictly [`decode`] treats object attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// Drop object attributes the type does not have instead of failing (stored state may
    /// hold attributes a newer schema removed).
    pub ignore_undefined_attributes: bool,
}

/// Decodes a JSON document holding a value of type `ty`.
pub fn decode_bytes(bytes: &[u8], ty: &Type, options: JsonOptions) -> Result<Value, ValueError> {
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| ValueError::new(format!("invalid JSON: {e}")))?;
    decode(&json, ty, options)
}

/// Converts JSON into a value of type `ty`. Numbers may also be given as decimal strings
/// (as cty allows); a value where the type is `dynamic` is `{"value": ..., "type": ...}`.
pub fn decode(json: &Json, ty: &Type, options: JsonOptions) -> Result<Value, ValueError> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (Type::Dynamic, Json::Object(parts)) => {
            let type_json = parts
                .get("type")
                .ok_or_else(|| ValueError::new("dynamic value needs a \"type\""))?;
            let actual = Type::from_json(type_json).map_err(|e| ValueError::new(e.to_string()))?;
            decode(parts.get("value").unwrap_or(&Json::Null), &actual, options)
        }
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Number, Json::Number(n)) => {
            let number = if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(u) = n.as_u64() {
                Number::from_u64(u)
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .ok_or_else(|| ValueError::new("invalid number"))?
            };
            Ok(Value::Number(number))
        }
        (Type::Number, Json::String(text)) => Number::parse(text)
            .map(Value::Number)
            .ok_or_else(|| ValueError::new("string is not a number")),
        (Type::String, Json::String(s)) => Ok(Value::String(s.clone())),
        (Type::List(e) | Type::Set(e), Json::Array(items)) => {
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    decode(item, e, options)
                        .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match ty {
                Type::Set(_) => Value::set(items),
                _ => Value::List(items),
            })
        }
        (Type::Tuple(types), Json::Array(items)) => {
            if items.len() != types.len() {
                return Err(ValueError::new(format!(
                    "tuple needs {} elements, has {}",
                    types.len(),
                    items.len()
                )));
            }
            let items = items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, t))| {
                    decode(item, t, options)
                        .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(items))
        }
        (Type::Map(e), Json::Object(entries)) => {
            let entries = entries
                .iter()
                .map(|(k, v)| {
                    decode(v, e, options)
                        .map(|v| (k.clone(), v))
                        .map_err(|err| err.within(PathStep::ElementKeyString(k.clone())))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()?;
            Ok(Value::Map(entries))
        }
        (Type::Object { attributes, .. }, Json::Object(entries)) => {
            let mut attrs = BTreeMap::new();
            for (name, v) in entries {
                let Some(attr_ty) = attributes.get(name) else {
                    if options.ignore_undefined_attributes {
                        continue;
                    }
                    return Err(ValueError::new(format!("unsupported attribute {name:?}")));
                };
                let v = decode(v, attr_ty, options)
                    .map_err(|err| err.within(PathStep::Attribute(name.clone())))?;
                attrs.insert(name.clone(), v);
            }
            for name in attributes.keys() {
                attrs.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(attrs))
        }
        (ty, json) => Err(ValueError::new(format!(
            "{} where {ty} is required",
            json_kind(json)
        ))),
    }
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Converts a wholly known value of type `ty` to JSON.
pub fn encode(value: &Value, ty: &Type) -> Result<Json, ValueError> {
    if let (Type::Dynamic, true) = (ty, value.is_present()) {
        let actual = value.infer_type();
        let inner = encode(value, &actual)?;
        return Ok(serde_json::json!({ "value": inner, "type": actual.to_json() }));
    }
    match (value, ty) {
        (Value::Unknown, _) => Err(ValueError::new("unknown values have no JSON form")),
        (Value::Null, _) => Ok(Json::Null),
        (Value::Bool(b), Type::Bool) => Ok(Json::Bool(*b)),
        (Value::Number(n), Type::Number) => Ok(match n {
            Number::Int(i) => Json::from(*i),
            Number::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                // Infinities have no JSON number form; cty accepts the text.
                .unwrap_or_else(|| Json::String(n.to_string())),
            Number::Decimal(text) => Json::String(text.clone()),
        }),
        (Value::String(s), Type::String) => Ok(Json::String(s.clone())),
        (Value::List(items), Type::List(e)) | (Value::Set(items), Type::Set(e)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                encode(item, e).map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        (Value::Tuple(items), Type::Tuple(types)) if items.len() == types.len() => items
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, (item, t))| {
                encode(item, t).map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        (Value::Map(entries), Type::Map(e)) => entries
            .iter()
            .map(|(k, v)| {
                encode(v, e)
                    .map(|j| (k.clone(), j))
                    .map_err(|err| err.within(PathStep::ElementKeyString(k.clone())))
            })
            .collect::<Result<serde_json::Map<_, _>, _>>()
            .map(Json::Object),
        (Value::Object(attrs), Type::Object { attributes, .. }) => {
            if let Some(extra) = attrs.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(ValueError::new(format!("unsupported attribute {extra:?}")));
            }
            attributes
                .iter()
                .map(|(name, attr_ty)| {
                    let v = attrs.get(name).unwrap_or(&Value::Null);
                    encode(v, attr_ty)
                        .map(|j| (name.clone(), j))
                        .map_err(|err| err.within(PathStep::Attribute(name.clone())))
                })
                .collect::<Result<serde_json::Map<_, _>, _>>()
                .map(Json::Object)
        }
        (value, ty) => Err(ValueError::new(format!(
            "{} value where {ty} is required",
            value.kind_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_state_json_against_the_type() {
        let ty = Type::object([
            ("name", Type::String),
            ("partitions", Type::Number),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::String)),
        ]);
        let json = json!({"name": "t", "partitions": 12, "tags": {"a": "b"}, "ids": ["x", "x"]});
        let v = decode(&json, &ty, JsonOptions::default()).unwrap();
        assert_eq!(v.attr("partitions").as_i64(), Some(12));
        assert_eq!(v.attr("ids"), &Value::Set(vec!["x".into()]));
        assert_eq!(
            encode(&v, &ty).unwrap(),
            json!({"name": "t", "partitions": 12, "tags": {"a": "b"}, "ids": ["x"]})
        );
    }

    #[test]
    fn undefined_attributes_are_refused_or_dropped() {
        let ty = Type::object([("a", Type::String)]);
        let json = json!({"a": "x", "old": 1});
        assert!(decode(&json, &ty, JsonOptions::default()).is_err());
        let lenient = JsonOptions {
            ignore_undefined_attributes: true,
        };
        assert_eq!(
            decode(&json, &ty, lenient).unwrap(),
            Value::object([("a", Value::from("x"))])
        );
    }

    #[test]
    fn dynamic_and_numbers_as_text() {
        let json = json!({"value": ["a"], "type": ["list", "string"]});
        let v = decode(&json, &Type::Dynamic, JsonOptions::default()).unwrap();
        assert_eq!(v, Value::List(vec!["a".into()]));
        assert_eq!(encode(&v, &Type::Dynamic).unwrap(), json);
        assert_eq!(
            decode(&json!("0.1"), &Type::Number, JsonOptions::default()).unwrap(),
            Value::Number(Number::Decimal("0.1".into()))
        );
        assert!(encode(&Value::Unknown, &Type::String).is_err());
        assert!(decode(&json!(1), &Type::String, JsonOptions::default()).is_err());
    }
}
