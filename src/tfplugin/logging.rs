//! Provider logs in the shape Terraform understands: one hclog-style JSON object per line
//! on stderr (`@level`, `@message`, `@timestamp`, `@module`, then the fields). Terraform
//! files each line under its level and shows it per `TF_LOG` / `TF_LOG_PROVIDER`.

use std::io::Write as _;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer;

/// Field names containing any of these are written as `***`, whatever the caller passed:
/// a last line of defence, not a licence to log secrets.
const SECRET_MARKERS: &[&str] = &["secret", "token", "signature", "password", "authorization"];

/// Our own code, as `tracing` targets: the library and the provider binary.
const OWN_TARGETS: &[&str] = &["alikafka", "terraform_provider_alikafka"];

/// Installs the global subscriber: hclog JSON on stderr at the level chosen by
/// `TF_LOG_PROVIDER`, else `TF_LOG` (see [`level_from_env`]). Calling it again is a
/// no-op.
pub fn init_logging() {
    let provider = std::env::var("TF_LOG_PROVIDER").ok();
    let global = std::env::var("TF_LOG").ok();
    let level = level_from_env(provider.as_deref(), global.as_deref());
    // Err only means a subscriber is already installed, which is fine.
    let _ = tracing_subscriber::registry()
        .with(HclogLayer::new(std::io::stderr).with_filter(log_filter(level)))
        .try_init();
}

/// `level` for our own code; dependencies (tonic, h2, hyper, rustls, and `log` records)
/// at most INFO, since their debug output is per-frame noise nobody reading a Terraform
/// log wants.
pub fn log_filter(level: LevelFilter) -> Targets {
    OWN_TARGETS.iter().fold(
        Targets::new().with_default(level.min(LevelFilter::INFO)),
        |targets, own| targets.with_target(*own, level),
    )
}

/// Terraform's level names (any case): TRACE, DEBUG, INFO, WARN, ERROR, OFF, and JSON
/// (trace). Like Terraform, an unrecognised value means TRACE. `TF_LOG_PROVIDER` wins
/// over `TF_LOG`; with neither set, warnings and errors only.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let chosen = [tf_log_provider, tf_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty());
    match chosen.map(str::to_ascii_uppercase).as_deref() {
        None => LevelFilter::WARN,
        Some("OFF") => LevelFilter::OFF,
        Some("ERROR") => LevelFilter::ERROR,
        Some("WARN") => LevelFilter::WARN,
        Some("INFO") => LevelFilter::INFO,
        Some("DEBUG") => LevelFilter::DEBUG,
        Some(_) => LevelFilter::TRACE,
    }
}

/// A `tracing` layer writing hclog JSON lines to `make_writer`.
pub struct HclogLayer<W> {
    make_writer: W,
}

impl<W> HclogLayer<W>
where
    W: for<'a> MakeWriter<'a> + 'static,
{
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// The fields recorded on a span, kept in its extensions for the events inside it.
struct SpanFields(Map<String, Value>);

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = JsonVisitor::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.fields));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            let mut visitor = JsonVisitor {
                fields: std::mem::take(fields),
                message: None,
            };
            values.record(&mut visitor);
            *fields = visitor.fields;
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    line.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut visitor = JsonVisitor::default();
        event.record(&mut visitor);
        line.extend(visitor.fields);

        // Records from the `log` crate (via tracing-log) carry their real target here.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        line.insert("@level".into(), level_name(*metadata.level()).into());
        line.insert(
            "@message".into(),
            visitor.message.unwrap_or_default().into(),
        );
        line.insert("@module".into(), module_name(metadata.target()).into());
        line.insert(
            "@timestamp".into(),
            chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
                .into(),
        );

        let mut bytes = Value::Object(line).to_string().into_bytes();
        bytes.push(b'\n');
        // One write per line, so lines from concurrent tasks never interleave; a failed
        // write to stderr has nowhere better to be reported.
        let _ = self.make_writer.make_writer().write_all(&bytes);
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// `provider` for the crate root, `provider.alikafka.api.client` for a module path.
fn module_name(target: &str) -> String {
    if target.is_empty() {
        "provider".to_string()
    } else {
        format!("provider.{}", target.replace("::", "."))
    }
}

fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_MARKERS.iter().any(|marker| name.contains(marker))
}

