//! Typed models: read config, plan or state values into plain serde structs, and turn
//! structs back into values of a schema's type.
//!
//! Reading: null and unknown become `None` for `Option` fields (a non-`Option` field that
//! is null is an error naming the attribute), objects fill structs by attribute name
//! (attributes the struct lacks are ignored), lists and sets fill `Vec`s, maps fill maps.
//! Writing: `Option::None` is null; object attributes the struct lacks are null.

use std::collections::btree_map;
use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::Serialize;

use crate::tfplugin::cty::json::{self, JsonOptions};
use crate::tfplugin::cty::{Number, PathStep, Type, Value, ValueError};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::Schema;

/// Reads a value into a model.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, ValueError> {
    T::deserialize(ValueDeserializer(value))
}

/// Turns a model into a value of type `ty`, checking it fits.
pub fn to_value<T: Serialize>(model: &T, ty: &Type) -> Result<Value, ValueError> {
    let json = serde_json::to_value(model).map_err(|e| ValueError::new(e.to_string()))?;
    json::decode(&json, ty, JsonOptions::default())
}

/// [`from_value`] with the error as a diagnostic (a provider bug: the model and the
/// schema disagree).
pub fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, Diagnostics> {
    from_value(value).map_err(|e| model_error("read", e))
}

/// [`to_value`] for a schema's object type, with the error as a diagnostic.
pub fn encode<T: Serialize>(model: &T, schema: &Schema) -> Result<Value, Diagnostics> {
    to_value(model, &schema.value_type()).map_err(|e| model_error("write", e))
}

fn model_error(direction: &str, e: ValueError) -> Diagnostics {
    let mut d = Diagnostic::error(
        "Internal provider error (this is a bug)",
        format!("could not {direction} the resource model: {}", e.message),
    );
    if !e.path.is_root() {
        d = d.at(e.path);
    }
    d.into()
}

impl de::Error for ValueError {
    fn custom<M: fmt::Display>(msg: M) -> ValueError {
        ValueError::new(msg.to_string())
    }

    // The defaults print the offending value; values may be secrets, so name only its kind.
    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> ValueError {
        ValueError::new(format!(
            "{} value where {expected} is required",
            unexpected_kind(&unexpected)
        ))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> ValueError {
        ValueError::new(format!(
            "invalid {} value, expected {expected}",
            unexpected_kind(&unexpected)
        ))
    }
}

fn unexpected_kind(unexpected: &de::Unexpected<'_>) -> &'static str {
    use de::Unexpected::*;
    match unexpected {
        Bool(_) => "bool",
        Unsigned(_) | Signed(_) => "whole number",
        Float(_) => "fractional number",
        Char(_) | Str(_) => "string",
        Bytes(_) => "bytes",
        Unit | Option => "null",
        NewtypeStruct => "object",
        Seq => "list",
        Map => "map",
        Enum | UnitVariant | NewtypeVariant | TupleVariant | StructVariant => "enum",
        Other(_) => "other",
    }
}

struct ValueDeserializer<'a>(&'a Value);

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Unknown => Err(ValueError::new(
                "value is not known yet (known only after apply)",
            )),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(Number::Int(i)) => visitor.visit_i64(*i),
            Value::Number(Number::Float(f)) => visitor.visit_f64(*f),
            Value::Number(n @ Number::Decimal(text)) => match text.parse::<u64>() {
                Ok(u) => visitor.visit_u64(u),
                Err(_) => visitor.visit_f64(n.as_f64()),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                visitor.visit_seq(SeqAccess {
                    items: items.iter().enumerate(),
                })
            }
            Value::Map(entries) => visitor.visit_map(MapAccess {
                entries: entries.iter(),
                pending: None,
                object: false,
            }),
            Value::Object(attrs) => visitor.visit_map(MapAccess {
                entries: attrs.iter(),
                pending: None,
                object: true,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null | Value::Unknown => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            // Unit variants from strings, e.g. a "mode" attribute into an enum.
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => Err(ValueError::new(format!(
                "{} value where a string is required",
                other.kind_name()
            ))),
        }
    }

