//! A topic's `config`: the settings a team sets, as the service documents them, and the
//! `effective_config` it reports.
//!
//! Only the keys the configuration sets are compared: keys the service adds by itself
//! (`replication-factor`, `message.format.version`, ...) never show as a change, and
//! values that differ only in form (`"86400000"`, `86400000`, `8.64e7`) are equal. A key
//! removed from `config` is set back to its documented default. The service takes
//! settings only on local-storage topics (`local_topic = true`); UpdateTopicConfig takes
//! one key per call.

use std::collections::BTreeMap;

use super::kafka::Kafka;
use super::lifecycle::Update;
use super::resource_topic::Topics;
use super::tags::{map_of, to_value};
use crate::api::UpdateTopicConfigRequest;
use crate::tfplugin::cty::{AttributePath, Number, Type, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::int_between;
use crate::tfplugin::framework::{ApplyError, Context, Plan, PlanRequest};
use crate::tfplugin::schema::Attribute;

pub type Settings = BTreeMap<String, String>;

/// What values a setting takes.
enum Values {
    /// Whole numbers in a range.
    Integer {
        min: i64,
        max: i64,
    },
    OneOf(&'static [&'static str]),
}

/// What a setting is when nobody set it.
enum Default {
    Value(&'static str),
    /// The instance's message retention (GetInstanceList's `MsgRetain`, in hours), in the
    /// setting's unit: milliseconds or hours.
    InstanceRetention {
        per_hour: i64,
    },
}

/// A documented topic setting.
struct Setting {
    key: &'static str,
    values: Values,
    default: Default,
    /// Where the service takes it.
    applies_to: &'static str,
}

/// Kafka's default for `message.timestamp.difference.max.ms`: no limit.
const NO_LIMIT: &str = "9223372036854775807";

/// The settings the service documents for topics (reserved instances: local-storage
/// topics; serverless instances: `retention.hours` instead of `retention.ms`).
const SETTINGS: [Setting; 5] = [
    Setting {
        key: "retention.ms",
        values: Values::Integer {
            min: 3_600_000,
            max: 31_536_000_000,
        },
        default: Default::InstanceRetention {
            per_hour: 3_600_000,
        },
        applies_to: "local-storage topics of reserved instances",
    },
    Setting {
        key: "max.message.bytes",
        values: Values::Integer {
            min: 1_048_576,
            max: 10_485_760,
        },
        default: Default::Value("1048576"),
        applies_to: "local-storage topics of reserved instances",
    },
    Setting {
        key: "message.timestamp.type",
        values: Values::OneOf(&["CreateTime", "LogAppendTime"]),
        default: Default::Value("CreateTime"),
        applies_to: "local-storage topics of reserved instances",
    },
    Setting {
        key: "message.timestamp.difference.max.ms",
        values: Values::Integer {
            min: 0,
            max: i64::MAX,
        },
        default: Default::Value(NO_LIMIT),
        applies_to: "local-storage topics of reserved instances",
    },
    Setting {
        key: "retention.hours",
        values: Values::Integer { min: 24, max: 8760 },
        default: Default::InstanceRetention { per_hour: 1 },
        applies_to: "topics of serverless instances",
    },
];

fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

fn known_keys() -> String {
    SETTINGS
        .iter()
        .map(|s| format!("{} ({})", s.key, s.applies_to))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `config` and `effective_config`.
pub fn attributes() -> [Attribute; 2] {
    [
        Attribute::new("config", Type::map(Type::String))
            .optional()
            .markdown_description(format!(
                "Topic settings, on local-storage topics (`local_topic = true`): {}. Values \
                 are checked at plan time against the documented ranges; numbers may be \
                 written in any form. Only the keys set here are managed: keys the service \
                 adds by itself never show as a change. Changed in place \
                 (`UpdateTopicConfig`, one call per key); a key removed from the map is set \
                 back to its documented default.",
                known_keys()
            )),
        Attribute::new("effective_config", Type::map(Type::String))
            .computed()
            .use_state_for_unknown()
            .markdown_description(
                "Every setting the service reports for the topic, including defaults and the \
                 keys it adds by itself (such as `replication-factor`), for policy checks.",
            ),
    ]
}

/// `replication_factor` and `min_insync_replicas`: set at creation on local topics,
/// reported by the service among the topic's settings.
pub fn replication_attributes() -> [Attribute; 2] {
    let replicas = |name: &str, what: &str| {
        Attribute::number(name)
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .validator(int_between(1, 3))
            .markdown_description(format!(
                "{what}; local-storage topics only (`local_topic = true`), the service's \
                 default when unset. Reported by the service among the topic's settings. \
                 Changing it replaces the topic."
            ))
    };
    [
        replicas(
            "replication_factor",
            "How many replicas each partition has, 1 to 3",
        ),
        replicas(
            "min_insync_replicas",
            "How many replicas must hold a message before a write counts, 1 to 3 and less \
             than `replication_factor`",
        ),
    ]
}

/// The value of a whole number written in any form (`"86400000"`, `"8.64e7"`).
fn integer(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>().ok().or_else(|| {
        let n = Number::parse(text)?;
        n.as_i64()
    })
}

/// `value` in the service's form: whole numbers in plain decimal.
pub fn canonical(key: &str, value: &str) -> String {
    match setting(key).map(|s| &s.values) {
        Some(Values::Integer { .. }) => {
            integer(value).map_or_else(|| value.to_string(), |n| n.to_string())
        }
        _ => value.trim().to_string(),
    }
}

/// Whether two values of `key` mean the same.
pub fn same(key: &str, a: &str, b: &str) -> bool {
    canonical(key, a) == canonical(key, b)
}

/// Plan-time checks of what only local-storage topics take (compaction, replication,
/// settings) and of each setting, with its path.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = storage_rules(config);
    let Value::Map(entries) = config.attr("config") else {
        return diagnostics;
    };
    for (key, value) in entries {
        let Some(text) = value.as_str() else {
            continue; // unknown until apply
        };
        let problem = match setting(key).map(|s| &s.values) {
            None => Some(format!(
                "{key:?} is not a setting the service takes. It takes: {}",
                known_keys()
            )),
            Some(Values::Integer { min, max }) => match integer(text) {
                Some(n) if (*min..=*max).contains(&n) => None,
                Some(n) => Some(format!("{n} is out of range: from {min} to {max}")),
                None => Some(format!("{text:?} is not a whole number")),
            },
            Some(Values::OneOf(allowed)) if allowed.contains(&text.trim()) => None,
            Some(Values::OneOf(allowed)) => {
                Some(format!("{text:?} is not one of {}", allowed.join(", ")))
            }
        };
        if let Some(problem) = problem {
            diagnostics.push(
                Diagnostic::error(
                    format!("Invalid topic setting {key}"),
                    format!("{problem}."),
                )
                .at(AttributePath::attr("config").key(key.as_str())),
            );
        }
    }
    diagnostics
}

fn storage_rules(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let local = config.attr("local_topic");
    let not_local = local.is_null() || local.as_bool() == Some(false);
    let empty_map = |v: &Value| matches!(v, Value::Map(m) if m.is_empty());
    for (attribute, what) in [
        ("compact_topic", "log compaction"),
        ("replication_factor", "a choice of replication"),
        ("min_insync_replicas", "a choice of replication"),
        ("config", "topic settings"),
    ] {
        let set = config.attr(attribute);
        let unset = set.is_null() || set.as_bool() == Some(false) || empty_map(set);
        if not_local && !unset {
            diagnostics.push(
                Diagnostic::error(
                    format!("{attribute} needs local_topic"),
                    format!(
                        "The service offers {what} only for topics on local storage: set \
                         local_topic = true as well, or leave {attribute} unset."
                    ),
                )
                .at(AttributePath::attr(attribute)),
            );
        }
    }
    let replicas = |a: &str| config.attr(a).as_i64();
    if let (Some(n), Some(min)) = (
        replicas("replication_factor"),
        replicas("min_insync_replicas"),
    ) {
        if min >= n {
            diagnostics.push(
                Diagnostic::error(
                    "min_insync_replicas must be less than replication_factor",
                    format!(
                        "With {n} replicas, at most {} may be required in sync (the service \
                         needs one replica free to fail).",
                        n - 1
                    ),
                )
                .at(AttributePath::attr("min_insync_replicas")),
            );
        }
    }
    diagnostics
}

/// Plans what settings decide: `effective_config` unknown when `config` changes, replication
/// left unset kept as the state has it (even null: a state from before these attributes,
/// or a service that does not report them; unknown would replace the topic), and warnings
/// for removed keys without a default.
pub fn plan(ctx: &Context, req: &PlanRequest, plan: &mut Plan) {
    let (prior, planned) = (&req.prior_state, &mut plan.planned_state);
    if prior.attr("config") != planned.attr("config") {
        planned.set_attr("effective_config", Value::Unknown);
    }
    for name in ["replication_factor", "min_insync_replicas"] {
        if req.config.attr(name).is_null() {
            planned.set_attr(name, prior.attr(name).clone());
        }
    }
    for warning in removal_warnings(prior.attr("config"), planned.attr("config")).iter() {
        ctx.report(warning.clone());
    }
}

/// An imported topic's state: it manages the settings that differ from their defaults.
pub async fn adopt(ctx: &Context, kafka: &Kafka, mut state: Value) -> Value {
    let effective = map_of(state.attr("effective_config")).unwrap_or_default();
    let instance_id = state
        .attr("instance_id")
        .as_str()
        .unwrap_or_default()
        .to_string();
    let retention = retention_hours(ctx, kafka, &instance_id).await;
    let managed = non_default(&effective, retention);
    if !managed.is_empty() {
        state.set_attr("config", to_value(&managed));
    }
    state
}

/// The message retention (hours) of `instance_id`: the default of the retention
/// settings. `None` when the instance list cannot say.
pub async fn retention_hours(ctx: &Context, kafka: &Kafka, instance_id: &str) -> Option<i64> {
    let instances = ctx.run(kafka.instances()).await.ok()?.ok()?;
    let instance = instances.iter().find(|i| i.instance_id == instance_id)?;
    instance.msg_retain
}

/// The state's `config` from what the service reports: the keys `base` manages, each in
/// `base`'s form when it means the same (a key the service no longer reports drops out,
/// so the plan puts it back).
pub fn read(base: &Value, effective: &Settings) -> Value {
    let Some(managed) = map_of(base) else {
        return base.clone();
    };
    if base.is_null() {
        return Value::Null;
    }
    let read: Settings = managed
        .into_iter()
        .filter_map(|(key, mine)| {
            let listed = effective.get(&key)?;
            let value = if same(&key, &mine, listed) {
                mine
            } else {
                listed.clone()
            };
            Some((key, value))
        })
        .collect();
    to_value(&read)
}

/// The attributes a topic's reported settings give its state: `config` (the keys `base`
/// manages; null when it manages none), `effective_config`, and the replication the
/// service reports among its own keys.
pub fn state(base: &Value, effective: &Settings) -> [(&'static str, Value); 4] {
    let config = match base.attr("config") {
        Value::Unknown => Value::Null,
        managed => read(managed, effective),
    };
    let number = |key: &str| Value::from(effective.get(key).and_then(|v| integer(v)));
    [
        ("config", config),
        ("effective_config", to_value(effective)),
        ("replication_factor", number(REPLICATION_FACTOR)),
        ("min_insync_replicas", number(MIN_INSYNC_REPLICAS)),
    ]
}

/// Keys the service adds to every topic's settings.
const REPLICATION_FACTOR: &str = "replication-factor";
const MIN_INSYNC_REPLICAS: &str = "min.insync.replicas";

/// The settings of an imported topic worth managing: documented ones whose value is not
/// the default (keys the service adds are left out). `retention` is the instance's
/// message retention in hours, when known.
pub fn non_default(effective: &Settings, retention: Option<i64>) -> Settings {
    effective
        .iter()
        .filter(|(key, value)| match setting(key) {
            Some(s) => default_of(s, retention).is_none_or(|d| !same(key, value, &d)),
            None => false,
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn default_of(s: &Setting, retention_hours: Option<i64>) -> Option<String> {
    match s.default {
        Default::Value(v) => Some(v.to_string()),
        Default::InstanceRetention { per_hour } => {
            retention_hours.map(|h| h.saturating_mul(per_hour).to_string())
        }
    }
}

/// Brings the topic's settings from `from` to `to` as steps of `update`, one
/// UpdateTopicConfig per key: changed and added keys to their value, removed keys back to
/// their default (`retention_hours`: the instance's message retention, for
/// `retention.ms`). After a failure the state's `config` says exactly which keys changed.
pub async fn apply(
    update: &mut Update<'_, Topics>,
    from: &Value,
    to: &Value,
    retention_hours: Option<i64>,
) -> Result<(), ApplyError> {
    let (Some(from), Some(to)) = (map_of(from), map_of(to)) else {
        return Ok(());
    };
    let mut reached = from.clone();
    let mut steps: Vec<(String, String, Option<String>)> = to
        .iter()
        .filter(|(k, v)| from.get(*k).is_none_or(|old| !same(k, old, v)))
        .map(|(k, v)| (k.clone(), canonical(k, v), Some(v.clone())))
        .collect();
    for key in from.keys().filter(|k| !to.contains_key(*k)) {
        let default = setting(key).and_then(|s| default_of(s, retention_hours));
        match default {
            Some(default) => steps.push((key.clone(), default, None)),
            // Nothing to set it back to: the service keeps its value (plan warned).
            None => {
                reached.remove(key);
            }
        }
    }
    let (instance_id, topic) = (update.key().instance_id.clone(), update.key().name.clone());
    for (key, value, kept) in steps {
        let request = UpdateTopicConfigRequest {
            instance_id: instance_id.clone(),
            topic: topic.clone(),
            config: key.clone(),
            value: value.clone(),
        };
        match kept {
            Some(v) => reached.insert(key.clone(), v),
            None => reached.remove(&key),
        };
        let failure = format!("Cannot set {key} to {value} on {}", update.describe());
        update
            .write(&request, &failure, "config", to_value(&reached))
            .await?;
    }
    Ok(())
}

/// Plan-time warnings for removed keys that have no documented default.
pub fn removal_warnings(prior: &Value, planned: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let (Some(prior), Some(planned)) = (map_of(prior), map_of(planned)) else {
        return diagnostics;
    };
    for key in prior.keys().filter(|k| !planned.contains_key(*k)) {
        if setting(key).is_none() {
            diagnostics.push(
                Diagnostic::warning(
                    format!("Topic setting {key} stays as it is"),
                    format!(
                        "config no longer sets {key}, and the service documents no default for \
                         it: the topic keeps its current value ({}), and Terraform stops \
                         managing it.",
                        prior.get(key).map_or("", String::as_str)
                    ),
                )
                .at(AttributePath::attr("config").key(key.as_str())),
            );
        }
    }
    diagnostics
}

/// Whether the listed settings show every planned one.
pub fn shows(planned: &Value, effective: &Settings) -> Result<(), String> {
    let wanted = map_of(planned).unwrap_or_default();
    let missing: Vec<String> = wanted
        .iter()
        .filter(|(k, v)| effective.get(*k).is_none_or(|listed| !same(k, listed, v)))
        .map(|(k, _)| {
            format!(
                "{k} = {:?}",
                effective.get(k).map_or("unset", String::as_str)
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("settings {}", missing.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn config(pairs: &[(&str, &str)]) -> Value {
        to_value(&settings(pairs))
    }

    #[test]
    fn values_in_another_form_are_the_same() {
        assert!(same("retention.ms", "86400000", "8.64e7"));
        assert!(same("max.message.bytes", "1048576", "1.048576e6"));
        assert!(same("max.message.bytes", " 1048576", "1048576.0"));
        assert!(!same("retention.ms", "86400000", "86400001"));
        assert!(!same(
            "message.timestamp.type",
            "CreateTime",
            "LogAppendTime"
        ));
    }

    #[test]
    fn only_managed_keys_are_read_and_in_their_own_form() {
        let effective = settings(&[
            ("retention.ms", "86400000"),
            ("replication-factor", "3"),
            ("max.message.bytes", "2097152"),
        ]);
        let base = config(&[("retention.ms", "8.64e7"), ("max.message.bytes", "1048576")]);
        let read = read(&base, &effective);
        assert_eq!(
            read,
            config(&[("retention.ms", "8.64e7"), ("max.message.bytes", "2097152")])
        );
        assert_eq!(super::read(&Value::Null, &effective), Value::Null);
    }

    #[test]
    fn settings_are_checked_with_their_path() {
        let mut c = Value::object([
            ("local_topic", Value::from(true)),
            (
                "config",
                config(&[
                    ("retention.ms", "1000"),
                    ("message.timestamp.type", "Now"),
                    ("cleanup.policy", "compact"),
                    ("max.message.bytes", "1048576"),
                ]),
            ),
        ]);
        let d = validate(&c);
        assert_eq!(d.iter().count(), 3, "{d}");
        assert!(d
            .iter()
            .any(|d| d.attribute == Some(AttributePath::attr("config").key("retention.ms"))));
        assert!(d.to_string().contains("out of range"), "{d}");
        assert!(d.to_string().contains("It takes: retention.ms"), "{d}");
        c.set_attr("local_topic", Value::from(false));
        c.set_attr("config", config(&[("retention.ms", "86400000")]));
        assert!(validate(&c).to_string().contains("local_topic = true"));
    }

    #[test]
    fn imports_keep_what_differs_from_the_defaults() {
        let effective = settings(&[
            ("retention.ms", "259200000"),
            ("max.message.bytes", "2097152"),
            ("message.timestamp.type", "CreateTime"),
            ("replication-factor", "3"),
        ]);
        assert_eq!(
            non_default(&effective, Some(72)),
            settings(&[("max.message.bytes", "2097152")])
        );
        assert_eq!(non_default(&effective, Some(24)).len(), 2);
    }
}
