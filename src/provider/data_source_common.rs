//! What the issue-9 data sources share: the `ids` / `name_regex` filters of the list data
//! sources with their plan-time validation, the attributes they declare alike, and how a
//! failed read names the object the service did not find.

use regex::Regex;
use serde::Deserialize;

use super::diag;
use super::support;
use super::tags::{TagMap, Tagged};
use crate::api::{ApiError, Tag};
use crate::tfplugin::cty::{AttributePath, Type, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::Attribute;

/// Validator: `name_regex` compiles. Runs at validate/plan time, so Terraform points at the
/// attribute in the configuration.
pub fn valid_regex(value: &Value) -> Result<(), String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("expected a string, got a {}", value.kind_name()))?;
    compile(text).map(|_| ())
}

fn compile(text: &str) -> Result<Regex, String> {
    Regex::new(text).map_err(|e| {
        format!(
            "is not a valid regular expression: {}",
            one_line(&e.to_string())
        )
    })
}

/// The configured `name_regex`, compiled. It was validated at plan time unless it was
/// unknown then: an invalid one is reported here, at its attribute.
pub fn name_regex(text: Option<&str>) -> Result<Option<Regex>, Diagnostic> {
    text.map(|text| {
        compile(text).map_err(|message| {
            Diagnostic::error(
                "Invalid attribute value",
                format!("Attribute name_regex {message}."),
            )
            .at(AttributePath::attr("name_regex"))
        })
    })
    .transpose()
}

/// regex's errors draw a caret under the pattern over several lines; Terraform wraps text.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The configuration of a list data source.
#[derive(Deserialize)]
struct ListConfig {
    instance_id: String,
    ids: Option<Vec<String>>,
    name_regex: Option<String>,
    tags: Option<TagMap>,
}

/// The instance a list data source reads and the filters its items must pass.
#[derive(Debug)]
pub struct NameFilter {
    pub instance_id: String,
    ids: Option<Vec<String>>,
    regex: Option<Regex>,
    /// Tags an item must carry, each with this value.
    tags: TagMap,
}

impl NameFilter {
    /// Reads `instance_id`, `ids` and `name_regex`. The regex was validated at plan time,
    /// unless it was unknown then: an invalid one is reported here, at its attribute.
    pub fn from_config(config: &Value) -> Result<NameFilter, Diagnostics> {
        let c: ListConfig = crate::tfplugin::framework::decode(config)?;
        let regex = name_regex(c.name_regex.as_deref())?;
        Ok(NameFilter {
            instance_id: c.instance_id,
            ids: c.ids,
            regex,
            tags: c.tags.unwrap_or_default(),
        })
    }

    /// Whether an item named `name` carrying `tags` passes the filters. An entry of `ids`
    /// matches by name or by the `<instance_id>:<name>` ID the data source itself outputs.
    pub fn keeps(&self, name: &str, tags: &[Tag]) -> bool {
        let tagged = self
            .tags
            .iter()
            .all(|(k, v)| tags.iter().any(|t| &t.key == k && &t.value == v));
        tagged && self.keeps_name(name)
    }

    fn keeps_name(&self, name: &str) -> bool {
        let wanted = |id: &String| {
            id == name
                || id
                    .split_once(':')
                    .is_some_and(|(instance, n)| instance == self.instance_id && n == name)
        };
        self.ids.as_ref().is_none_or(|ids| ids.iter().any(wanted))
            && self.regex.as_ref().is_none_or(|re| re.is_match(name))
    }

    /// `<instance_id>:<name>`.
    pub fn id_of(&self, name: &str) -> String {
        format!("{}:{name}", self.instance_id)
    }
}

/// The `ids` result: as configured when set (Terraform requires a configured value to be
/// kept), otherwise the IDs of what was found.
pub fn ids_output(config: &Value, found: impl Iterator<Item = String>) -> Value {
    match config.attr("ids") {
        configured @ Value::List(_) => configured.clone(),
        _ => strings(found),
    }
}

pub fn strings(items: impl Iterator<Item = String>) -> Value {
    Value::List(items.map(Value::from).collect())
}

