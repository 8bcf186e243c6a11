//! Tag actions: TagResources, UntagResources, ListTagResources; and the tags CreateTopic
//! and CreateConsumerGroup take. Limits as the SDK documents them: at most 20 tags on a
//! resource and in a request; keys 1-128 characters, values 0-128, neither starting with
//! `aliyun` or `acs:` nor containing `http://` or `https://`. Resource IDs: an instance is
//! its ID; a topic or group `Kafka_<instanceId>_<name>`.

use std::collections::HashSet;
use std::sync::Arc;

use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::{groups, tags, topics};

type Fields = Vec<(&'static str, Node)>;

pub const INSTANCE: &str = "INSTANCE";
pub const TOPIC: &str = "TOPIC";
pub const CONSUMERGROUP: &str = "CONSUMERGROUP";

/// Tags on one resource, and `Tag.N` / `TagKey.N` in one request.
const MAX_TAGS: usize = 20;
const MAX_TAG_LEN: usize = 128;
/// `ResourceId.N` in one request (unconfirmed: the SDK documents no limit; Alibaba
/// Cloud's tag APIs elsewhere take 50).
const MAX_RESOURCE_IDS: usize = 50;
/// (resource, tag) pairs per ListTagResources page (unconfirmed, as above).
const PAGE_SIZE: usize = 50;
const NEXT_TOKEN_PREFIX: &str = "emu-next-";

fn number_exceeded(what: &str, limit: usize) -> ApiError {
    let code = if what == "Tags" {
        "NumberExceed.Tags"
    } else {
        "NumberExceed.ResourceIds"
    };
    ApiError::new(
        code,
        400,
        format!("The maximum number of {what} is exceeded: at most {limit}."),
    )
}

/// Why a key or value is refused, if it is.
fn tag_text_problem(text: &str, is_key: bool) -> Option<&'static str> {
    let len = text.chars().count();
    if is_key && len == 0 {
        return Some("it must not be empty");
    }
    if len > MAX_TAG_LEN {
        return Some("it must be at most 128 characters");
    }
    if ["aliyun", "acs:"].iter().any(|p| text.starts_with(p)) {
        return Some("it must not start with \"aliyun\" or \"acs:\"");
    }
    if ["http://", "https://"].iter().any(|p| text.contains(p)) {
        return Some("it must not contain \"http://\" or \"https://\"");
    }
    None
}

fn check_tag_text(name: &str, text: &str, is_key: bool) -> Result<(), ApiError> {
    match tag_text_problem(text, is_key) {
        None => Ok(()),
        Some(why) => {
            let code = if is_key {
                "InvalidTagKey.Malformed"
            } else {
                "InvalidTagValue.Malformed"
            };
            Err(ApiError::new(
                code,
                400,
                format!("The specified parameter {name} is not valid: {why}."),
            ))
        }
    }
}

/// The distinct indexes of a flattened list (`Tag.1.Key` and `Tag.1.Value` are one).
fn indexes(p: &Params<'_>, name: &str) -> Result<Vec<u32>, ApiError> {
    let mut out: Vec<u32> = p.indexed(name)?.into_iter().map(|(n, _)| n).collect();
    out.dedup();
    Ok(out)
}

/// `Tag.N.Key` / `Tag.N.Value`: validated (key, value) pairs, request order.
pub fn tags_param(p: &Params<'_>) -> Result<Vec<(String, String)>, ApiError> {
    tag_pairs(p, true)
}

