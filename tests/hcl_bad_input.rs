//! Bad input at the HCL level, with both real Terraform CLIs: wrong types, nulls where a
//! value is required, empty strings, control characters, out-of-range numbers. Each is
//! refused at plan time, before any call to the service, by a diagnostic that points at
//! the attribute. Unicode remarks and values unknown until apply in every attribute are
//! handled correctly end to end.

mod common;

use common::*;
use regex::Regex;
use serde_json::Value;

/// A topic with `overrides` replacing (or, with `None`, removing) attributes by name.
fn topic(overrides: &[(&str, Option<&str>)]) -> String {
    resource(
        "alikafka_topic",
        "t",
        &[
            ("instance_id", format!("\"{INSTANCE_HZ}\"")),
            ("topic", "\"orders\"".to_string()),
            ("remark", "\"Orders\"".to_string()),
        ],
        overrides,
    )
}

/// A local-storage topic whose map attribute `name` holds `entry` on a line of its own.
fn local_topic_with(name: &str, entry: &str) -> String {
    let map = format!("{{\n    {entry}\n  }}");
    topic(&[("local_topic", Some("true")), (name, Some(map.as_str()))])
}

fn group(overrides: &[(&str, Option<&str>)]) -> String {
    resource(
        "alikafka_consumer_group",
        "g",
        &[
            ("instance_id", format!("\"{INSTANCE_HZ}\"")),
            ("consumer_id", "\"billing\"".to_string()),
        ],
        overrides,
    )
}

fn resource(
    kind: &str,
    name: &str,
    base: &[(&str, String)],
    overrides: &[(&str, Option<&str>)],
) -> String {
    let mut attrs: Vec<(String, String)> = base
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    for (key, value) in overrides {
        attrs.retain(|(k, _)| k != key);
        if let Some(value) = value {
            attrs.push((key.to_string(), value.to_string()));
        }
    }
    let body: Vec<String> = attrs.iter().map(|(k, v)| format!("  {k} = {v}")).collect();
    format!(
        "resource \"{kind}\" \"{name}\" {{\n{}\n}}\n",
        body.join("\n")
    )
}

/// Shorthand for a string override in HCL syntax (escapes as HCL does).
fn hcl_string(text: &str) -> String {
    serde_json::to_string(text).expect("string")
}

struct Case {
    what: &'static str,
    config: String,
    /// The attribute the diagnostic must point at (its configuration line is shown).
    attribute: &'static str,
    /// Texts the diagnostic must contain.
    expected: &'static [&'static str],
}

fn case(
    what: &'static str,
    config: String,
    attribute: &'static str,
    expected: &'static [&'static str],
) -> Case {
    Case {
        what,
        config,
        attribute,
        expected,
    }
}