/// The whole result of a list data source over an instance's items: the filters as
/// configured, then the IDs and names of the items `filter` keeps and, under `list`,
/// each of them as `item` renders it.
pub fn list_result<T: Tagged>(
    config: &Value,
    filter: &NameFilter,
    all: &[T],
    name_of: impl Fn(&T) -> &str,
    list: &str,
    item: impl Fn(&T) -> Value,
) -> Value {
    let found: Vec<&T> = all
        .iter()
        .filter(|x| filter.keeps(name_of(x), x.tags()))
        .collect();
    let mut result = vec![
        ("instance_id", config.attr("instance_id").clone()),
        ("name_regex", config.attr("name_regex").clone()),
        (
            "ids",
            ids_output(config, found.iter().map(|x| filter.id_of(name_of(x)))),
        ),
        (
            "names",
            strings(found.iter().map(|x| name_of(x).to_owned())),
        ),
        (list, Value::List(found.into_iter().map(item).collect())),
    ];
    if T::TAGGABLE {
        result.push(("tags", config.attr("tags").clone()));
    }
    Value::object(result)
}

/// The `instance_id` argument every issue-9 data source has.
pub fn instance_id_attribute(holds: &str) -> Attribute {
    Attribute::string("instance_id")
        .required()
        .validator(support::non_empty)
        .markdown_description(format!(
            "ID of the instance {holds}. The instance must be in the provider's region."
        ))
}

/// The `ids` and `name_regex` filters and the `names` result of a list data source.
/// `what` is the plural of the items (`topics`), `name` what they are called by (`name`,
/// `consumer ID`), `id_form` the form of their IDs (`<instance_id>:<topic>`).
pub fn filter_attributes(what: &str, name: &str, id_form: &str) -> Vec<Attribute> {
    vec![
        Attribute::new("ids", Type::list(Type::String))
            .optional()
            .computed()
            .markdown_description(format!(
                "Keep only the {what} with these {name}s (an `{id_form}` ID is accepted too). \
                 When set, the value stays as written; when not set, it holds the IDs \
                 (`{id_form}`) of every one found."
            )),
        Attribute::string("name_regex")
            .optional()
            .validator(valid_regex)
            .markdown_description(format!(
                "Keep only the {what} whose {name} matches this regular expression \
                 ([Rust `regex` syntax](https://docs.rs/regex/latest/regex/#syntax), \
                 unanchored). An invalid expression is an error at plan time."
            )),
        Attribute::new("names", Type::list(Type::String))
            .computed()
            .markdown_description(format!(
                "{} of the {what} found, in the order of the list.",
                capitalized(name)
            )),
    ]
}