/// Collects fields as JSON values; `message` is kept apart for `@message`.
#[derive(Default)]
struct JsonVisitor {
    fields: Map<String, Value>,
    message: Option<String>,
}

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else if name.starts_with('@') || name.starts_with("log.") {
            // '@' is the hclog header's; `log.*` is tracing-log's bookkeeping.
        } else if is_secret(name) {
            self.fields.insert(name.to_string(), "***".into());
        } else {
            self.fields.insert(name.to_string(), value);
        }
    }
}

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, serde_json::json!(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn capture(level: LevelFilter, f: impl FnOnce()) -> Vec<Value> {
        let buffer = Buffer::default();
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(buffer.clone()).with_filter(level));
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.0.lock().expect("lock").clone();
        String::from_utf8(bytes)
            .expect("utf8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }

    #[test]
    fn event_becomes_hclog_json_line() {
        let lines = capture(LevelFilter::TRACE, || {
            let span = tracing::info_span!("rpc", tf_rpc = "ApplyResourceChange");
            let _entered = span.enter();
            tracing::warn!(target: "alikafka::api::client", attempt = 3, retry = true, "throttled by the API");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["@level"], "warn");
        assert_eq!(line["@message"], "throttled by the API");
        assert_eq!(line["@module"], "provider.alikafka.api.client");
        assert_eq!(line["attempt"], 3);
        assert_eq!(line["retry"], true);
        assert_eq!(line["tf_rpc"], "ApplyResourceChange");

        let stamp = line["@timestamp"].as_str().expect("timestamp string");
        let parsed = chrono::DateTime::parse_from_rfc3339(stamp).expect("RFC 3339");
        let age = chrono::Utc::now().signed_duration_since(parsed);
        assert!(age.num_seconds().abs() < 60, "{stamp}");
        // Microsecond precision and a literal Z, like 2026-11-27T10:00:00.000000Z.
        assert_eq!(stamp.len(), "2026-11-27T10:00:00.000000Z".len(), "{stamp}");
        assert!(stamp.ends_with('Z'));
    }

    #[test]
    fn secret_looking_fields_are_masked() {
        let lines = capture(LevelFilter::TRACE, || {
            let span = tracing::debug_span!("call", security_token = "sts-abc");
            let _entered = span.enter();
            tracing::error!(
                access_key_secret = "hunter2",
                Signature = "c2ln",
                db_password = %"pw",
                region = "cn-hangzhou",
                "request failed"
            );
        });
        let text = serde_json::to_string(&lines).expect("json");
        for secret in ["hunter2", "c2ln", "\"pw\"", "sts-abc"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let line = &lines[0];
        assert_eq!(line["access_key_secret"], "***");
        assert_eq!(line["Signature"], "***");
        assert_eq!(line["db_password"], "***");
        assert_eq!(line["security_token"], "***");
        assert_eq!(line["region"], "cn-hangzhou");
    }

    #[test]
    fn level_filter_drops_quieter_events() {
        let lines = capture(LevelFilter::INFO, || {
            tracing::debug!("hidden");
            tracing::info!("shown");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["@message"], "shown");
        assert_eq!(lines[0]["@level"], "info");
    }

    #[test]
    fn dependencies_are_capped_at_info() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(HclogLayer::new(buffer.clone()).with_filter(log_filter(LevelFilter::TRACE)));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "h2::codec", "frame noise");
            tracing::info!(target: "hyper::server", "dependency info");
            tracing::trace!(target: "alikafka::api", "our trace");
        });
        let text = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf8");
        assert!(!text.contains("frame noise"), "{text}");
        assert!(text.contains("dependency info"), "{text}");
        assert!(text.contains("our trace"), "{text}");

        let quiet = log_filter(LevelFilter::WARN);
        assert!(!quiet.would_enable("alikafka::api", &Level::INFO));
        assert!(quiet.would_enable("alikafka::api", &Level::WARN));
        assert!(!quiet.would_enable("hyper", &Level::INFO));
    }

    #[test]
    fn levels_follow_terraform_variables() {
        assert_eq!(level_from_env(None, None), LevelFilter::WARN);
        assert_eq!(level_from_env(None, Some("debug")), LevelFilter::DEBUG);
        assert_eq!(
            level_from_env(Some("ERROR"), Some("TRACE")),
            LevelFilter::ERROR
        );
        assert_eq!(level_from_env(Some(""), Some("Info")), LevelFilter::INFO);
        assert_eq!(level_from_env(None, Some("JSON")), LevelFilter::TRACE);
        assert_eq!(level_from_env(Some("off"), None), LevelFilter::OFF);
        assert_eq!(level_from_env(None, Some("1")), LevelFilter::TRACE);
        assert_eq!(level_from_env(Some("warn"), None), LevelFilter::WARN);
    }
}
