//! cty numbers as they cross the wire: integers, binary floats, and decimal text.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

/// A cty number. Terraform sends a number as a msgpack integer when it is an `i64`, as a
/// float when a `f64` holds it exactly, and otherwise as decimal text (e.g. `"0.1"`, whose
/// binary float would not compare equal to the configured value). Keeping that text lets a
/// value round-trip unchanged.
///
/// Invariants (kept by the constructors, so derived equality is numeric equality):
/// `Float` is never NaN and never an integer that fits `i64`; `Decimal` is valid decimal
/// syntax that is not an `i64`.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    Decimal(String),
}

fn decimal_syntax() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Invariant: the pattern is a constant, valid regex (exercised by the tests).
    RE.get_or_init(|| {
        Regex::new(r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$").expect("constant regex is valid")
    })
}

impl Number {
    /// A float; `None` for NaN (cty has no NaN). Integral values become `Int`.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        // 2^63 is the first float above i64::MAX; -2^63 is i64::MIN exactly.
        if f.fract() == 0.0
            && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
        {
            return Some(Number::Int(f as i64));
        }
        Some(Number::Float(f))
    }

    /// An unsigned integer: exact as `Int` or `Float` when possible, else decimal text.
    pub fn from_u64(u: u64) -> Number {
        if let Ok(i) = i64::try_from(u) {
            return Number::Int(i);
        }
        let f = u as f64;
        // Exact when converting back gives the same integer (2^64 itself saturates).
        if f < 18_446_744_073_709_551_616.0 && f as u64 == u {
            Number::Float(f)
        } else {
            Number::Decimal(u.to_string())
        }
    }

    /// Parses decimal text such as `"12"`, `"-0.5"`, `"1e400"`; `None` if it is not a number.
    pub fn parse(text: &str) -> Option<Number> {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Number::Int(i));
        }
        if decimal_syntax().is_match(text) {
            return Some(Number::Decimal(text.to_owned()));
        }
        // Infinities are numbers in cty.
        match text {
            "Infinity" | "+Inf" | "inf" => Some(Number::Float(f64::INFINITY)),
            "-Infinity" | "-Inf" | "-inf" => Some(Number::Float(f64::NEG_INFINITY)),
            _ => None,
        }
    }

    /// The value as `i64` when it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(_) => None,
            Number::Decimal(text) => {
                let f = text.parse::<f64>().ok()?;
                match Number::from_f64(f)? {
                    Number::Int(i) => Some(i),
                    _ => None,
                }
            }
        }
    }

    /// The nearest `f64`.
    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::Float(f) => *f,
            // The text matched the decimal syntax, which Rust's float parser accepts.
            Number::Decimal(text) => text.parse::<f64>().unwrap_or(f64::NAN),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i)
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Number {
        Number::Int(i.into())
    }
}

impl From<u32> for Number {
    fn from(i: u32) -> Number {
        Number::Int(i.into())
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(text) => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_become_integers() {
        assert_eq!(Number::from_f64(3.0), Some(Number::Int(3)));
        assert_eq!(Number::from_f64(-0.0), Some(Number::Int(0)));
        assert_eq!(Number::from_f64(2.5), Some(Number::Float(2.5)));
        assert_eq!(Number::from_f64(1e19), Some(Number::Float(1e19)));
        assert_eq!(
            Number::from_f64(-9_223_372_036_854_775_808.0),
            Some(Number::Int(i64::MIN))
        );
        assert_eq!(Number::from_f64(f64::NAN), None);
    }

    #[test]
    fn unsigned_values_beyond_i64_stay_exact() {
        assert_eq!(Number::from_u64(7), Number::Int(7));
        assert_eq!(
            Number::from_u64(1 << 63),
            Number::Float(9.223372036854776e18)
        );
        assert_eq!(
            Number::from_u64(u64::MAX),
            Number::Decimal("18446744073709551615".into())
        );
    }

    #[test]
    fn decimal_text_is_kept() {
        assert_eq!(Number::parse("42"), Some(Number::Int(42)));
        assert_eq!(Number::parse("0.1"), Some(Number::Decimal("0.1".into())));
        assert_eq!(
            Number::parse("1e400"),
            Some(Number::Decimal("1e400".into()))
        );
        assert_eq!(Number::parse("1.5e3").and_then(|n| n.as_i64()), Some(1500));
        assert_eq!(Number::parse("abc"), None);
        assert_eq!(Number::parse("1."), None);
        assert_eq!(Number::parse(""), None);
        assert!((Number::Decimal("0.1".into()).as_f64() - 0.1).abs() < f64::EPSILON);
    }
}
