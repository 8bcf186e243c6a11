//! Tags of every taggable resource: `tags` (the resource's own), `tags_all` (those merged
//! with the provider's `default_tags`, a resource's own tag winning), and the provider's
//! `ignore_tags` (keys set by other systems, never read nor removed).
//!
//! The service lists each object's tags with the object (GetTopicList and GetConsumerList
//! answer `Tags`), so reading tags costs no call beyond the shared list; changing them is
//! TagResources for added or changed keys and UntagResources for removed ones, as steps of
//! the resource's in-place update.

use std::collections::BTreeMap;

use super::lifecycle::{Listed, Update};
use crate::api::tag_limits::{FORBIDDEN_PARTS, MAX_LEN, MAX_TAGS, RESERVED_PREFIXES};
use crate::api::{
    AllowedIpEntry, ConsumerInfo, ResourceType, SaslUser, Tag, TagResourcesRequest, TopicInfo,
    UntagResourcesRequest,
};
use crate::tfplugin::cty::{AttributePath, Type, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{ApplyError, Plan};
use crate::tfplugin::schema::Attribute;

pub type TagMap = BTreeMap<String, String>;

/// The provider's `default_tags` and `ignore_tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagPolicy {
    pub default_tags: TagMap,
    pub ignore_keys: Vec<String>,
    pub ignore_key_prefixes: Vec<String>,
}

impl TagPolicy {
    /// Whether tags of this key belong to other systems.
    pub fn ignores(&self, key: &str) -> bool {
        self.ignore_keys.iter().any(|k| k == key)
            || self.ignore_key_prefixes.iter().any(|p| key.starts_with(p))
    }

    /// What the object should carry: the defaults, then the resource's own tags.
    pub fn merged(&self, own: &TagMap) -> TagMap {
        let mut all = self.default_tags.clone();
        all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        all
    }