fn refused_cases() -> Vec<Case> {
    let twenty_one_tags = format!(
        "{{ {} }}",
        (0..21)
            .map(|i| format!("t{i} = \"v\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let long_cjk = hcl_string(&"订".repeat(65));
    vec![
        // Wrong types: Terraform's own conversion, before the provider sees the value.
        case(
            "number as text",
            topic(&[("partition_num", Some("\"many\""))]),
            "partition_num",
            &[
                "Inappropriate value for attribute \"partition_num\"",
                "number",
            ],
        ),
        case(
            "list for a string",
            topic(&[("remark", Some("[\"a\", \"b\"]"))]),
            "remark",
            &[
                "Inappropriate value for attribute \"remark\"",
                "string required",
            ],
        ),
        case(
            "text for a bool",
            topic(&[("local_topic", Some("\"yes\""))]),
            "local_topic",
            &["Inappropriate value for attribute \"local_topic\"", "bool"],
        ),
        case(
            "object for a string",
            group(&[("consumer_id", Some("{ name = \"x\" }"))]),
            "consumer_id",
            &[
                "Inappropriate value for attribute \"consumer_id\"",
                "string required",
            ],
        ),
        // Nulls and absences where a value is required.
        case(
            "null topic",
            topic(&[("topic", Some("null"))]),
            "topic",
            &[
                "Missing required attribute",
                "Attribute topic is required, but its value is null",
            ],
        ),
        case(
            "null remark",
            topic(&[("remark", Some("null"))]),
            "remark",
            &[
                "Missing required attribute",
                "Attribute remark is required, but its value is null",
            ],
        ),
        case(
            "null instance_id",
            group(&[("instance_id", Some("null"))]),
            "instance_id",
            &[
                "Missing required attribute",
                "Attribute instance_id is required, but its value is null",
            ],
        ),
        // Empty strings.
        case(
            "empty topic",
            topic(&[("topic", Some("\"\""))]),
            "topic",
            &["must be at least 3 characters long, got 0"],
        ),
        case(
            "empty remark",
            topic(&[("remark", Some("\"\""))]),
            "remark",
            &["must not be empty: the service requires a remark"],
        ),
        case(
            "blank instance_id",
            topic(&[("instance_id", Some("\"  \""))]),
            "instance_id",
            &["must not be empty"],
        ),
        case(
            "empty consumer_id",
            group(&[("consumer_id", Some("\"\""))]),
            "consumer_id",
            &["must be at least 3 characters long, got 0"],
        ),
        // Control characters and unicode where the service refuses them.
        case(
            "newline in a remark",
            topic(&[("remark", Some("\"line\\nbreak\""))]),
            "remark",
            &["must not contain control characters, found '\\n'"],
        ),
        case(
            "tab in a group remark",
            group(&[("remark", Some("\"a\\tb\""))]),
            "remark",
            &["must not contain control characters, found '\\t'"],
        ),
        case(
            "NUL in a remark",
            topic(&[("remark", Some("\"nul\\u0000byte\""))]),
            "remark",
            &["must not contain control characters, found '\\0'"],
        ),
        case(
            "DEL in a remark",
            topic(&[("remark", Some("\"del\\u007f\""))]),
            "remark",
            &["must not contain control characters, found '\\u{7f}'"],
        ),
        case(
            "65 CJK characters in a remark",
            topic(&[("remark", Some(long_cjk.as_str()))]),
            "remark",
            &["must be at most 64 characters long, got 65"],
        ),
        case(
            "unicode letters in a topic name",
            topic(&[("topic", Some("\"订单\""))]),
            "topic",
            &["must be at least 3 characters long, got 2"],
        ),
        case(
            "accented letters in a topic name",
            topic(&[("topic", Some("\"café-orders\""))]),
            "topic",
            &["may contain only letters, digits, '_' and '-', found 'é'"],
        ),
        case(
            "control character in a topic name",
            topic(&[("topic", Some("\"bad\\u0001name\""))]),
            "topic",
            &["may contain only letters, digits, '_' and '-', found '\\u{1}'"],
        ),
        // Numbers out of range.
        case(
            "zero partitions",
            topic(&[("partition_num", Some("0"))]),
            "partition_num",
            &["must be a whole number between 1 and 360, got 0"],
        ),
        case(
            "too many partitions",
            topic(&[("partition_num", Some("361"))]),
            "partition_num",
            &["must be a whole number between 1 and 360, got 361"],
        ),
        case(
            "a fraction of a partition",
            topic(&[("partition_num", Some("2.5"))]),
            "partition_num",
            &["must be a whole number between 1 and 360, got a fraction"],
        ),
        case(
            "negative partitions",
            topic(&[("partition_num", Some("-4"))]),
            "partition_num",
            &["must be a whole number between 1 and 360, got -4"],
        ),
        // Topic settings and tags: each key checked, at its own line.
        case(
            "a setting the service does not take",
            local_topic_with("config", "\"cleanup.policy\" = \"compact\""),
            "\"cleanup.policy\"",
            &["is not a setting the service takes", "retention.ms"],
        ),
        case(
            "retention out of range",
            local_topic_with("config", "\"retention.ms\" = 1000"),
            "\"retention.ms\"",
            &["1000 is out of range: from 3600000 to 31536000000"],
        ),
        case(
            "an illegal timestamp type",
            local_topic_with("config", "\"message.timestamp.type\" = \"Now\""),
            "\"message.timestamp.type\"",
            &["\"Now\" is not one of CreateTime, LogAppendTime"],
        ),
        case(
            "settings on a cloud-storage topic",
            topic(&[("config", Some("{\n    \"retention.ms\" = 86400000\n  }"))]),
            "config",
            &["config needs local_topic"],
        ),
        case(
            "replication on a cloud-storage topic",
            topic(&[("replication_factor", Some("2"))]),
            "replication_factor",
            &["replication_factor needs local_topic"],
        ),
        case(
            "as many in-sync replicas as replicas",
            topic(&[
                ("local_topic", Some("true")),
                ("replication_factor", Some("2")),
                ("min_insync_replicas", Some("2")),
            ]),
            "min_insync_replicas",
            &["min_insync_replicas must be less than replication_factor"],
        ),
        case(
            "a reserved tag key",
            local_topic_with("tags", "\"aliyun:owner\" = \"me\""),
            "\"aliyun:owner\"",
            &["reserved for Alibaba Cloud"],
        ),
        case(
            "too many tags",
            topic(&[("tags", Some(twenty_one_tags.as_str()))]),
            "tags",
            &["Too many tags: 21 (at most 20)"],
        ),
        // Combinations and nested values.
        case(
            "compaction without local storage",
            topic(&[("compact_topic", Some("true"))]),
            "compact_topic",
            &["compact_topic needs local_topic"],
        ),
        case(
            "a timeout that is not a duration",
            topic(&[("timeouts", Some("{ create = \"soon\" }"))]),
            "timeouts",
            &["\"soon\" is not a duration"],
        ),
    ]
}

#[test]
fn bad_values_are_refused_at_plan_time_pointing_at_the_attribute() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        for case in refused_cases() {
            ws.write_config(&case.config);
            let run = ws.run(&["plan", "-no-color", "-input=false"]);
            let out = run.flat();
            let context = format!("{} (Terraform {})", case.what, tf.version);
            assert_ne!(run.code, 0, "{context}: plan succeeded:\n{out}");
            assert!(out.contains("Error: "), "{context}: no error:\n{out}");
            for needle in case.expected {
                assert!(
                    out.contains(needle),
                    "{context}: expected {needle:?} in:\n{out}"
                );
            }
            // The diagnostic shows the attribute's own line of configuration.
            let line = Regex::new(&format!(r"\d+:\s+{}\s+=", regex::escape(case.attribute)))
                .expect("regex");
            // Terraform 1.0 cannot place a path inside a nested attribute's object in the
            // source: there the detail names the full path instead.
            let nested_named = case.attribute == "timeouts"
                && !tf.at_least(1, 1)
                && out.contains("Attribute timeouts.create");
            assert!(
                line.is_match(&out) || nested_named,
                "{context}: the diagnostic does not point at {}:\n{out}",
                case.attribute
            );
            assert!(
                !out.contains("panic") && !out.contains("Internal provider error"),
                "{context}:\n{out}"
            );
            println!(
                "hcl-bad-input: terraform={} {} refused at plan",
                tf.version, case.what
            );
        }
        // Refused before anything reached the service.
        assert_eq!(
            emu.metrics()["totals"]["requests"],
            0,
            "Terraform {}: calls were made",
            tf.version
        );
    });
}

