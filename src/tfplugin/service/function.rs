//! GetFunctions and CallFunction: provider-defined functions, callable before the provider
//! is configured. CallFunction has no diagnostics, only one error with an argument index,
//! so a panic becomes such an error here rather than in the common guard.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::guard::panic_message;
use super::{decode_dynamic, encode_dynamic, ProviderServer};
use crate::tfplugin::cty::Value;
use crate::tfplugin::framework::function::check_arguments;
use crate::tfplugin::framework::{FunctionError, ProviderDef};
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: ProviderDef> ProviderServer<P> {
    pub(super) fn function_signatures(&self) -> pb::get_functions::Response {
        pb::get_functions::Response {
            functions: self.schema_response.functions.clone(),
            diagnostics: Vec::new(),
        }
    }

    pub(super) fn call(&self, req: &pb::call_function::Request) -> pb::call_function::Response {
        let started = std::time::Instant::now();
        let outcome = self.call_checked(req);
        tracing::debug!(
            rpc = "CallFunction",
            function = req.name.as_str(),
            ok = outcome.is_ok(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "rpc finished"
        );
        match outcome {
            Ok(result) => pb::call_function::Response {
                result: Some(result),
                error: None,
            },
            Err(error) => pb::call_function::Response {
                result: None,
                error: Some(error.to_proto()),
            },
        }
    }

    fn call_checked(
        &self,
        req: &pb::call_function::Request,
    ) -> Result<pb::DynamicValue, FunctionError> {
        let function = self.functions.get(&req.name).ok_or_else(|| {
            FunctionError::new(format!("This provider has no function {:?}.", req.name))
        })?;
        let signature = &function.signature;
        let mut args = Vec::with_capacity(req.arguments.len());
        for (i, raw) in req.arguments.iter().enumerate() {
            let parameter = signature.parameter_at(i).ok_or_else(|| {
                FunctionError::new(format!(
                    "The function takes {} arguments, got {}.",
                    signature.parameters.len(),
                    req.arguments.len()
                ))
            })?;
            let value = decode_dynamic(Some(raw), &parameter.ty, "argument")
                .map_err(|d| FunctionError::argument(i, first_detail(&d)))?;
            args.push(value);
        }
        let result = if check_arguments(signature, &args)? {
            let implementation = &function.implementation;
            catch_unwind(AssertUnwindSafe(|| implementation.call(&args))).unwrap_or_else(
                |payload| {
                    let message = panic_message(payload.as_ref());
                    tracing::error!(function = req.name.as_str(), "function panicked");
                    Err(FunctionError::new(format!(
                        "internal provider error (this is a bug): the function panicked: {message}"
                    )))
                },
            )?
        } else {
            Value::Unknown
        };
        encode_dynamic(&result, &signature.return_type, "function result")
            .map_err(|d| FunctionError::new(first_detail(&d)))
    }
}

fn first_detail(diagnostics: &crate::tfplugin::diagnostics::Diagnostics) -> String {
    diagnostics
        .iter()
        .next()
        .map(|d| d.detail.clone())
        .unwrap_or_default()
}