/// `strict`: every rule applies (writes); a filter may leave values empty and is not held
/// to the prefix rules, since it only matches.
fn tag_pairs(p: &Params<'_>, strict: bool) -> Result<Vec<(String, String)>, ApiError> {
    let numbers = indexes(p, "Tag")?;
    if numbers.len() > MAX_TAGS {
        return Err(number_exceeded("Tags", MAX_TAGS));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for n in numbers {
        let key_name = format!("Tag.{n}.Key");
        let value_name = format!("Tag.{n}.Value");
        let key = p
            .optional(&key_name)
            .ok_or_else(|| ApiError::missing_parameter(&key_name))?;
        let value = p.raw(&value_name).unwrap_or("");
        if strict {
            check_tag_text(&key_name, key, true)?;
            check_tag_text(&value_name, value, false)?;
        }
        if !seen.insert(key.to_owned()) {
            return Err(ApiError::new(
                "InvalidParameter",
                400,
                format!("The tag key {key:?} is given more than once."),
            ));
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// `Tags: {TagVO: [{Key, Value}]}` as topics, groups and instances answer them.
pub fn tag_list_node(tags: tags::Tags) -> Node {
    let items = tags
        .into_iter()
        .map(|(k, v)| Node::Obj(vec![("Key", Node::Str(k)), ("Value", Node::Str(v))]))
        .collect();
    Node::Obj(vec![("TagVO", Node::List(items))])
}

/// `ResourceType`, any case.
fn resource_type(p: &Params<'_>) -> Result<&'static str, ApiError> {
    let raw = p.required("ResourceType")?;
    [INSTANCE, TOPIC, CONSUMERGROUP]
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(raw))
        .ok_or_else(|| ApiError::invalid_parameter("ResourceType"))
}

/// How ListTagResources answers a type.
fn answered_type(kind: &str) -> &'static str {
    match kind {
        INSTANCE => "Instance",
        TOPIC => "Topic",
        _ => "Consumergroup",
    }
}

/// One resource named by a resource ID.
#[derive(Debug, Clone)]
struct Resource {
    id: String,
    instance_id: String,
    /// Empty for an instance.
    name: String,
}

/// The caller's resource a resource ID names in `region`, if any.
fn resolve(app: &App, caller: &str, region: &str, kind: &str, id: &str) -> Option<Resource> {
    let owned =
        |i: &&crate::emulator::state::Instance| i.config.account == caller && i.region() == region;
    if kind == INSTANCE {
        return app.instance(id).filter(owned).map(|i| Resource {
            id: id.to_owned(),
            instance_id: i.id().to_owned(),
            name: String::new(),
        });
    }
    let rest = id.strip_prefix("Kafka_")?;
    app.instances.iter().filter(owned).find_map(|i| {
        let name = rest.strip_prefix(i.id())?.strip_prefix('_')?;
        (!name.is_empty()).then(|| Resource {
            id: id.to_owned(),
            instance_id: i.id().to_owned(),
            name: name.to_owned(),
        })
    })
}

fn resource_ids(p: &Params<'_>, required: bool) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = p
        .indexed("ResourceId")?
        .into_iter()
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if required && ids.is_empty() {
        return Err(ApiError::missing_parameter("ResourceId.1"));
    }
    if ids.len() > MAX_RESOURCE_IDS {
        return Err(number_exceeded("ResourceIds", MAX_RESOURCE_IDS));
    }
    Ok(ids)
}

/// Every named resource, which must exist (not deleted): the error names the first that
/// does not.
fn resolve_all(
    app: &App,
    caller: &str,
    region: &str,
    kind: &str,
    ids: &[String],
) -> Result<Vec<Resource>, ApiError> {
    ids.iter()
        .map(|id| {
            resolve(app, caller, region, kind, id).ok_or_else(|| match kind {
                INSTANCE => ApiError::instance_not_found(id),
                TOPIC => ApiError::topic_not_found(id),
                _ => ApiError::subscription_not_found(id),
            })
        })
        .collect()
}

fn exists(
    conn: &rusqlite::Connection,
    kind: &str,
    r: &Resource,
    now: i64,
) -> Result<bool, ApiError> {
    Ok(match kind {
        INSTANCE => true,
        TOPIC => topics::find(conn, &r.instance_id, &r.name, now)?.is_some_and(|t| !t.is_deleted()),
        _ => groups::find(conn, &r.instance_id, &r.name, now)?.is_some_and(|g| !g.is_deleted()),
    })
}

fn require_existing(
    conn: &rusqlite::Connection,
    kind: &'static str,
    resources: &[Resource],
    now: i64,
) -> Result<(), ApiError> {
    for r in resources {
        if !exists(conn, kind, r, now)? {
            return Err(match kind {
                TOPIC => ApiError::topic_not_found(&r.name),
                _ => ApiError::subscription_not_found(&r.name),
            });
        }
    }
    Ok(())
}

pub async fn tag(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let region = p.required("RegionId")?.to_owned();
    let kind = resource_type(p)?;
    let ids = resource_ids(p, true)?;
    let new_tags = tags_param(p)?;
    if new_tags.is_empty() {
        return Err(ApiError::missing_parameter("Tag.1.Key"));
    }
    if let Some(instance_id) = p.optional("InstanceId") {
        app.resolve_instance(caller, instance_id, Some(&region))?;
    }
    let resources = resolve_all(app, caller, &region, kind, &ids)?;
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            require_existing(&tx, kind, &resources, now)?;
            // All or nothing: every resource must stay within the limit.
            for r in &resources {
                let current = tags::of(&tx, &r.instance_id, kind, &r.name)?;
                let added = new_tags
                    .iter()
                    .filter(|(k, _)| !current.iter().any(|(c, _)| c == k))
                    .count();
                if current.len() + added > MAX_TAGS {
                    return Err(number_exceeded("Tags", MAX_TAGS));
                }
            }
            for r in &resources {
                tags::set(&tx, &r.instance_id, kind, &r.name, &new_tags)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

pub async fn untag(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let region = p.required("RegionId")?.to_owned();
    let kind = resource_type(p)?;
    let ids = resource_ids(p, true)?;
    let keys: Vec<String> = p
        .indexed("TagKey")?
        .into_iter()
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if keys.len() > MAX_TAGS {
        return Err(number_exceeded("Tags", MAX_TAGS));
    }
    // `All` applies only when no key is given; neither removes nothing.
    let all = keys.is_empty() && p.optional_bool("All")?.unwrap_or(false);
    let resources = resolve_all(app, caller, &region, kind, &ids)?;
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            require_existing(&tx, kind, &resources, now)?;
            for r in &resources {
                if all {
                    tags::remove(&tx, &r.instance_id, kind, &r.name, None)?;
                } else if !keys.is_empty() {
                    tags::remove(&tx, &r.instance_id, kind, &r.name, Some(&keys))?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

pub async fn list(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let region = p.required("RegionId")?.to_owned();
    let kind = resource_type(p)?;
    let ids = resource_ids(p, false)?;
    let filter = tag_pairs(p, false)?;
    if ids.is_empty() && filter.is_empty() {
        return Err(ApiError::missing_parameter("ResourceId.1"));
    }
    let offset = match p.optional("NextToken") {
        None => 0,
        Some(token) => token
            .strip_prefix(NEXT_TOKEN_PREFIX)
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::invalid_parameter("NextToken"))?,
    };
    // Named resources that do not resolve simply have no tags; without names, every
    // resource of the type in the caller's instances of the region.
    let named: Option<Vec<Resource>> = (!ids.is_empty()).then(|| {
        ids.iter()
            .filter_map(|id| resolve(app, caller, &region, kind, id))
            .collect()
    });
    let instances: Vec<String> = app
        .instances
        .iter()
        .filter(|i| i.config.account == caller && i.region() == region)
        .map(|i| i.id().to_owned())
        .collect();
    let pairs = app
        .db
        .run(move |conn| {
            let now = now_ms();
            let candidates = match named {
                Some(named) => named,
                None => every_resource(conn, kind, &instances, now)?,
            };
            let mut pairs = Vec::new();
            for r in candidates {
                if !exists(conn, kind, &r, now)? {
                    continue;
                }
                let tags = tags::of(conn, &r.instance_id, kind, &r.name)?;
                let matches = filter.iter().all(|(k, v)| {
                    tags.iter()
                        .any(|(tk, tv)| tk == k && (v.is_empty() || tv == v))
                });
                if matches {
                    pairs.extend(tags.into_iter().map(|(k, v)| (r.id.clone(), k, v)));
                }
            }
            Ok(pairs)
        })
        .await?;
    let next = (offset + PAGE_SIZE < pairs.len())
        .then(|| format!("{NEXT_TOKEN_PREFIX}{}", offset + PAGE_SIZE));
    let items = pairs
        .into_iter()
        .skip(offset)
        .take(PAGE_SIZE)
        .map(|(id, key, value)| {
            Node::Obj(vec![
                ("ResourceId", Node::Str(id)),
                ("ResourceType", Node::str(answered_type(kind))),
                ("TagKey", Node::Str(key)),
                ("TagValue", Node::Str(value)),
            ])
        })
        .collect();
    let mut fields = vec![(
        "TagResources",
        Node::Obj(vec![("TagResource", Node::List(items))]),
    )];
    if let Some(next) = next {
        fields.insert(0, ("NextToken", Node::Str(next)));
    }
    Ok(fields)
}

fn every_resource(
    conn: &rusqlite::Connection,
    kind: &str,
    instances: &[String],
    now: i64,
) -> Result<Vec<Resource>, ApiError> {
    let mut out = Vec::new();
    for instance_id in instances {
        let names: Vec<String> = match kind {
            INSTANCE => vec![String::new()],
            TOPIC => topics::list_all(conn, instance_id, now)?
                .into_iter()
                .map(|t| t.topic)
                .collect(),
            _ => groups::list_all(conn, instance_id, now)?
                .into_iter()
                .map(|g| g.consumer_id)
                .collect(),
        };
        out.extend(names.into_iter().map(|name| Resource {
            id: if kind == INSTANCE {
                instance_id.clone()
            } else {
                format!("Kafka_{instance_id}_{name}")
            },
            instance_id: instance_id.clone(),
            name,
        }));
    }
    Ok(out)
}

/// The tags of an instance itself (GetInstanceList answers them).
pub fn instance_tags(
    conn: &rusqlite::Connection,
    instance_id: &str,
) -> Result<tags::Tags, ApiError> {
    Ok(tags::of(conn, instance_id, INSTANCE, "")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_text_rules() {
        assert_eq!(tag_text_problem("team", true), None);
        assert_eq!(tag_text_problem("", false), None, "values may be empty");
        assert!(tag_text_problem("", true).is_some());
        assert!(tag_text_problem(&"k".repeat(129), true).is_some());
        assert_eq!(
            tag_text_problem(&"é".repeat(128), true),
            None,
            "characters, not bytes"
        );
        for bad in ["aliyun-x", "acs:x", "see http://x", "https://x"] {
            assert!(tag_text_problem(bad, true).is_some(), "{bad}");
            assert!(tag_text_problem(bad, false).is_some(), "{bad}");
        }
        assert_eq!(
            tag_text_problem("x-aliyun", true),
            None,
            "only a prefix is reserved"
        );
    }
}
