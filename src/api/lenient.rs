//! Liberal field decoders: numbers and booleans may arrive as strings, fields may be
//! missing or null, lists may be wrapped in an object (`{"TopicVO": [...]}`) or be a
//! single element. Use with `#[serde(default, deserialize_with = "...")]`.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;

/// An integer from a JSON number (integral float accepted) or a numeric string.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
            })
        }
        _ => None,
    })
}

/// A boolean from `true`/`false`, `"true"`/`"false"` (any case) or `0`/`1`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// Text from a string, or a number/boolean rendered as text.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text(Value::deserialize(d)?))
}

/// Like [`opt_string`] but absent becomes empty.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text(Value::deserialize(d)?).unwrap_or_default())
}

/// A secret (a password) from a string, number or boolean; anything else is empty. Never
/// fails, so no decoding error can quote the value.
pub fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<crate::api::SecretString, D::Error> {
    Ok(crate::api::SecretString::new(
        text(Value::deserialize(d)?).unwrap_or_default(),
    ))
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The elements under `inner` of a wrapper object (`{"TopicVO":[...]}`), also accepting
/// the list itself, a single element instead of a list, or nothing at all.
pub fn wrapped_list<'de, D, T>(d: D, inner: &str) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = match Value::deserialize(d)? {
        Value::Object(mut wrapper) if wrapper.contains_key(inner) => {
            wrapper.remove(inner).unwrap_or(Value::Null)
        }
        // An empty wrapper object means an empty list.
        Value::Object(wrapper) if wrapper.is_empty() => Value::Null,
        other => other,
    };
    list_of(value).map_err(D::Error::custom)
}

fn list_of<T: DeserializeOwned>(value: Value) -> Result<Vec<T>, serde_json::Error> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().map(serde_json::from_value).collect(),
        single => Ok(vec![serde_json::from_value(single)?]),
    }
}

/// An object, treating `null` as the default value.
pub fn object_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(T::default()),
        other => serde_json::from_value(other).map_err(D::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Item {
        #[serde(default, rename = "N", deserialize_with = "opt_i64")]
        n: Option<i64>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Sample {
        #[serde(default, rename = "I", deserialize_with = "opt_i64")]
        i: Option<i64>,
        #[serde(default, rename = "B", deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, rename = "S", deserialize_with = "string")]
        s: String,
        #[serde(default, rename = "L", deserialize_with = "items")]
        l: Vec<Item>,
    }

    fn items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Item>, D::Error> {
        wrapped_list(d, "ItemVO")
    }

    fn parse(json: &str) -> Sample {
        serde_json::from_str(json).expect(json)
    }

    #[test]
    fn numbers_booleans_and_text_in_any_form() {
        let a = parse(r#"{"I":"42","B":"true","S":7,"L":{"ItemVO":[{"N":1},{"N":"2"}]}}"#);
        assert_eq!(a.i, Some(42));
        assert_eq!(a.b, Some(true));
        assert_eq!(a.s, "7");
        assert_eq!(a.l, vec![Item { n: Some(1) }, Item { n: Some(2) }]);

        let b = parse(r#"{"I":42.0,"B":0,"S":"x","L":[{"N":3}],"Unknown":{"deep":[1]}}"#);
        assert_eq!((b.i, b.b, b.s.as_str()), (Some(42), Some(false), "x"));
        assert_eq!(b.l, vec![Item { n: Some(3) }]);

        let c = parse(r#"{"I":null,"B":"FALSE","L":{"ItemVO":{"N":9}}}"#);
        assert_eq!((c.i, c.b, c.s.as_str()), (None, Some(false), ""));
        assert_eq!(c.l, vec![Item { n: Some(9) }]);

        let d = parse(r#"{"I":"abc","B":"maybe","L":{}}"#);
        assert_eq!((d.i, d.b), (None, None));
        assert!(d.l.is_empty());

        let e = parse("{}");
        assert_eq!((e.i, e.b), (None, None));
        assert!(e.l.is_empty());
    }

    #[test]
    fn big_integers_survive() {
        let a = parse(r#"{"I":1700000000123}"#);
        assert_eq!(a.i, Some(1_700_000_000_123));
        let b = parse(r#"{"I":"1700000000123"}"#);
        assert_eq!(b.i, Some(1_700_000_000_123));
    }
}
