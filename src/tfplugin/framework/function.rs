//! Provider-defined functions (Terraform 1.8+): `provider::NAME::FUNCTION(...)`.
//!
//! A function is pure: the same arguments give the same result at plan and apply, it runs
//! before the provider is configured (also under `terraform test` with `mock_provider`),
//! and it calls no API. The framework checks argument count, types and nulls against the
//! signature before [`Function::call`] runs, and returns an unknown result for unknown
//! arguments unless the parameter allows them.

use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::Description;

/// One parameter of a function.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub ty: Type,
    /// Null arguments reach `call` instead of being refused.
    pub allow_null: bool,
    /// Unknown arguments reach `call` instead of making the result unknown.
    pub allow_unknown: bool,
    pub description: Description,
}

impl Parameter {
    pub fn new(name: impl Into<String>, ty: Type) -> Parameter {
        Parameter {
            name: name.into(),
            ty,
            allow_null: false,
            allow_unknown: false,
            description: Description::default(),
        }
    }

    pub fn string(name: impl Into<String>) -> Parameter {
        Parameter::new(name, Type::String)
    }

    pub fn allow_null(mut self) -> Parameter {
        self.allow_null = true;
        self
    }

    pub fn allow_unknown(mut self) -> Parameter {
        self.allow_unknown = true;
        self
    }

    pub fn description(mut self, text: impl Into<String>) -> Parameter {
        self.description = Description::plain(text);
        self
    }

    pub fn markdown_description(mut self, text: impl Into<String>) -> Parameter {
        self.description = Description::markdown(text);
        self
    }

    fn to_proto(&self) -> pb::function::Parameter {
        pb::function::Parameter {
            name: self.name.clone(),
            r#type: self.ty.to_json_bytes(),
            allow_null_value: self.allow_null,
            allow_unknown_values: self.allow_unknown,
            description: self.description.text.clone(),
            description_kind: kind(&self.description),
        }
    }
}

fn kind(description: &Description) -> i32 {
    if description.markdown {
        pb::StringKind::Markdown as i32
    } else {
        pb::StringKind::Plain as i32
    }
}

/// What a function takes and returns, and its documentation.
#[derive(Clone, Debug)]
pub struct Signature {
    pub parameters: Vec<Parameter>,
    /// Takes any number of further arguments of this parameter's type.
    pub variadic: Option<Parameter>,
    pub return_type: Type,
    /// One line, shown by editors.
    pub summary: String,
    pub description: Description,
    pub deprecation_message: String,
}

impl Signature {
    pub fn new(return_type: Type) -> Signature {
        Signature {
            parameters: Vec::new(),
            variadic: None,
            return_type,
            summary: String::new(),
            description: Description::default(),
            deprecation_message: String::new(),
        }
    }

    pub fn parameter(mut self, parameter: Parameter) -> Signature {
        self.parameters.push(parameter);
        self
    }

    pub fn variadic(mut self, parameter: Parameter) -> Signature {
        self.variadic = Some(parameter);
        self
    }

    pub fn summary(mut self, summary: impl Into<String>) -> Signature {
        self.summary = summary.into();
        self
    }

    pub fn markdown_description(mut self, text: impl Into<String>) -> Signature {
        self.description = Description::markdown(text);
        self
    }

    /// The parameter argument `index` binds to.
    pub fn parameter_at(&self, index: usize) -> Option<&Parameter> {
        self.parameters.get(index).or(self.variadic.as_ref())
    }

    pub fn to_proto(&self) -> pb::Function {
        pb::Function {
            parameters: self.parameters.iter().map(Parameter::to_proto).collect(),
            variadic_parameter: self.variadic.as_ref().map(Parameter::to_proto),
            r#return: Some(pb::function::Return {
                r#type: self.return_type.to_json_bytes(),
            }),
            summary: self.summary.clone(),
            description: self.description.text.clone(),
            description_kind: kind(&self.description),
            deprecation_message: self.deprecation_message.clone(),
        }
    }
}

/// A function's failure: Terraform shows `text`, pointing at argument `argument` (0-based)
/// when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

impl FunctionError {
    pub fn new(text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: None,
        }
    }

    /// An error about argument `index` (0-based).
    pub fn argument(index: usize, text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: Some(index),
        }
    }

    pub fn to_proto(&self) -> pb::FunctionError {
        pb::FunctionError {
            text: self.text.clone(),
            function_argument: self.argument.and_then(|i| i64::try_from(i).ok()),
        }
    }
}

/// A provider-defined function.
pub trait Function: Send + Sync + 'static {
    /// The name after `provider::<provider>::`, e.g. `"topic_id"`.
    fn name(&self) -> &'static str;

    /// Called once, when the server starts.
    fn signature(&self) -> Signature;

    /// Computes the result from arguments already checked against the signature (one per
    /// parameter, then the variadic ones). Must be pure: no API calls, no clock.
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

/// Checks arguments against a signature: count and nulls. `Ok(false)` when an argument
/// is unknown where its parameter does not allow that: the result is then unknown and
/// `call` is not run.
pub fn check_arguments(signature: &Signature, args: &[Value]) -> Result<bool, FunctionError> {
    let fixed = signature.parameters.len();
    if args.len() < fixed || (signature.variadic.is_none() && args.len() > fixed) {
        let expected = match &signature.variadic {
            Some(_) => format!("at least {fixed}"),
            None => fixed.to_string(),
        };
        return Err(FunctionError::new(format!(
            "The function takes {expected} argument{}, got {}.",
            if fixed == 1 && signature.variadic.is_none() {
                ""
            } else {
                "s"
            },
            args.len()
        )));
    }
    let mut all_known = true;
    for (i, arg) in args.iter().enumerate() {
        let Some(parameter) = signature.parameter_at(i) else {
            continue;
        };
        if arg.is_null() && !parameter.allow_null {
            return Err(FunctionError::argument(
                i,
                format!("Argument {:?} must not be null.", parameter.name),
            ));
        }
        if !arg.is_wholly_known() && !parameter.allow_unknown {
            all_known = false;
        }
    }
    Ok(all_known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature() -> Signature {
        Signature::new(Type::String)
            .parameter(Parameter::string("a"))
            .parameter(Parameter::string("b").allow_null())
            .summary("joins")
    }

    #[test]
    fn arguments_are_checked_against_the_signature() {
        let s = signature();
        assert_eq!(check_arguments(&s, &["x".into(), Value::Null]), Ok(true));
        assert_eq!(
            check_arguments(&s, &["x".into(), Value::Unknown]),
            Ok(false)
        );
        let null = check_arguments(&s, &[Value::Null, "y".into()]).unwrap_err();
        assert_eq!(null.argument, Some(0));
        assert!(
            null.text.contains("\"a\" must not be null"),
            "{}",
            null.text
        );
        let few = check_arguments(&s, &["x".into()]).unwrap_err();
        assert_eq!(few.text, "The function takes 2 arguments, got 1.");
        let variadic = Signature::new(Type::String).variadic(Parameter::string("parts"));
        assert_eq!(
            check_arguments(&variadic, &["a".into(), "b".into(), "c".into()]),
            Ok(true)
        );
    }

    #[test]
    fn converts_to_proto() {
        let p = signature().to_proto();
        assert_eq!(p.parameters.len(), 2);
        assert!(p.parameters[1].allow_null_value);
        assert_eq!(p.r#return.unwrap().r#type, br#""string""#.to_vec());
        assert_eq!(p.summary, "joins");
        let e = FunctionError::argument(1, "bad").to_proto();
        assert_eq!(e.function_argument, Some(1));
    }
}
