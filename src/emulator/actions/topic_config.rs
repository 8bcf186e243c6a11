//! Topic settings as a reserved (non-serverless) instance documents them: the keys a client
//! may set on a local-storage topic, their ranges and values, and the whole configuration
//! the service reports (`TopicConfig`, a JSON object text whose values are all strings,
//! including keys the service adds by itself).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::emulator::errors::ApiError;
use crate::emulator::state::Instance;
use crate::emulator::storage::topics::TopicRecord;

pub const RETENTION_MS: &str = "retention.ms";
pub const MAX_MESSAGE_BYTES: &str = "max.message.bytes";
pub const TIMESTAMP_TYPE: &str = "message.timestamp.type";
pub const TIMESTAMP_DIFFERENCE_MAX_MS: &str = "message.timestamp.difference.max.ms";

/// The keys a client may set (local-storage topics of reserved instances).
pub const SETTABLE: [&str; 4] = [
    RETENTION_MS,
    MAX_MESSAGE_BYTES,
    TIMESTAMP_TYPE,
    TIMESTAMP_DIFFERENCE_MAX_MS,
];

const RETENTION_RANGE: (i64, i64) = (3_600_000, 31_536_000_000);
const MESSAGE_BYTES_RANGE: (i64, i64) = (1_048_576, 10_485_760);
const TIMESTAMP_TYPES: [&str; 2] = ["CreateTime", "LogAppendTime"];
/// Kafka's default for `message.timestamp.difference.max.ms`: no limit.
const NO_LIMIT: &str = "9223372036854775807";
/// The message format the emulated broker writes (its Kafka version).
const MESSAGE_FORMAT_VERSION: &str = "2.2.0";

fn not_supported(key: &str) -> ApiError {
    ApiError::new(
        "InvalidParameter.NotSupport",
        400,
        format!(
            "The topic config {key:?} is not supported. Supported configs: {}.",
            SETTABLE.join(", ")
        ),
    )
}

/// A cloud-storage topic's settings cannot be changed (UpdateTopicConfig).
pub fn cloud_topic_not_configurable() -> ApiError {
    ApiError::new(
        "InvalidParameter.NotSupport",
        400,
        "The configurations of topics that use cloud storage cannot be modified.",
    )
}

fn integer_in(key: &str, value: &str, (min, max): (i64, i64)) -> Result<String, ApiError> {
    match value.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
        _ => Err(ApiError::field_invalid(
            key,
            &format!("the value must be an integer from {min} to {max}"),
        )),
    }
}

/// Checks one setting; answers the value as the service keeps it (integers in canonical
/// decimal form).
pub fn validate(key: &str, value: &str) -> Result<String, ApiError> {
    match key {
        RETENTION_MS => integer_in(key, value, RETENTION_RANGE),
        MAX_MESSAGE_BYTES => integer_in(key, value, MESSAGE_BYTES_RANGE),
        TIMESTAMP_DIFFERENCE_MAX_MS => integer_in(key, value, (0, i64::MAX)),
        TIMESTAMP_TYPE if TIMESTAMP_TYPES.contains(&value) => Ok(value.to_owned()),
        TIMESTAMP_TYPE => Err(ApiError::field_invalid(
            key,
            "the value must be CreateTime or LogAppendTime",
        )),
        other => Err(not_supported(other)),
    }
}

/// CreateTopic's `Config`: a JSON object of settings (values as strings, numbers also
/// taken), each validated.
pub fn parse_config_param(text: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return Err(ApiError::field_invalid(
            "Config",
            "the value must be a JSON object",
        ));
    };
    let mut out = BTreeMap::new();
    for (key, value) in object {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(ApiError::field_invalid(
                    "Config",
                    &format!("the value of {key:?} must be a string"),
                ))
            }
        };
        let checked = validate(&key, &text)?;
        out.insert(key, checked);
    }
    Ok(out)
}

/// The whole configuration the service reports for a topic: the defaults (retention from
/// the instance's message retention), then what the client set, then the keys the service
/// adds by itself (replication, minimum in-sync replicas, message format).
pub fn reported(instance: &Instance, topic: &TopicRecord) -> BTreeMap<String, String> {
    let retention_ms = instance.msg_retain_hours().saturating_mul(3_600_000);
    let mut out: BTreeMap<String, String> = BTreeMap::from([
        (RETENTION_MS.to_owned(), retention_ms.to_string()),
        (
            MAX_MESSAGE_BYTES.to_owned(),
            MESSAGE_BYTES_RANGE.0.to_string(),
        ),
        (TIMESTAMP_TYPE.to_owned(), TIMESTAMP_TYPES[0].to_owned()),
        (TIMESTAMP_DIFFERENCE_MAX_MS.to_owned(), NO_LIMIT.to_owned()),
    ]);
    out.extend(topic.config.clone());
    out.insert(
        "replication-factor".into(),
        topic.replication_factor.to_string(),
    );
    out.insert(
        "min.insync.replicas".into(),
        topic.min_insync_replicas.to_string(),
    );
    out.insert(
        "message.format.version".into(),
        MESSAGE_FORMAT_VERSION.into(),
    );
    out
}

/// [`reported`] as the `TopicConfig` text.
pub fn reported_text(instance: &Instance, topic: &TopicRecord) -> String {
    // A map of strings always serializes.
    serde_json::to_string(&reported(instance, topic)).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_kept_canonically() {
        assert_eq!(validate(RETENTION_MS, " 86400000").unwrap(), "86400000");
        assert_eq!(validate(RETENTION_MS, "3600000").unwrap(), "3600000");
        assert!(validate(RETENTION_MS, "3599999").is_err());
        assert!(validate(RETENTION_MS, "31536000001").is_err());
        assert!(validate(RETENTION_MS, "1e7").is_err());
        assert_eq!(validate(MAX_MESSAGE_BYTES, "10485760").unwrap(), "10485760");
        assert!(validate(MAX_MESSAGE_BYTES, "10485761").is_err());
        assert_eq!(
            validate(TIMESTAMP_TYPE, "LogAppendTime").unwrap(),
            "LogAppendTime"
        );
        assert!(validate(TIMESTAMP_TYPE, "logappendtime").is_err());
        assert!(validate(TIMESTAMP_DIFFERENCE_MAX_MS, "-1").is_err());
        let err = validate("retention.hours", "24").unwrap_err();
        assert_eq!(err.code, "InvalidParameter.NotSupport");
        assert!(err.message.contains("retention.ms"), "{}", err.message);
        assert_eq!(
            validate(RETENTION_MS, "0").unwrap_err().code,
            "BIZ_FIELD_CHECK_INVALID"
        );
    }

    #[test]
    fn config_parameter_is_a_json_object() {
        let parsed =
            parse_config_param(r#"{"retention.ms":"86400000","max.message.bytes":1048576}"#)
                .unwrap();
        assert_eq!(parsed[RETENTION_MS], "86400000");
        assert_eq!(parsed[MAX_MESSAGE_BYTES], "1048576");
        for bad in [
            "[1]",
            "not json",
            r#"{"retention.ms":true}"#,
            r#"{"cleanup.policy":"compact"}"#,
        ] {
            assert!(parse_config_param(bad).is_err(), "{bad}");
        }
    }
}