/// Remarks that are unusual but valid reach the service as written and come back the
/// same, with an empty plan afterwards.
#[test]
fn unicode_remarks_and_empty_optional_values_round_trip() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        let cjk_64 = "订".repeat(64);
        let mixed = "Événements 订单 🚀 \"quoted\" \\ back ${not} %{interp}";
        let config = [
            resource(
                "alikafka_topic",
                "cjk",
                &[
                    ("instance_id", format!("\"{INSTANCE_HZ}\"")),
                    ("topic", "\"cjk-remark\"".to_string()),
                    ("remark", hcl_string(&cjk_64)),
                ],
                &[],
            ),
            resource(
                "alikafka_topic",
                "mixed",
                &[
                    ("instance_id", format!("\"{INSTANCE_HZ}\"")),
                    ("topic", "\"mixed-remark\"".to_string()),
                    // $${ and %%{ are HCL's escapes for a literal ${ and %{.
                    (
                        "remark",
                        hcl_string(mixed).replace("${", "$${").replace("%{", "%%{"),
                    ),
                ],
                &[],
            ),
            group(&[("remark", Some("\"\""))]),
        ]
        .join("\n");
        ws.write_config(&config);
        ws.apply();
        let remark_of = |name: &str| {
            emu.topic(INSTANCE_HZ, name)
                .unwrap_or_else(|| panic!("{name} created"))["remark"]
                .clone()
        };
        assert_eq!(remark_of("cjk-remark"), Value::from(cjk_64.as_str()));
        assert_eq!(remark_of("mixed-remark"), Value::from(mixed));
        assert_eq!(
            ws.resource_values("alikafka_topic.mixed")["remark"],
            Value::from(mixed)
        );
        let billing = emu.group(INSTANCE_HZ, "billing").expect("group created");
        assert_eq!(billing["remark"], "");
        ws.assert_no_changes();
        ws.destroy();
        assert!(emu.topics(INSTANCE_HZ).is_empty());
    });
}

