//! cty types and their JSON encoding (the form used in schemas and in dynamic values).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value as Json;

/// A cty type. Object attribute names are kept sorted, as cty does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// The dynamic pseudo-type: any type, decided per value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object {
        attributes: BTreeMap<String, Type>,
        /// Attributes that may be omitted in a type constraint (`optional(...)`).
        optional: BTreeSet<String>,
    },
    Tuple(Vec<Type>),
}

/// A type JSON document that is not a valid cty type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cty type: {0}")]
pub struct TypeError(pub String);

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// An object type without optional attributes.
    pub fn object<I, S>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object {
            attributes: attributes.into_iter().map(|(n, t)| (n.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }

    /// The attribute types of an object type, `None` for other types.
    pub fn object_attributes(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object { attributes, .. } => Some(attributes),
            _ => None,
        }
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }

    /// True when the type contains the dynamic pseudo-type anywhere.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.has_dynamic(),
            Type::Object { attributes, .. } => attributes.values().any(Type::has_dynamic),
            Type::Tuple(elements) => elements.iter().any(Type::has_dynamic),
        }
    }

    /// The JSON form: `"string"`, `["list","string"]`, `["object",{...}]`, ...
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(e) => Json::Array(vec!["list".into(), e.to_json()]),
            Type::Set(e) => Json::Array(vec!["set".into(), e.to_json()]),
            Type::Map(e) => Json::Array(vec!["map".into(), e.to_json()]),
            Type::Object {
                attributes,
                optional,
            } => {
                let attrs = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect::<serde_json::Map<_, _>>();
                let mut parts = vec![Json::from("object"), Json::Object(attrs)];
                if !optional.is_empty() {
                    parts.push(Json::Array(
                        optional.iter().map(|n| Json::from(n.as_str())).collect(),
                    ));
                }
                Json::Array(parts)
            }
            Type::Tuple(elements) => Json::Array(vec![
                "tuple".into(),
                Json::Array(elements.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The JSON form as bytes, as carried in schema attributes and dynamic values.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serialising a serde_json::Value into a Vec cannot fail.
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeError> {
        let json: Json =
            serde_json::from_slice(bytes).map_err(|e| TypeError(format!("not JSON: {e}")))?;
        Type::from_json(&json)
    }

    pub fn from_json(json: &Json) -> Result<Type, TypeError> {
        match json {
            Json::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(TypeError(format!("unknown primitive type {other:?}"))),
            },
            Json::Array(parts) => {
                let kind = parts
                    .first()
                    .and_then(Json::as_str)
                    .ok_or_else(|| TypeError("type array must start with a kind".into()))?;
                match (kind, parts.len()) {
                    ("list", 2) => Ok(Type::list(Type::from_json(&parts[1])?)),
                    ("set", 2) => Ok(Type::set(Type::from_json(&parts[1])?)),
                    ("map", 2) => Ok(Type::map(Type::from_json(&parts[1])?)),
                    ("object", 2 | 3) => object_from_json(&parts[1], parts.get(2)),
                    ("tuple", 2) => {
                        let elements = parts[1]
                            .as_array()
                            .ok_or_else(|| TypeError("tuple elements must be an array".into()))?;
                        Ok(Type::Tuple(
                            elements
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    _ => Err(TypeError(format!(
                        "unknown type kind {kind:?} with {} parts",
                        parts.len()
                    ))),
                }
            }
            _ => Err(TypeError("type must be a string or an array".into())),
        }
    }
}

fn object_from_json(attrs: &Json, optional: Option<&Json>) -> Result<Type, TypeError> {
    let attrs = attrs
        .as_object()
        .ok_or_else(|| TypeError("object attributes must be a JSON object".into()))?;
    let attributes = attrs
        .iter()
        .map(|(name, ty)| Ok((name.clone(), Type::from_json(ty)?)))
        .collect::<Result<BTreeMap<_, _>, TypeError>>()?;
    let mut optional_names = BTreeSet::new();
    if let Some(list) = optional {
        let list = list
            .as_array()
            .ok_or_else(|| TypeError("optional attributes must be an array".into()))?;
        for name in list {
            let name = name
                .as_str()
                .ok_or_else(|| TypeError("optional attribute names must be strings".into()))?;
            if !attributes.contains_key(name) {
                return Err(TypeError(format!(
                    "optional attribute {name:?} is not an attribute"
                )));
            }
            optional_names.insert(name.to_owned());
        }
    }
    Ok(Type::Object {
        attributes,
        optional: optional_names,
    })
}

impl fmt::Display for Type {
    /// Terraform's type syntax, e.g. `list(string)`, `object({name=string})`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("any"),
            Type::List(e) => write!(f, "list({e})"),
            Type::Set(e) => write!(f, "set({e})"),
            Type::Map(e) => write!(f, "map({e})"),
            Type::Object {
                attributes,
                optional,
            } => {
                f.write_str("object({")?;
                for (i, (name, ty)) in attributes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if optional.contains(name) {
                        write!(f, "{name}=optional({ty})")?;
                    } else {
                        write!(f, "{name}={ty}")?;
                    }
                }
                f.write_str("})")
            }
            Type::Tuple(elements) => {
                f.write_str("tuple([")?;
                for (i, ty) in elements.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{ty}")?;
                }
                f.write_str("])")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn primitive_types_encode_as_strings() {
        assert_eq!(Type::String.to_json(), json!("string"));
        assert_eq!(Type::Number.to_json(), json!("number"));
        assert_eq!(Type::Bool.to_json(), json!("bool"));
        assert_eq!(Type::Dynamic.to_json(), json!("dynamic"));
    }

    #[test]
    fn collection_and_structural_types_encode_as_arrays() {
        assert_eq!(
            Type::list(Type::String).to_json(),
            json!(["list", "string"])
        );
        assert_eq!(
            Type::map(Type::set(Type::Number)).to_json(),
            json!(["map", ["set", "number"]])
        );
        let obj = Type::object([("b", Type::Bool), ("a", Type::String)]);
        assert_eq!(
            obj.to_json(),
            json!(["object", {"a": "string", "b": "bool"}])
        );
        assert_eq!(
            Type::Tuple(vec![Type::String, Type::Number]).to_json(),
            json!(["tuple", ["string", "number"]])
        );
    }

    #[test]
    fn optional_object_attributes_round_trip() {
        let text = br#"["object",{"a":"string","b":"number"},["b"]]"#;
        let ty = Type::from_json_bytes(text).unwrap();
        match &ty {
            Type::Object { optional, .. } => assert!(optional.contains("b")),
            other => panic!("not an object: {other:?}"),
        }
        assert_eq!(ty.to_json_bytes(), text.to_vec());
        assert_eq!(ty.to_string(), "object({a=string,b=optional(number)})");
    }

    #[test]
    fn invalid_type_json_is_an_error() {
        for bad in [
            &br#""strin""#[..],
            br#"["list"]"#,
            br#"["list","string","x"]"#,
            br#"["object",["a"]]"#,
            br#"["object",{"a":"string"},["b"]]"#,
            br#"["tuple","string"]"#,
            br#"42"#,
            br#"not json"#,
        ] {
            assert!(Type::from_json_bytes(bad).is_err(), "{bad:?}");
        }
    }
}