    /// Attributes a model does not have are skipped unread, whatever they hold (an
    /// unknown computed value in a plan must not fail the model).
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct SeqAccess<'de> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = ValueError;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, ValueError> {
        match self.items.next() {
            None => Ok(None),
            Some((i, item)) => seed
                .deserialize(ValueDeserializer(item))
                .map(Some)
                .map_err(|e| e.within(PathStep::ElementKeyInt(i as i64))),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'de> {
    entries: btree_map::Iter<'de, String, Value>,
    pending: Option<(&'de String, &'de Value)>,
    object: bool,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = ValueError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        match self.entries.next() {
            None => Ok(None),
            Some((key, value)) => {
                self.pending = Some((key, value));
                let key: de::value::BorrowedStrDeserializer<'de, ValueError> =
                    de::value::BorrowedStrDeserializer::new(key);
                seed.deserialize(key).map(Some)
            }
        }
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, ValueError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(ValueError::new("map value requested before its key"));
        };
        let step = if self.object {
            PathStep::Attribute(key.clone())
        } else {
            PathStep::ElementKeyString(key.clone())
        };
        seed.deserialize(ValueDeserializer(value))
            .map_err(|e| e.within(step))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::cty::AttributePath;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Topic {
        id: Option<String>,
        topic: String,
        partition_num: u32,
        compact: Option<bool>,
        ratio: Option<f64>,
        tags: Option<BTreeMap<String, String>>,
        rules: Vec<Rule>,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Rule {
        name: String,
        #[serde(default)]
        mode: Mode,
    }

    #[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        #[default]
        Fast,
        Safe,
    }

    fn topic_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("topic", Type::String),
            ("partition_num", Type::Number),
            ("compact", Type::Bool),
            ("ratio", Type::Number),
            ("tags", Type::map(Type::String)),
            (
                "rules",
                Type::list(Type::object([
                    ("name", Type::String),
                    ("mode", Type::String),
                ])),
            ),
            ("timeouts", Type::object([("create", Type::String)])),
        ])
    }

    #[test]
    fn reads_values_into_structs() {
        let v = Value::object([
            ("id", Value::Unknown),
            ("topic", "t1".into()),
            ("partition_num", 12.into()),
            ("compact", Value::Null),
            ("ratio", Value::Number(Number::Float(0.5))),
            ("tags", Value::Map([("a".to_owned(), "b".into())].into())),
            (
                "rules",
                Value::List(vec![Value::object([
                    ("name", "r".into()),
                    ("mode", "safe".into()),
                ])]),
            ),
            ("timeouts", Value::Null),
        ]);
        let topic: Topic = from_value(&v).unwrap();
        assert_eq!(topic.id, None);
        // Attributes the model lacks are skipped, even unknown ones.
        let mut with_unknown_extra = v.clone();
        with_unknown_extra.set_attr("not_in_model", Value::Unknown);
        assert_eq!(
            from_value::<Topic>(&with_unknown_extra).unwrap().topic,
            "t1"
        );
        assert_eq!(topic.topic, "t1");
        assert_eq!(topic.partition_num, 12);
        assert_eq!(topic.ratio, Some(0.5));
        assert_eq!(topic.rules[0].mode, Mode::Safe);
        assert_eq!(topic.tags.unwrap()["a"], "b");
    }

    #[test]
    fn errors_name_the_attribute_and_hide_the_value() {
        let v = Value::object([
            ("topic", "t1".into()),
            ("partition_num", "secret-text".into()),
            ("rules", Value::List(vec![])),
        ]);
        let err = from_value::<Topic>(&v).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("partition_num"));
        assert!(!err.to_string().contains("secret-text"), "{err}");
        let negative = Value::object([
            ("topic", "t1".into()),
            ("partition_num", (-1).into()),
            ("rules", Value::List(vec![])),
        ]);
        assert!(from_value::<Topic>(&negative).is_err());
        let null_required = Value::object([("topic", Value::Null)]);
        let err = from_value::<Topic>(&null_required).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("topic"));
        let nested = Value::object([
            ("topic", "t".into()),
            ("partition_num", 1.into()),
            (
                "rules",
                Value::List(vec![Value::object([("name", 5.into())])]),
            ),
        ]);
        let err = from_value::<Topic>(&nested).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attr("rules").index(0).attribute("name")
        );
    }

    #[test]
    fn writes_structs_as_values_of_the_type() {
        let topic = Topic {
            id: Some("i-1".into()),
            topic: "t1".into(),
            partition_num: 3,
            compact: None,
            ratio: Some(1.5),
            tags: None,
            rules: vec![Rule {
                name: "r".into(),
                mode: Mode::Fast,
            }],
        };
        let v = to_value(&topic, &topic_type()).unwrap();
        assert_eq!(v.attr("partition_num"), &Value::from(3));
        assert!(v.attr("compact").is_null());
        assert!(
            v.attr("timeouts").is_null(),
            "attributes the model lacks are null"
        );
        assert_eq!(
            v.at(&AttributePath::attr("rules").index(0).attribute("mode")),
            &Value::from("fast")
        );
        let back: Topic = from_value(&v).unwrap();
        assert_eq!(back, topic);
        let err = to_value(&topic, &Type::object([("topic", Type::String)])).unwrap_err();
        assert!(err.message.contains("unsupported attribute"));
    }
}
