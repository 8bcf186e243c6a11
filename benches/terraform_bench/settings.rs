//! A refresh of N topics that carry settings and tags (issue 13): the API calls of a plan.
//! The service lists each topic's settings (`TopicConfig`) and tags with the topic, so the
//! target is the same as without them: one GetTopicList (all pages) per instance, nothing
//! per topic.

use std::time::Instant;

use serde_json::json;

use super::common::{Emulator, Workspace, INSTANCE_HZ};
use super::stats::Samples;
use super::{Settings, Table};

fn configuration(n: usize) -> String {
    format!(
        r#"
provider "alikafka" {{
  requests_per_second              = 200
  create_topic_requests_per_second = 200
  default_tags {{
    tags = {{ team = "bench" }}
  }}
}}

resource "alikafka_topic" "t" {{
  count       = {n}
  instance_id = "{INSTANCE_HZ}"
  topic       = "settings-${{count.index}}"
  remark      = "settings and tags"
  local_topic = true
  config = {{
    "retention.ms"      = 604800000
    "max.message.bytes" = 2097152
  }}
  tags = {{
    index = "${{count.index}}"
    app   = "bench"
  }}
}}
"#
    )
}

pub fn run(settings: &Settings, table: &mut Table) {
    for tf in &settings.terraforms {
        for &n in &settings.sizes {
            // Creation is not what is measured: the emulator's limits are out of the way.
            let emulator = Emulator::start_with(&[
                "--visibility-delay-ms",
                "0",
                "--qps",
                "1000",
                "--create-topic-qps",
                "1000",
            ]);
            let mut ws = Workspace::new(tf, &emulator);
            ws.set_env("ALIKAFKA_SHARED_RATE_LIMITS", "false");
            ws.write_config(&configuration(n));
            ws.ok(&[
                "apply",
                "-auto-approve",
                "-no-color",
                "-input=false",
                "-parallelism=100",
            ]);
            // Plans at the service's real limits.
            emulator.control_put("settings", json!({"qps": 3, "create_topic_qps": 1}));
            let (mut lists, mut calls, mut seconds) =
                (Samples::default(), Samples::default(), Samples::default());
            for _ in 0..settings.runs {
                std::thread::sleep(super::BETWEEN_COMMANDS);
                emulator.control_delete("metrics");
                let started = Instant::now();
                let code = ws.plan_exit_code();
                seconds.push(started.elapsed().as_secs_f64());
                assert_eq!(code, 0, "a plan after apply proposes nothing");
                lists.push(emulator.requests_of("GetTopicList") as f64);
                calls.push(
                    emulator.metrics()["totals"]["requests"]
                        .as_f64()
                        .unwrap_or(0.0),
                );
            }
            eprintln!(
                "settings and tags: terraform {} with {n} topics: {} calls per plan, {:.2} s",
                tf.version,
                calls.show(0),
                seconds.median().unwrap_or(0.0)
            );
            let layout = format!("1 × {n}, config + tags");
            table.row(
                tf.version,
                &layout,
                "GetTopicList per plan",
                &lists,
                0,
                "1".into(),
                lists.max().map(|m| m <= 1.0),
            );
            table.row(
                tf.version,
                &layout,
                "API calls per plan, all actions",
                &calls,
                0,
                "1".into(),
                calls.max().map(|m| m <= 1.0),
            );
            table.row(
                tf.version,
                &layout,
                "plan wall (s)",
                &seconds,
                2,
                String::new(),
                None,
            );
        }
    }
}
