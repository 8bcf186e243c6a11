//! cty values: null and unknown at any level, primitives, collections and structures.
//!
//! Values are untyped; the [`Type`] is given beside them when encoding, decoding and
//! checking. `Debug` shows the structure but only the length of strings, because values
//! carry secrets (credentials in the provider configuration, passwords in resources).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::types::Type;

#[derive(Clone)]
pub enum Value {
    Null,
    /// Not known until apply (msgpack extension; refinements are not kept).
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Elements of a set; equality ignores their order.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

static NULL: Value = Value::Null;

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Unknown => f.write_str("unknown"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "string({} chars)", s.chars().count()),
            Value::List(items) => f.debug_list().entries(items).finish(),
            Value::Tuple(items) => {
                f.write_str("tuple")?;
                f.debug_list().entries(items).finish()
            }
            Value::Set(items) => f.debug_set().entries(items).finish(),
            Value::Map(entries) => {
                f.write_str("map")?;
                f.debug_map().entries(entries).finish()
            }
            Value::Object(attrs) => f.debug_map().entries(attrs).finish(),
        }
    }
}

/// A value that does not fit its type, or bytes that are not a valid encoding of one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_root() { String::new() } else { format!("{path}: ") })]
pub struct ValueError {
    pub path: AttributePath,
    pub message: String,
}

impl ValueError {
    pub fn new(message: impl Into<String>) -> ValueError {
        ValueError {
            path: AttributePath::root(),
            message: message.into(),
        }
    }

    /// Prefixes the path with a step (errors are built from the inside out).
    pub fn within(mut self, step: PathStep) -> ValueError {
        self.path.steps.insert(0, step);
        self
    }
}

impl PartialEq for Value {
    /// Structural equality ("raw equals"): unknown equals unknown, null equals null,
    /// sets compare as multisets.
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) | (Unknown, Unknown) => true,
            (Bool(a), Bool(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Map(a), Map(b)) | (Object(a), Object(b)) => a == b,
            (Set(a), Set(b)) => same_elements(a, b),
            _ => false,
        }
    }
}

/// Multiset equality through sorted equality keys: O(n log n) where comparing every pair
/// was O(n²): comparing two large sets (e.g. prior and planned state) took seconds.
fn same_elements(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let sorted_keys = |items: &[Value]| {
        let mut keys: Vec<Vec<u8>> = items.iter().map(Value::equality_key).collect();
        keys.sort_unstable();
        keys
    };
    sorted_keys(a) == sorted_keys(b)
}

