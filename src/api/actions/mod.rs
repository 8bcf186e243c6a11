//! Typed actions: one request struct, one response struct and one client method each.
//!
//! Responses decode liberally (see [`super::lenient`]): missing optional fields, numbers
//! and booleans sent as strings, and unknown fields are all fine.

mod acl;
mod allowed_ip;
mod consumer_group;
mod instance;
mod sasl;
mod tag;
mod topic;

pub use acl::*;
pub use allowed_ip::*;
pub use consumer_group::*;
pub use instance::*;
pub use sasl::*;
pub use tag::*;
pub use topic::*;

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::lenient;

/// The developer guide's API version (the emulator still answers it).
pub const VERSION_2018_10_15: &str = "2018-10-15";
/// The version every action is sent with, as the service's current SDKs do.
pub const VERSION_2019_09_16: &str = "2019-09-16";

/// One business parameter: its name (static, or built for flattened lists such as
/// `Tag.1.Key`) and its value.
pub type Param = (Cow<'static, str>, String);

/// An API action: its name, version and business parameters. The client adds the common
/// parameters (including `RegionId`), signs and sends it.
pub trait Action {
    const NAME: &'static str;
    type Response: DeserializeOwned;

    /// The API version to send.
    fn version(&self) -> &'static str {
        VERSION_2019_09_16
    }

    /// The action's own parameters (not the common ones).
    fn params(&self) -> Vec<Param>;

    /// Parameter values that are secrets (a SASL password): the client removes them from
    /// any server text it quotes (a SignatureDoesNotMatch message echoes the whole
    /// string to sign).
    fn secret_values(&self) -> Vec<&str> {
        Vec::new()
    }

    /// Whether sending the call again after an attempt that may have been carried out is
    /// harmless. It is not for relative changes (ModifyPartitionNum adds partitions): the
    /// client then returns the uncertain error instead of retrying, and the caller looks.
    const REPEATABLE: bool = true;

    /// Whether answers carry secrets (DescribeSaslUsers returns passwords): the client
    /// then never quotes the answer's body in an error, even cut short.
    const ANSWER_HAS_SECRETS: bool = false;
}

/// The answer of actions that return nothing but the common fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EmptyResponse {
    #[serde(default, rename = "RequestId", deserialize_with = "lenient::string")]
    pub request_id: String,
}

/// One tag: a key and a (possibly empty) value.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct Tag {
    #[serde(default, rename = "Key", deserialize_with = "lenient::string")]
    pub key: String,
    #[serde(default, rename = "Value", deserialize_with = "lenient::string")]
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The documented tag limits (the same for every taggable resource and tag action).
pub mod tag_limits {
    /// Tags on one resource, and `Tag.N` / `TagKey.N` entries in one request.
    pub const MAX_TAGS: usize = 20;
    /// Characters of a key or a value.
    pub const MAX_LEN: usize = 128;
    /// Prefixes no key may start with.
    pub const RESERVED_PREFIXES: [&str; 2] = ["aliyun", "acs:"];
    /// Texts no key may contain.
    pub const FORBIDDEN_PARTS: [&str; 2] = ["http://", "https://"];
    /// `ResourceId.N` entries in one request (unconfirmed: the SDK documents no number;
    /// 50 is the limit of Alibaba Cloud's tag APIs elsewhere).
    pub const MAX_RESOURCE_IDS: usize = 50;
}

/// `Tags: {"TagVO": [{Key, Value}]}` as topics, groups and instances carry them.
fn tag_vo<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tag>, D::Error> {
    lenient::wrapped_list(d, "TagVO")
}

fn push_opt<T: ToString>(params: &mut Vec<Param>, name: &'static str, value: Option<T>) {
    if let Some(value) = value {
        params.push((Cow::Borrowed(name), value.to_string()));
    }
}

fn param(name: &'static str, value: impl Into<String>) -> Param {
    (Cow::Borrowed(name), value.into())
}

/// A repeated parameter flattened as the service takes it: `Name.1`, `Name.2`, ...
fn push_indexed<'a>(
    params: &mut Vec<Param>,
    name: &str,
    values: impl IntoIterator<Item = &'a String>,
) {
    for (i, value) in values.into_iter().enumerate() {
        params.push((Cow::Owned(format!("{name}.{}", i + 1)), value.clone()));
    }
}

/// Tags flattened as `Tag.N.Key` / `Tag.N.Value` (an empty value is still sent: the
/// service keeps empty values).
fn push_tags(params: &mut Vec<Param>, tags: &[Tag]) {
    for (i, tag) in tags.iter().enumerate() {
        params.push((Cow::Owned(format!("Tag.{}.Key", i + 1)), tag.key.clone()));
        params.push((
            Cow::Owned(format!("Tag.{}.Value", i + 1)),
            tag.value.clone(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_flattened_from_one() {
        let mut params = Vec::new();
        push_indexed(&mut params, "ResourceId", &["a".to_owned(), "b".to_owned()]);
        push_tags(
            &mut params,
            &[Tag::new("team", "pay"), Tag::new("empty", "")],
        );
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_ref()).collect();
        assert_eq!(
            names,
            [
                "ResourceId.1",
                "ResourceId.2",
                "Tag.1.Key",
                "Tag.1.Value",
                "Tag.2.Key",
                "Tag.2.Value"
            ]
        );
        assert_eq!(params[5].1, "", "empty values are sent");
    }

    #[test]
    fn tag_lists_decode_in_every_shape() {
        #[derive(Deserialize)]
        struct Holder {
            #[serde(default, rename = "Tags", deserialize_with = "tag_vo")]
            tags: Vec<Tag>,
        }
        for (body, expected) in [
            (
                r#"{"Tags":{"TagVO":[{"Key":"a","Value":"1"},{"Key":"b"}]}}"#,
                vec![Tag::new("a", "1"), Tag::new("b", "")],
            ),
            (
                r#"{"Tags":{"TagVO":{"Key":"a","Value":2}}}"#,
                vec![Tag::new("a", "2")],
            ),
            (r#"{"Tags":{}}"#, vec![]),
            (r#"{}"#, vec![]),
        ] {
            let holder: Holder = serde_json::from_str(body).expect(body);
            assert_eq!(holder.tags, expected, "{body}");
        }
    }
}
