//! How API failures and waits that ran out read in Terraform's output.

use std::time::Duration;

use crate::api::ApiError;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};

/// An API failure: `summary` says what we were doing; the detail names the action, the
/// service's code and message, the RequestId (the API error's Display) and a hint.
pub fn api_error(summary: impl Into<String>, error: &ApiError) -> Diagnostic {
    let mut detail = format!("{error}.");
    if let Some(hint) = error.hint() {
        detail.push_str("\n\nHint: ");
        detail.push_str(hint);
        detail.push('.');
    }
    Diagnostic::error(summary, detail)
}

/// [`api_error`] for a call in `region`. An instance the service did not find is named
/// with the region: the commonest cause is an instance of another region.
pub fn api_error_in(summary: impl Into<String>, error: &ApiError, region: &str) -> Diagnostic {
    if !instance_not_found(error) {
        return api_error(summary, error);
    }
    Diagnostic::error(
        summary,
        format!(
            "{error}.\n\nHint: not found in {region}: the instance does not exist in the \
             provider's region, or belongs to another account. An instance of another region \
             needs a provider configuration for that region (a provider block with an alias)."
        ),
    )
}

/// Whether the service did not find the instance a call named.
pub fn instance_not_found(error: &ApiError) -> bool {
    error.is_not_found() && error.code.to_ascii_uppercase().contains("INSTANCE")
}

/// [`api_error`] as a collection.
pub fn api_errors(summary: impl Into<String>, error: &ApiError) -> Diagnostics {
    api_error(summary, error).into()
}

/// A wait for the service to show a change that ran out of time.
pub fn timed_out(what: &str, limit: Duration, operation: &str, last_seen: &str) -> Diagnostics {
    Diagnostics::error(
        format!("Timed out waiting for {what}"),
        format!(
            "The {operation} was sent, but after {} the service still showed {last_seen}. It may \
             still complete: the next plan shows where it stands. To wait longer, raise \
             timeouts.{operation} on the resource.",
            humantime::format_duration(round_to_seconds(limit))
        ),
    )
}

fn round_to_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_millis() >= 500))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_name_action_code_request_id_and_hint() {
        let mut error = ApiError::new(
            "CreateTopic",
            Some(400),
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
        error.request_id = Some("REQ-1".into());
        let d = api_error("Cannot create topic orders", &error);
        assert_eq!(d.summary, "Cannot create topic orders");
        for needle in [
            "CreateTopic",
            "SignatureDoesNotMatch",
            "REQ-1",
            "secret key",
        ] {
            assert!(d.detail.contains(needle), "{needle}: {}", d.detail);
        }
    }

    #[test]
    fn timeouts_say_what_was_seen_and_what_to_raise() {
        let d = timed_out(
            "topic orders to be in service",
            Duration::from_millis(90_400),
            "create",
            "status 1",
        );
        let d = d.iter().next().expect("one diagnostic");
        assert!(d.detail.contains("after 1m 30s"), "{}", d.detail);
        assert!(d.detail.contains("timeouts.create"), "{}", d.detail);
        assert!(d.detail.contains("status 1"), "{}", d.detail);
    }
}
