//! Attribute validators: checks of configured values, run by ValidateResourceConfig and
//! friends with the attribute's path so `terraform validate` points at the line.
//! They only see known, non-null values. Messages never echo the value (it may be secret).

use std::time::Duration;

use regex::Regex;

use crate::tfplugin::cty::Value;

/// A check of one configured value; `Err` holds a message for the user.
pub trait Validator: Send + Sync {
    fn validate(&self, value: &Value) -> Result<(), String>;

    /// What the validator requires, for documentation.
    fn description(&self) -> String {
        String::new()
    }
}

impl<F> Validator for F
where
    F: Fn(&Value) -> Result<(), String> + Send + Sync,
{
    fn validate(&self, value: &Value) -> Result<(), String> {
        self(value)
    }
}

/// A validator from a closure plus its description.
pub struct Described<F> {
    check: F,
    description: String,
}

impl<F> Validator for Described<F>
where
    F: Fn(&Value) -> Result<(), String> + Send + Sync,
{
    fn validate(&self, value: &Value) -> Result<(), String> {
        (self.check)(value)
    }

    fn description(&self) -> String {
        self.description.clone()
    }
}

fn described<F>(description: String, check: F) -> Described<F>
where
    F: Fn(&Value) -> Result<(), String> + Send + Sync,
{
    Described { check, description }
}

fn expect_str(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got a {}", value.kind_name()))
}

/// String length, in characters, within `min..=max`.
pub fn string_length(min: usize, max: usize) -> impl Validator {
    let description = format!("length between {min} and {max} characters");
    described(description.clone(), move |v: &Value| {
        let len = expect_str(v)?.chars().count();
        if (min..=max).contains(&len) {
            Ok(())
        } else {
            Err(format!("must be a string with {description}, got {len}"))
        }
    })
}

/// Whole string matches `pattern` (give the anchors yourself); `message` explains the rule.
/// An invalid pattern is a programming error reported on every use, not a panic.
pub fn regex_match(pattern: &str, message: impl Into<String>) -> impl Validator {
    let compiled = Regex::new(pattern).map_err(|e| e.to_string());
    let message = message.into();
    described(message.clone(), move |v: &Value| {
        let text = expect_str(v)?;
        match &compiled {
            Ok(re) if re.is_match(text) => Ok(()),
            Ok(_) => Err(message.clone()),
            Err(e) => Err(format!(
                "validator has an invalid pattern (provider bug): {e}"
            )),
        }
    })
}

/// A whole number within `min..=max`.
pub fn int_between(min: i64, max: i64) -> impl Validator {
    let description = format!("a whole number between {min} and {max}");
    described(description.clone(), move |v: &Value| {
        let number = v
            .as_number()
            .ok_or_else(|| format!("expected a number, got a {}", v.kind_name()))?;
        match number.as_i64() {
            Some(i) if (min..=max).contains(&i) => Ok(()),
            Some(i) => Err(format!("must be {description}, got {i}")),
            None => Err(format!("must be {description}, got a fraction")),
        }
    })
}

/// One of the given strings.
pub fn one_of(allowed: &[&str]) -> impl Validator {
    let allowed: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
    let description = format!("one of {}", quoted_list(&allowed));
    described(description.clone(), move |v: &Value| {
        let text = expect_str(v)?;
        if allowed.iter().any(|a| a == text) {
            Ok(())
        } else {
            Err(format!("must be {description}"))
        }
    })
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A duration such as `"10m"`, `"1h30s"` or `"1.5h"` (see [`parse_duration`]).
pub fn duration() -> impl Validator {
    described(
        "a duration such as \"30s\", \"10m\" or \"1h30m\"".to_owned(),
        |v: &Value| parse_duration(expect_str(v)?).map(|_| ()),
    )
}

/// Parses a duration in Go's `time.ParseDuration` form (`"1h30m"`, `"1.5h"`, `"300ms"`,
/// units ns, us, µs, ms, s, m, h), which Terraform users know from other providers, or in
/// humantime's form (`"2days 3h"`). Negative durations are refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse_go_duration(text)
        .or_else(|| humantime::parse_duration(text).ok())
        .ok_or_else(|| format!("{text:?} is not a duration such as \"30s\", \"10m\" or \"1h30m\""))
}

/// Go-style durations; humantime has no fractions ("1.5h"), hence this small parser.
fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let amount: f64 = number.parse().ok()?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let seconds = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += amount * seconds;
        rest = after;
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_length_counts_characters() {
        let v = string_length(3, 5);
        assert!(v.validate(&"abc".into()).is_ok());
        assert!(v.validate(&"äöüäö".into()).is_ok());
        assert_eq!(
            v.validate(&"ab".into()).unwrap_err(),
            "must be a string with length between 3 and 5 characters, got 2"
        );
        assert!(v.validate(&Value::from(3)).is_err());
    }

    #[test]
    fn regex_and_one_of() {
        let v = regex_match("^[a-z]+$", "lowercase letters only");
        assert!(v.validate(&"abc".into()).is_ok());
        assert_eq!(
            v.validate(&"aBc".into()).unwrap_err(),
            "lowercase letters only"
        );
        let broken = regex_match("(", "x");
        assert!(broken
            .validate(&"abc".into())
            .unwrap_err()
            .contains("provider bug"));
        let v = one_of(&["a", "b"]);
        assert!(v.validate(&"b".into()).is_ok());
        assert_eq!(
            v.validate(&"c".into()).unwrap_err(),
            r#"must be one of "a", "b""#
        );
    }

    #[test]
    fn int_between_refuses_fractions_and_out_of_range() {
        let v = int_between(1, 10);
        assert!(v.validate(&Value::from(10)).is_ok());
        assert!(v.validate(&Value::from(11)).unwrap_err().contains("got 11"));
        let half = Value::Number(crate::tfplugin::cty::Number::Float(1.5));
        assert!(v.validate(&half).unwrap_err().contains("fraction"));
    }

    #[test]
    fn durations_go_style_and_humantime() {
        let d = |s: &str| parse_duration(s);
        assert_eq!(d("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(d("1h30s"), Ok(Duration::from_secs(3630)));
        assert_eq!(d("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(d("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(d("0"), Ok(Duration::ZERO));
        assert_eq!(d("2days"), Ok(Duration::from_secs(2 * 86400)));
        for bad in ["", "10", "-5m", "1x", "m", "1..5h", "abc"] {
            assert!(d(bad).is_err(), "{bad}");
        }
        assert!(duration().validate(&"5m".into()).is_ok());
        assert!(duration().validate(&"soon".into()).is_err());
    }
}