/// The `tags` filter of a list data source whose items carry tags.
pub fn tags_filter_attribute(what: &str) -> Attribute {
    Attribute::new("tags", Type::map(Type::String))
        .optional()
        .markdown_description(format!(
            "Keep only the {what} that carry all these tags, each with the given value."
        ))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A failed read: `summary` names what was read; the detail carries the service's code,
/// message and RequestId. When the service did not find the instance, topic or group, the
/// error points at the attribute naming it (if the data source has it, per `attributes`).
pub fn read_error(
    summary: impl Into<String>,
    error: &ApiError,
    region: &str,
    attributes: &[&str],
) -> Diagnostics {
    let mut d = diag::api_error(summary, error);
    let blamed = blamed_attribute(error).filter(|a| attributes.contains(a));
    if let Some(attribute) = blamed {
        if attribute == "instance_id" {
            d.detail.push_str(&format!(
                "\n\nThe provider is configured for region {region}: an instance of another \
                 region, or of another account, is not found either."
            ));
        }
        d = d.at(AttributePath::attr(attribute));
    }
    d.into()
}

/// Which argument names the object a not-found error is about.
fn blamed_attribute(error: &ApiError) -> Option<&'static str> {
    if !error.is_not_found() {
        return None;
    }
    let code = error.code.to_ascii_uppercase();
    if diag::instance_not_found(error) {
        Some("instance_id")
    } else if code.contains("TOPIC") {
        Some("topic")
    } else if code.contains("SUBSCRIPTION") || code.contains("CONSUMER") || code.contains("GROUP") {
        Some("consumer_id")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ids: Option<&[&str]>, regex: Option<&str>) -> Value {
        Value::object([
            ("instance_id", Value::from("i-1")),
            (
                "ids",
                ids.map_or(Value::Null, |ids| {
                    Value::List(ids.iter().map(|i| Value::from(*i)).collect())
                }),
            ),
            ("name_regex", Value::from(regex)),
            ("names", Value::Null),
            ("tags", Value::Null),
        ])
    }

    #[test]
    fn filters_combine_and_accept_names_or_ids() {
        let all = NameFilter::from_config(&config(None, None)).unwrap();
        assert!(all.keeps("anything", &[]));
        let by_regex = NameFilter::from_config(&config(None, Some("^prod-"))).unwrap();
        assert!(by_regex.keeps("prod-orders", &[]));
        assert!(!by_regex.keeps("test-orders", &[]));
        let by_ids = NameFilter::from_config(&config(
            Some(&["orders", "i-1:payments", "i-2:refunds"]),
            None,
        ))
        .unwrap();
        assert!(by_ids.keeps("orders", &[]));
        assert!(by_ids.keeps("payments", &[]));
        assert!(!by_ids.keeps("refunds", &[]), "an ID of another instance");
        assert!(!by_ids.keeps("order", &[]));
        let both =
            NameFilter::from_config(&config(Some(&["prod-a", "test-b"]), Some("^prod-"))).unwrap();
        assert!(both.keeps("prod-a", &[]));
        assert!(!both.keeps("test-b", &[]));
        let none = NameFilter::from_config(&config(Some(&[]), None)).unwrap();
        assert!(!none.keeps("orders", &[]));
        assert_eq!(all.id_of("orders"), "i-1:orders");
    }

    #[test]
    fn an_invalid_regex_is_reported_at_its_attribute_on_one_line() {
        let err = valid_regex(&Value::from("([a-z")).unwrap_err();
        assert!(
            err.starts_with("is not a valid regular expression"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        assert!(valid_regex(&Value::from("^prod-")).is_ok());
        let diags = NameFilter::from_config(&config(None, Some("([a-z"))).unwrap_err();
        let d = diags.iter().next().expect("one error");
        assert_eq!(d.attribute, Some(AttributePath::attr("name_regex")));
        assert!(
            d.detail.contains("not a valid regular expression"),
            "{}",
            d.detail
        );
    }

    #[test]
    fn ids_stay_as_configured_or_list_what_was_found() {
        let found = || ["i-1:a".to_string(), "i-1:b".to_string()].into_iter();
        assert_eq!(
            ids_output(&config(None, None), found()),
            Value::List(vec!["i-1:a".into(), "i-1:b".into()])
        );
        assert_eq!(
            ids_output(&config(Some(&["b", "zzz"]), None), found()),
            Value::List(vec!["b".into(), "zzz".into()])
        );
    }

    fn not_found(code: &str) -> ApiError {
        let mut e = ApiError::new("GetTopicStatus", Some(400), code, "not found");
        e.request_id = Some("REQ-9".into());
        e
    }

    #[test]
    fn not_found_errors_point_at_the_argument_naming_the_missing_object() {
        let attrs = ["instance_id", "topic"];
        let d = read_error(
            "Cannot read",
            &not_found("BIZ_TOPIC_NOT_FOUND"),
            "cn-x",
            &attrs,
        );
        let d = d.iter().next().expect("one");
        assert_eq!(d.attribute, Some(AttributePath::attr("topic")));
        for needle in ["BIZ_TOPIC_NOT_FOUND", "REQ-9", "GetTopicStatus"] {
            assert!(d.detail.contains(needle), "{needle}: {}", d.detail);
        }
        let d = read_error(
            "Cannot read",
            &not_found("BIZ_INSTANCE_NOT_FOUND"),
            "cn-x",
            &attrs,
        );
        let d = d.iter().next().expect("one");
        assert_eq!(d.attribute, Some(AttributePath::attr("instance_id")));
        assert!(d.detail.contains("region cn-x"), "{}", d.detail);
        // A data source without the blamed argument, and errors that are not "not found".
        let d = read_error(
            "Cannot read",
            &not_found("BIZ_SUBSCRIPTION_NOT_FOUND"),
            "cn-x",
            &attrs,
        );
        assert_eq!(d.iter().next().expect("one").attribute, None);
        let throttled = ApiError::new("GetTopicList", Some(400), "Throttling.User", "slow");
        let d = read_error("Cannot read", &throttled, "cn-x", &attrs);
        assert_eq!(d.iter().next().expect("one").attribute, None);
    }
}
