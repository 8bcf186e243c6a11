//! Domain types for the names the service accepts, validated once at the edge (plan time).

use std::fmt;

/// The longest topic or consumer group name the service keeps. Longer names are not
/// refused by the service: they are silently cut to this length, which would leave
/// Terraform with an endless diff, so we refuse them at plan time.
pub const MAX_NAME_LEN: usize = 64;
pub const MIN_NAME_LEN: usize = 3;
/// Remarks longer than this are refused by the service.
pub const MAX_REMARK_LEN: usize = 64;
pub const MIN_PARTITIONS: i64 = 1;
pub const MAX_PARTITIONS: i64 = 360;

/// A topic or consumer group name: 3 to 64 characters of `[A-Za-z0-9_-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KafkaName(String);

impl KafkaName {
    pub fn parse(raw: &str) -> Result<KafkaName, String> {
        let len = raw.chars().count();
        if len < MIN_NAME_LEN {
            return Err(format!(
                "must be at least {MIN_NAME_LEN} characters long, got {len}"
            ));
        }
        if len > MAX_NAME_LEN {
            return Err(format!(
                "must be at most {MAX_NAME_LEN} characters long, got {len}: the service would silently truncate it to its first {MAX_NAME_LEN} characters"
            ));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "may contain only letters, digits, '_' and '-', found {bad:?}"
            ));
        }
        Ok(KafkaName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KafkaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a remark's length the way the service counts it (characters, not bytes).
pub fn check_remark(raw: &str, allow_empty: bool) -> Result<(), String> {
    let len = raw.chars().count();
    if len == 0 && !allow_empty {
        return Err("must not be empty: the service requires a remark".to_string());
    }
    if len > MAX_REMARK_LEN {
        return Err(format!(
            "must be at most {MAX_REMARK_LEN} characters long, got {len}"
        ));
    }
    if let Some(bad) = raw.chars().find(|c| c.is_control()) {
        return Err(format!(
            "must not contain control characters, found {bad:?}"
        ));
    }
    Ok(())
}

/// The ID of a topic or consumer group in Terraform: `<instance_id>:<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectId {
    pub instance_id: String,
    pub name: KafkaName,
}

impl ObjectId {
    /// Parses an import ID. `what` names the second part (`topic`, `consumer_id`) so the
    /// error can show an example of the right form.
    pub fn parse(raw: &str, what: &str) -> Result<ObjectId, String> {
        let example = format!("alikafka_post-cn-xxxxxxxx:my-{}", what.replace('_', "-"));
        let (instance_id, name) = raw.split_once(':').ok_or_else(|| {
            format!("the ID {raw:?} is not of the form \"<instance_id>:<{what}>\", for example \"{example}\"")
        })?;
        if instance_id.trim().is_empty() || name.contains(':') {
            return Err(format!(
                "the ID {raw:?} is not of the form \"<instance_id>:<{what}>\", for example \"{example}\""
            ));
        }
        let name = KafkaName::parse(name)
            .map_err(|e| format!("the {what} in the ID {raw:?} is not valid: it {e}"))?;
        Ok(ObjectId {
            instance_id: instance_id.to_string(),
            name,
        })
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.instance_id, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_follow_the_service_rules() {
        assert!(KafkaName::parse("orders").is_ok());
        assert!(KafkaName::parse("a_b-C9").is_ok());
        assert!(KafkaName::parse(&"x".repeat(64)).is_ok());
        let long = KafkaName::parse(&"x".repeat(65)).unwrap_err();
        assert!(long.contains("silently truncate"), "{long}");
        assert!(KafkaName::parse("ab").unwrap_err().contains("at least 3"));
        assert!(KafkaName::parse("a.b.c").unwrap_err().contains("'.'"));
        assert!(KafkaName::parse("tópic").unwrap_err().contains("'ó'"));
    }

    #[test]
    fn remarks_are_limited_to_64_characters() {
        assert!(check_remark(&"é".repeat(64), false).is_ok());
        let too_long = check_remark(&"é".repeat(65), false).unwrap_err();
        assert!(too_long.contains("got 65"), "{too_long}");
        assert!(check_remark("", false).is_err());
        assert!(check_remark("", true).is_ok());
        assert!(check_remark("a\nb", true).unwrap_err().contains("control"));
    }

    #[test]
    fn object_ids_round_trip_and_explain_mistakes() {
        let id = ObjectId::parse("alikafka_post-cn-1:orders", "topic").unwrap();
        assert_eq!(id.instance_id, "alikafka_post-cn-1");
        assert_eq!(id.to_string(), "alikafka_post-cn-1:orders");
        let err = ObjectId::parse("orders", "topic").unwrap_err();
        assert!(err.contains("\"<instance_id>:<topic>\""), "{err}");
        assert!(err.contains("alikafka_post-cn-xxxxxxxx:my-topic"), "{err}");
        assert!(ObjectId::parse(":orders", "topic").is_err());
        assert!(ObjectId::parse("i:a:b", "topic").is_err());
        let short = ObjectId::parse("i:ab", "consumer_id").unwrap_err();
        assert!(short.contains("consumer_id"), "{short}");
    }

    proptest! {
        #[test]
        fn valid_names_parse(name in "[A-Za-z0-9_-]{3,64}") {
            let parsed = KafkaName::parse(&name).unwrap();
            prop_assert_eq!(parsed.as_str(), name.as_str());
        }

        #[test]
        fn parsing_never_panics(raw in "\\PC*") {
            let _ = KafkaName::parse(&raw);
            let _ = ObjectId::parse(&raw, "topic");
        }
    }
}
