//! RAM authorization of role sessions: the RAM action each API action needs (alikafka's
//! authorization tables name them `alikafka:ListTopic`, `alikafka:CreateGroup`, ...), action
//! patterns with `*`, session policies, and the service's permission error.

use serde_json::Value;

use crate::emulator::errors::ApiError;

/// The RAM action alikafka checks for an API action. Actions without an entry (added later)
/// need `alikafka:<Action>`, which `alikafka:*` and, for `Get*`/`List*`/`Describe*` names,
/// the read-only patterns cover.
pub fn ram_action(api_action: &str) -> String {
    let name = match api_action {
        "GetInstanceList" => "ListInstance",
        "GetTopicList" | "GetTopicStatus" | "GetQuotaTip" => "ListTopic",
        "CreateTopic" => "CreateTopic",
        "DeleteTopic" => "DeleteTopic",
        "ModifyTopicRemark" | "ModifyPartitionNum" | "UpdateTopicConfig" => "UpdateTopic",
        "GetConsumerList" | "GetConsumerProgress" => "ListGroup",
        "CreateConsumerGroup" => "CreateGroup",
        "DeleteConsumerGroup" => "DeleteGroup",
        "UpdateConsumerOffset" => "UpdateGroup",
        other => other,
    };
    format!("alikafka:{name}")
}

/// Whether `pattern` (case-insensitive, `*` for any run of characters) matches `action`.
pub fn pattern_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = action.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole action must have been the prefix.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A session policy (the `Policy` parameter): allow and deny statements on actions. Resources
/// and conditions are accepted but not evaluated (every alikafka resource matches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    allow: Vec<String>,
    deny: Vec<String>,
}

impl SessionPolicy {
    /// Parses a policy document; the error is `InvalidParameter.PolicyGrammar`.
    pub fn parse(text: &str) -> Result<SessionPolicy, ApiError> {
        let grammar = || {
            ApiError::new(
                "InvalidParameter.PolicyGrammar",
                400,
                "The parameter Policy has not passed grammar check.",
            )
        };
        let doc: Value = serde_json::from_str(text).map_err(|_| grammar())?;
        let statements = match doc.get("Statement") {
            Some(Value::Array(items)) => items.clone(),
            Some(item @ Value::Object(_)) => vec![item.clone()],
            _ => return Err(grammar()),
        };
        let mut policy = SessionPolicy {
            allow: Vec::new(),
            deny: Vec::new(),
        };
        for statement in statements {
            let actions = match statement.get("Action") {
                Some(Value::String(one)) => vec![one.clone()],
                Some(Value::Array(many)) => many
                    .iter()
                    .map(|a| a.as_str().map(str::to_string).ok_or_else(grammar))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => return Err(grammar()),
            };
            match statement.get("Effect").and_then(Value::as_str) {
                Some(e) if e.eq_ignore_ascii_case("allow") => policy.allow.extend(actions),
                Some(e) if e.eq_ignore_ascii_case("deny") => policy.deny.extend(actions),
                _ => return Err(grammar()),
            }
        }
        Ok(policy)
    }

    pub fn allows(&self, action: &str) -> bool {
        self.allow.iter().any(|p| pattern_matches(p, action))
            && !self.deny.iter().any(|p| pattern_matches(p, action))
    }
}

/// What a role session may do: the role's actions, narrowed by a session policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    pub role_actions: Vec<String>,
    pub policy: Option<SessionPolicy>,
}

impl Permissions {
    pub fn allows(&self, ram_action: &str) -> bool {
        self.role_actions
            .iter()
            .any(|p| pattern_matches(p, ram_action))
            && self.policy.as_ref().is_none_or(|p| p.allows(ram_action))
    }
}

/// alikafka's answer to a caller whose RAM permissions do not cover the action
/// (`AUTH_PERMISSION_CHECK_ERROR`, HTTP 400, in its error table).
pub fn permission_denied(ram_action: &str, principal: &str) -> ApiError {
    ApiError::new(
        "AUTH_PERMISSION_CHECK_ERROR",
        400,
        format!(
            "You are not authorized to do {ram_action}: the RAM policies of {principal} do not allow it. Please check and try again later."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_actions_map_to_alikafka_ram_actions() {
        assert_eq!(ram_action("GetTopicList"), "alikafka:ListTopic");
        assert_eq!(ram_action("GetConsumerProgress"), "alikafka:ListGroup");
        assert_eq!(ram_action("CreateConsumerGroup"), "alikafka:CreateGroup");
        assert_eq!(ram_action("ModifyPartitionNum"), "alikafka:UpdateTopic");
        assert_eq!(ram_action("GetAllowedIpList"), "alikafka:GetAllowedIpList");
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("alikafka:*", "alikafka:CreateTopic"));
        assert!(pattern_matches("alikafka:List*", "alikafka:ListTopic"));
        assert!(pattern_matches("ALIKAFKA:listtopic", "alikafka:ListTopic"));
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches("alikafka:*Topic", "alikafka:DeleteTopic"));
        assert!(pattern_matches("a*b*c", "aXXbYYc"));
        assert!(!pattern_matches("alikafka:List*", "alikafka:CreateTopic"));
        assert!(!pattern_matches(
            "alikafka:ListTopic",
            "alikafka:ListTopics"
        ));
        assert!(!pattern_matches("a*bc", "abc-bc-x"));
        assert!(!pattern_matches("ab*ba", "aba"));
    }

    #[test]
    fn read_only_roles_allow_reads_only() {
        let read_only = Permissions {
            role_actions: vec!["alikafka:List*".into(), "alikafka:Get*".into()],
            policy: None,
        };
        assert!(read_only.allows(&ram_action("GetTopicList")));
        assert!(read_only.allows(&ram_action("GetInstanceList")));
        assert!(!read_only.allows(&ram_action("CreateTopic")));
        assert!(!read_only.allows(&ram_action("DeleteConsumerGroup")));
    }

    #[test]
    fn session_policies_narrow_the_role() {
        let policy = SessionPolicy::parse(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"alikafka:*","Resource":"*"},
                {"Effect":"Deny","Action":["alikafka:Delete*"],"Resource":"*"}]}"#,
        )
        .unwrap();
        let narrowed = Permissions {
            role_actions: vec!["alikafka:*".into()],
            policy: Some(policy),
        };
        assert!(narrowed.allows("alikafka:CreateTopic"));
        assert!(!narrowed.allows("alikafka:DeleteTopic"));
        for bad in [
            "",
            "{",
            r#"{"Statement":[{"Effect":"Maybe","Action":"x"}]}"#,
            "[]",
        ] {
            assert_eq!(
                SessionPolicy::parse(bad).unwrap_err().code,
                "InvalidParameter.PolicyGrammar",
                "{bad}"
            );
        }
    }
}