impl Value {
    /// An object value from `(name, value)` pairs.
    pub fn object<I, S>(attributes: I) -> Value
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Value::Object(attributes.into_iter().map(|(n, v)| (n.into(), v)).collect())
    }

    /// A set value; equal known elements are kept once, as in cty. Duplicates are found
    /// by hashing [`Value::equality_key`], not by comparing every pair, which made a
    /// 120 KB `DynamicValue` holding 40 000 numbers take tens of seconds to decode.
    pub fn set(elements: Vec<Value>) -> Value {
        let mut seen = HashSet::with_capacity(elements.len());
        let mut unique: Vec<Value> = Vec::with_capacity(elements.len());
        for e in elements {
            if e.is_unknown() || seen.insert(e.equality_key()) {
                unique.push(e);
            }
        }
        Value::Set(unique)
    }

    /// Bytes that are equal exactly when the values are `==` (given [`Number`]'s
    /// invariants: no NaN, no negative zero). A prefix-free encoding; a set's elements are
    /// keyed in sorted order, as set equality ignores order.
    fn equality_key(&self) -> Vec<u8> {
        let mut key = Vec::new();
        self.write_equality_key(&mut key);
        key
    }

    fn write_equality_key(&self, out: &mut Vec<u8>) {
        fn len(out: &mut Vec<u8>, n: usize) {
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
        fn text(out: &mut Vec<u8>, s: &str) {
            len(out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        match self {
            Value::Null => out.push(0),
            Value::Unknown => out.push(1),
            Value::Bool(b) => out.extend([2, u8::from(*b)]),
            Value::Number(Number::Int(i)) => {
                out.push(3);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Number(Number::Float(f)) => {
                out.push(4);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Number(Number::Decimal(t)) => {
                out.push(5);
                text(out, t);
            }
            Value::String(s) => {
                out.push(6);
                text(out, s);
            }
            Value::List(items) | Value::Tuple(items) => {
                out.push(if matches!(self, Value::List(_)) { 7 } else { 8 });
                len(out, items.len());
                items.iter().for_each(|v| v.write_equality_key(out));
            }
            Value::Set(items) => {
                out.push(9);
                let mut keys: Vec<Vec<u8>> = items.iter().map(Value::equality_key).collect();
                keys.sort_unstable();
                len(out, keys.len());
                keys.iter().for_each(|k| out.extend_from_slice(k));
            }
            Value::Map(entries) | Value::Object(entries) => {
                out.push(if matches!(self, Value::Map(_)) {
                    10
                } else {
                    11
                });
                len(out, entries.len());
                for (name, v) in entries {
                    text(out, name);
                    v.write_equality_key(out);
                }
            }
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Neither null nor unknown at the top level.
    pub fn is_present(&self) -> bool {
        !self.is_null() && !self.is_unknown()
    }

    /// True when no unknown value appears anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An attribute of an object; null when absent or when `self` is not an object.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Value::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Sets an attribute; does nothing unless `self` is an object.
    pub fn set_attr(&mut self, name: impl Into<String>, value: Value) {
        if let Value::Object(attrs) = self {
            attrs.insert(name.into(), value);
        }
    }

    /// A mutable attribute of an object (inserting null when absent).
    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(attrs) => Some(attrs.entry(name.to_owned()).or_insert(Value::Null)),
            _ => None,
        }
    }

    /// The value at a path; null when a step does not exist.
    pub fn at(&self, path: &AttributePath) -> &Value {
        let mut current = self;
        for step in &path.steps {
            current = match (current, step) {
                (Value::Object(attrs), PathStep::Attribute(name)) => {
                    attrs.get(name).unwrap_or(&NULL)
                }
                (Value::Map(entries), PathStep::ElementKeyString(key)) => {
                    entries.get(key).unwrap_or(&NULL)
                }
                (Value::List(items) | Value::Tuple(items), PathStep::ElementKeyInt(i)) => {
                    usize::try_from(*i)
                        .ok()
                        .and_then(|i| items.get(i))
                        .unwrap_or(&NULL)
                }
                _ => &NULL,
            };
        }
        current
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::as_f64)
    }

    /// Elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or attributes of an object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Checks that the value has the shape of `ty` (null and unknown conform to any type;
    /// object values must not have attributes the type lacks, missing ones count as null).
    pub fn conforms_to(&self, ty: &Type) -> Result<(), ValueError> {
        match (self, ty) {
            (Value::Null | Value::Unknown, _) | (_, Type::Dynamic) => Ok(()),
            (Value::Bool(_), Type::Bool)
            | (Value::Number(_), Type::Number)
            | (Value::String(_), Type::String) => Ok(()),
            (Value::List(items), Type::List(e)) | (Value::Set(items), Type::Set(e)) => {
                items.iter().enumerate().try_for_each(|(i, item)| {
                    item.conforms_to(e)
                        .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))
                })
            }
            (Value::Map(entries), Type::Map(e)) => entries.iter().try_for_each(|(k, v)| {
                v.conforms_to(e)
                    .map_err(|err| err.within(PathStep::ElementKeyString(k.clone())))
            }),
            (Value::Object(attrs), Type::Object { attributes, .. }) => {
                if let Some(extra) = attrs.keys().find(|k| !attributes.contains_key(*k)) {
                    return Err(ValueError::new(format!("unsupported attribute {extra:?}")));
                }
                attrs.iter().try_for_each(|(k, v)| {
                    // Presence was checked just above.
                    let Some(attr_ty) = attributes.get(k) else {
                        return Ok(());
                    };
                    v.conforms_to(attr_ty)
                        .map_err(|err| err.within(PathStep::Attribute(k.clone())))
                })
            }
            (Value::Tuple(items), Type::Tuple(types)) => {
                if items.len() != types.len() {
                    return Err(ValueError::new(format!(
                        "tuple needs {} elements, has {}",
                        types.len(),
                        items.len()
                    )));
                }
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .try_for_each(|(i, (v, t))| {
                        v.conforms_to(t)
                            .map_err(|err| err.within(PathStep::ElementKeyInt(i as i64)))
                    })
            }
            (value, ty) => Err(ValueError::new(format!(
                "{} value where {ty} is required",
                value.kind_name()
            ))),
        }
    }

    /// A short name of the kind of value, for messages (never the contents).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
        }
    }

    /// The most specific type this value has on its own, for values sent where the schema
    /// says `dynamic`. Null and unknown have the dynamic type; an empty or mixed collection
    /// has a dynamic element type.
    pub fn infer_type(&self) -> Type {
        fn common(items: &[Value]) -> Type {
            let mut types = items
                .iter()
                .filter(|v| v.is_present())
                .map(Value::infer_type);
            match types.next() {
                Some(first) if types.all(|t| t == first) => first,
                _ => Type::Dynamic,
            }
        }
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => Type::list(common(items)),
            Value::Set(items) => Type::set(common(items)),
            Value::Map(entries) => {
                Type::map(common(&entries.values().cloned().collect::<Vec<_>>()))
            }
            Value::Object(attrs) => {
                Type::object(attrs.iter().map(|(k, v)| (k.clone(), v.infer_type())))
            }
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::infer_type).collect()),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Number(Number::from(i))
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Value {
        Value::Number(Number::from(i))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_compare_without_order_and_deduplicate() {
        let a = Value::set(vec!["x".into(), "y".into(), "x".into()]);
        let b = Value::Set(vec!["y".into(), "x".into()]);
        assert_eq!(a, b);
        assert_ne!(a, Value::Set(vec!["y".into(), "y".into()]));
        assert_ne!(
            Value::List(vec!["x".into(), "y".into()]),
            Value::List(vec!["y".into(), "x".into()])
        );
    }

    #[test]
    fn equality_keys_agree_with_equality() {
        let values = [
            Value::Null,
            Value::Unknown,
            Value::from(true),
            Value::from(1),
            Value::Number(Number::Float(1.5)),
            Value::Number(Number::Decimal("1.0".into())),
            Value::from("1"),
            Value::from(""),
            Value::List(vec![Value::from("a"), Value::from("b")]),
            Value::List(vec![Value::from("ab")]),
            Value::Tuple(vec![Value::from("a"), Value::from("b")]),
            Value::set(vec![Value::from("a"), Value::from("b")]),
            Value::Set(vec![Value::from("b"), Value::from("a")]),
            Value::Map([("k".to_owned(), Value::Null)].into()),
            Value::object([("k", Value::Null)]),
            Value::object([("k", Value::Unknown)]),
        ];
        for a in &values {
            for b in &values {
                assert_eq!(
                    a.equality_key() == b.equality_key(),
                    a == b,
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn attribute_access_and_paths() {
        let mut v = Value::object([
            ("name", Value::from("t1")),
            (
                "tags",
                Value::Map([("env".to_owned(), Value::from("prod"))].into()),
            ),
            ("list", Value::List(vec![Value::from(1), Value::from(2)])),
        ]);
        assert_eq!(v.attr("name").as_str(), Some("t1"));
        assert!(v.attr("missing").is_null());
        assert_eq!(
            v.at(&AttributePath::attr("tags").key("env")).as_str(),
            Some("prod")
        );
        assert_eq!(
            v.at(&AttributePath::attr("list").index(1)).as_i64(),
            Some(2)
        );
        assert!(v.at(&AttributePath::attr("list").index(-1)).is_null());
        v.set_attr("name", Value::Unknown);
        assert!(v.attr("name").is_unknown());
        assert!(!v.is_wholly_known());
    }

    #[test]
    fn conformance_reports_the_path() {
        let ty = Type::object([("tags", Type::map(Type::Number))]);
        let v = Value::object([(
            "tags",
            Value::Map([("a".to_owned(), Value::from("x"))].into()),
        )]);
        let err = v.conforms_to(&ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("tags").key("a"));
        assert_eq!(
            err.to_string(),
            r#"tags["a"]: string value where number is required"#
        );
        let extra = Value::object([("nope", Value::Null)]);
        assert!(extra.conforms_to(&ty).is_err());
        assert!(Value::object(Vec::<(String, Value)>::new())
            .conforms_to(&ty)
            .is_ok());
    }

    #[test]
    fn debug_output_hides_strings() {
        let v = Value::object([
            ("secret_key", Value::from("hunter2")),
            ("n", Value::from(3)),
            (
                "tags",
                Value::Map([("k".to_owned(), Value::from("v"))].into()),
            ),
        ]);
        let printed = format!("{v:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(
            printed,
            r#"{"n": 3, "secret_key": string(7 chars), "tags": map{"k": string(1 chars)}}"#
        );
    }

    #[test]
    fn inferred_types() {
        let v = Value::List(vec![Value::from("a"), Value::Null]);
        assert_eq!(v.infer_type(), Type::list(Type::String));
        let mixed = Value::List(vec![Value::from("a"), Value::from(1)]);
        assert_eq!(mixed.infer_type(), Type::list(Type::Dynamic));
    }
}