    /// `tags` and `tags_all` of an object carrying `listed`: ignored keys left out, and
    /// `tags` without the defaults it carries unchanged (they belong to `default_tags`).
    pub fn read(&self, listed: &[Tag]) -> (TagMap, TagMap) {
        let all: TagMap = listed
            .iter()
            .filter(|t| !self.ignores(&t.key))
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        let own = all
            .iter()
            .filter(|(k, v)| self.default_tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (own, all)
    }
}

/// `tags` and `tags_all` of an object carrying `listed`. Each keeps `base`'s null when
/// empty (objects created, or states written, before tags: no change to show).
pub fn state(policy: &TagPolicy, base: &Value, listed: &[Tag]) -> [(&'static str, Value); 2] {
    let (own, all) = policy.read(listed);
    let or_null = |tags: &TagMap, name: &str| {
        if tags.is_empty() && base.attr(name).is_null() {
            Value::Null
        } else {
            to_value(tags)
        }
    };
    [
        ("tags", or_null(&own, "tags")),
        ("tags_all", or_null(&all, "tags_all")),
    ]
}

/// `tags` and `tags_all`.
pub fn attributes(noun: &str) -> [Attribute; 2] {
    [
        Attribute::new("tags", Type::map(Type::String))
            .optional()
            .markdown_description(format!(
                "Tags of the {noun}, merged over the provider's `default_tags` (a key set here \
                 wins). At most {MAX_TAGS} tags in all; keys and values at most {MAX_LEN} \
                 characters; keys may not start with `aliyun` or `acs:` nor contain `http://` \
                 or `https://` (checked at plan time). Changed in place (`TagResources`, \
                 `UntagResources`)."
            )),
        Attribute::new("tags_all", Type::map(Type::String))
            .computed()
            .markdown_description(format!(
                "Every tag of the {noun}: `tags` merged over the provider's `default_tags`, \
                 without the keys of `ignore_tags`."
            )),
    ]
}

/// A map attribute of strings as a map; `None` when null or not wholly known.
pub fn map_of(value: &Value) -> Option<TagMap> {
    match value {
        Value::Null => Some(TagMap::new()),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => None,
    }
}

/// Listed tags as a map.
pub fn tag_map(listed: &[Tag]) -> TagMap {
    listed
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

pub fn to_value(tags: &TagMap) -> Value {
    Value::Map(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// Plan-time checks of the resource's own tags: each key and value as the service takes
/// them, with the tag's path.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let Value::Map(entries) = config.attr("tags") else {
        return diagnostics;
    };
    for (key, value) in entries {
        let path = AttributePath::attr("tags").key(key.as_str());
        let problem = if key.is_empty() {
            Some("a tag key must not be empty".to_string())
        } else if key.chars().count() > MAX_LEN {
            Some(format!("a tag key has at most {MAX_LEN} characters"))
        } else if let Some(p) = RESERVED_PREFIXES.iter().find(|p| key.starts_with(*p)) {
            Some(format!(
                "tag keys starting with {p:?} are reserved for Alibaba Cloud"
            ))
        } else if let Some(part) = FORBIDDEN_PARTS.iter().find(|p| key.contains(*p)) {
            Some(format!("a tag key must not contain {part:?}"))
        } else if value.as_str().is_some_and(|v| v.chars().count() > MAX_LEN) {
            Some(format!("a tag value has at most {MAX_LEN} characters"))
        } else {
            None
        };
        if let Some(problem) = problem {
            diagnostics.push(
                Diagnostic::error("Invalid tag", format!("The tag {key:?}: {problem}.")).at(path),
            );
        }
    }
    diagnostics
}

/// Plans `tags_all`: the merge of the defaults and the configured tags (unknown while
/// either is not known; null when empty and `prior` had none), at most [`MAX_TAGS`].
pub fn plan(policy: Option<&TagPolicy>, prior: &Value, plan: &mut Plan) -> Result<(), Diagnostics> {
    let planned = &mut plan.planned_state;
    let merged = match (policy, map_of(planned.attr("tags"))) {
        (Some(policy), Some(own)) => policy.merged(&own),
        _ => {
            planned.set_attr("tags_all", Value::Unknown);
            return Ok(());
        }
    };
    if merged.len() > MAX_TAGS {
        return Err(Diagnostic::error(
            format!("Too many tags: {} (at most {MAX_TAGS})", merged.len()),
            format!(
                "The service keeps at most {MAX_TAGS} tags on a topic or group; with the \
                 provider's default_tags merged in, this resource would carry {}: {}.",
                merged.len(),
                merged.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
        .at(AttributePath::attr("tags"))
        .into());
    }
    let none_before = prior.is_null() || prior.attr("tags_all").is_null();
    let all = if merged.is_empty() && none_before {
        Value::Null
    } else {
        to_value(&merged)
    };
    planned.set_attr("tags_all", all);
    Ok(())
}

/// The object's tags as the service should hold them after a create: every planned tag.
pub fn planned_tags(planned: &Value) -> Vec<Tag> {
    map_of(planned.attr("tags_all"))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| Tag::new(k, v))
        .collect()
}

/// Whether the listed tags show every planned one (ignored keys aside); otherwise what
/// they show.
pub fn shows(policy: &TagPolicy, planned: &Value, listed: &[Tag]) -> Result<(), String> {
    let wanted = map_of(planned.attr("tags_all")).unwrap_or_default();
    let (_, all) = policy.read(listed);
    let wanted: TagMap = wanted
        .into_iter()
        .filter(|(k, _)| !policy.ignores(k))
        .collect();
    if all == wanted {
        Ok(())
    } else {
        Err(format!("tags {all:?}"))
    }
}

/// Brings the object's tags from the prior `tags_all` to the planned one, as steps of
/// `update`: one TagResources for the keys added or changed, one UntagResources for the
/// keys removed (the service takes at most [`MAX_TAGS`] of either per call).
pub async fn apply<L: Listed>(
    update: &mut Update<'_, L>,
    resource_type: ResourceType,
    resource_id: String,
    from: &Value,
    to: &Value,
) -> Result<(), ApplyError> {
    let (Some(from), Some(to)) = (map_of(from), map_of(to)) else {
        return Ok(());
    };
    let instance_id = Some(update.key().instance_id.clone());
    let mut reached = from.clone();
    let changed: Vec<Tag> = to
        .iter()
        .filter(|(k, v)| from.get(*k) != Some(*v))
        .map(|(k, v)| Tag::new(k.as_str(), v.as_str()))
        .collect();
    for batch in changed.chunks(MAX_TAGS) {
        let request = TagResourcesRequest {
            resource_type,
            resource_ids: vec![resource_id.clone()],
            tags: batch.to_vec(),
            instance_id: instance_id.clone(),
        };
        reached.extend(batch.iter().map(|t| (t.key.clone(), t.value.clone())));
        let failure = format!("Cannot tag {}", update.describe());
        update
            .write(&request, &failure, "tags_all", to_value(&reached))
            .await?;
    }
    let removed: Vec<String> = from
        .keys()
        .filter(|k| !to.contains_key(*k))
        .cloned()
        .collect();
    for batch in removed.chunks(MAX_TAGS) {
        let request = UntagResourcesRequest {
            resource_type,
            resource_ids: vec![resource_id.clone()],
            tag_keys: batch.to_vec(),
            all: false,
        };
        for key in batch {
            reached.remove(key);
        }
        let failure = format!("Cannot remove tags from {}", update.describe());
        update
            .write(&request, &failure, "tags_all", to_value(&reached))
            .await?;
    }
    Ok(())
}

/// What a listed object carries in tags, for filters by tag (data sources and list
/// resources alike).
pub trait Tagged {
    /// Whether the kind takes tags at all (its data source then has a `tags` filter).
    const TAGGABLE: bool = true;
    fn tags(&self) -> &[Tag];
}

/// SASL users and allowlist entries take no tags.
impl Tagged for SaslUser {
    const TAGGABLE: bool = false;
    fn tags(&self) -> &[Tag] {
        &[]
    }
}

impl Tagged for TopicInfo {
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

impl Tagged for ConsumerInfo {
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

impl Tagged for AllowedIpEntry {
    const TAGGABLE: bool = false;
    fn tags(&self) -> &[Tag] {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> TagMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn own_tags_win_over_defaults_and_ignored_keys_are_never_read() {
        let policy = TagPolicy {
            default_tags: map(&[("team", "platform"), ("env", "prod")]),
            ignore_keys: vec!["owner".into()],
            ignore_key_prefixes: vec!["ack.".into()],
        };
        let merged = policy.merged(&map(&[("env", "staging"), ("app", "web")]));
        assert_eq!(
            merged,
            map(&[("team", "platform"), ("env", "staging"), ("app", "web")])
        );
        let listed = [
            Tag::new("team", "platform"),
            Tag::new("env", "staging"),
            Tag::new("owner", "someone"),
            Tag::new("ack.cluster", "c1"),
        ];
        let (own, all) = policy.read(&listed);
        assert_eq!(own, map(&[("env", "staging")]));
        assert_eq!(all, map(&[("team", "platform"), ("env", "staging")]));
    }

    #[test]
    fn tag_rules_are_checked_with_the_tags_path() {
        let config = Value::object([(
            "tags",
            Value::Map(
                [
                    ("aliyun:x".to_string(), Value::from("v")),
                    ("ok".to_string(), Value::from("v")),
                    ("see https://x".to_string(), Value::from("v")),
                    ("long".to_string(), Value::from("v".repeat(129))),
                ]
                .into_iter()
                .collect(),
            ),
        )]);
        let d = validate(&config);
        let paths: Vec<_> = d.iter().filter_map(|d| d.attribute.clone()).collect();
        assert_eq!(paths.len(), 3, "{d}");
        assert!(paths.contains(&AttributePath::attr("tags").key("aliyun:x")));
        assert!(d.to_string().contains("reserved"), "{d}");
    }
}