/// Every attribute of both resources unknown at plan time (known only after another
/// resource is applied): the plan passes validation, shows them unknown, and the apply
/// creates exactly what the values turn out to be.
#[test]
fn values_unknown_until_apply_in_every_attribute() {
    for_each_terraform(|tf| {
        let emu = Emulator::start();
        let ws = Workspace::new(&tf, &emu);
        // A value known only after apply, empty once known: `terraform_data` (1.4+), or a
        // computed attribute of one of our resources for older Terraform.
        let (seed, unknown) = if tf.at_least(1, 4) {
            (
                "resource \"terraform_data\" \"seed\" {\n  input = \"\"\n}\n".to_string(),
                "terraform_data.seed.output",
            )
        } else {
            (
                group(&[("consumer_id", Some("\"seed-group\""))]).replace("\"g\"", "\"seed\""),
                "substr(alikafka_consumer_group.seed.region_id, 0, 0)",
            )
        };
        let config = format!(
            r#"{seed}
locals {{
  u = {unknown}
}}

resource "alikafka_topic" "t" {{
  instance_id   = "${{local.u}}{INSTANCE_HZ}"
  topic         = "late-${{local.u}}topic"
  remark        = "late remark${{local.u}}"
  partition_num = 4 + length(local.u)
  local_topic   = local.u != ""
  compact_topic = local.u != ""
  timeouts = {{
    create = "5m${{local.u}}"
    update = "5m${{local.u}}"
    delete = "5m${{local.u}}"
  }}
}}

resource "alikafka_consumer_group" "g" {{
  instance_id = "${{local.u}}{INSTANCE_HZ}"
  consumer_id = "late-${{local.u}}group"
  remark      = "late${{local.u}}"
  timeouts = {{
    create = "5m${{local.u}}"
    delete = "5m${{local.u}}"
  }}
}}
"#
        );
        ws.write_config(&config);
        let plan = ws.plan_json();
        for (address, attrs) in [
            (
                "alikafka_topic.t",
                &[
                    "instance_id",
                    "topic",
                    "remark",
                    "partition_num",
                    "local_topic",
                    "compact_topic",
                    "timeouts",
                ][..],
            ),
            (
                "alikafka_consumer_group.g",
                &["instance_id", "consumer_id", "remark", "timeouts"][..],
            ),
        ] {
            let change = plan["resource_changes"]
                .as_array()
                .and_then(|rc| rc.iter().find(|c| c["address"] == address))
                .unwrap_or_else(|| panic!("{address} not planned: {plan}"));
            for attr in attrs {
                // A nested object is unknown when each of its attributes is.
                let unknown = &change["change"]["after_unknown"][attr];
                let all_unknown = unknown == true
                    || unknown
                        .as_object()
                        .is_some_and(|o| !o.is_empty() && o.values().all(|v| v == true));
                assert!(
                    all_unknown,
                    "Terraform {}: {address}.{attr} should be unknown at plan: {change}",
                    tf.version
                );
            }
        }
        ws.apply();
        let topic = emu.topic(INSTANCE_HZ, "late-topic").expect("topic created");
        assert_eq!(topic["remark"], "late remark");
        assert_eq!(topic["partition_num"], 4);
        assert_eq!(topic["local_topic"], false);
        let group = emu.group(INSTANCE_HZ, "late-group").expect("group created");
        assert_eq!(group["remark"], "late");
        ws.assert_no_changes();
        ws.destroy();
        assert!(emu.topic(INSTANCE_HZ, "late-topic").is_none());
    });
}
