//! Runs each RPC body with a context, a tracing span, panic capture and timing.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures::FutureExt;
use tracing::Instrument;

use super::ProviderServer;
use crate::tfplugin::diagnostics::Diagnostic;
use crate::tfplugin::framework::{Context, ProviderDef};
use crate::tfplugin::proto::tfplugin6 as pb;

/// Responses that carry diagnostics.
pub(super) trait WithDiagnostics {
    fn diagnostics_mut(&mut self) -> &mut Vec<pb::Diagnostic>;
}

macro_rules! with_diagnostics {
    ($($module:ident),* $(,)?) => {
        $(impl WithDiagnostics for pb::$module::Response {
            fn diagnostics_mut(&mut self) -> &mut Vec<pb::Diagnostic> {
                &mut self.diagnostics
            }
        })*
    };
}

with_diagnostics!(
    get_metadata,
    get_provider_schema,
    validate_provider_config,
    validate_resource_config,
    validate_data_resource_config,
    upgrade_resource_state,
    get_resource_identity_schemas,
    upgrade_resource_identity,
    configure_provider,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    move_resource_state,
    read_data_source,
    generate_resource_config,
    validate_ephemeral_resource_config,
    open_ephemeral_resource,
    renew_ephemeral_resource,
    close_ephemeral_resource,
    validate_list_resource_config,
    get_functions,
    validate_state_store,
    configure_state_store,
    lock_state,
    unlock_state,
    get_states,
    delete_state,
    plan_action,
    validate_action_config,
);

/// The message of a panic payload (panics carry `&str` or `String`).
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_owned()
    }
}

impl<P: ProviderDef> ProviderServer<P> {
    /// Runs `body` for RPC `rpc` on `type_name`. A panic in `body` yields `on_panic` plus
    /// an error diagnostic; diagnostics the code reported through the context are added.
    pub(super) async fn guarded<R, F>(
        &self,
        rpc: &'static str,
        type_name: &str,
        on_panic: impl FnOnce() -> R,
        body: impl FnOnce(Context) -> F,
    ) -> Result<tonic::Response<R>, tonic::Status>
    where
        R: WithDiagnostics,
        F: Future<Output = R>,
    {
        let span = tracing::debug_span!("rpc", rpc, type_name);
        let ctx = Context::new(self.current_stop_token().child_token(), span.clone());
        let started = Instant::now();
        let outcome = AssertUnwindSafe(body(ctx.clone()).instrument(span.clone()))
            .catch_unwind()
            .await;
        let mut response = match outcome {
            Ok(response) => response,
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                tracing::error!(parent: &span, rpc, type_name, "provider code panicked");
                let mut response = on_panic();
                response.diagnostics_mut().push(
                    Diagnostic::error(
                        format!("internal provider error (this is a bug): {message}"),
                        format!(
                            "The provider panicked while handling {rpc}. Please report this \
                             to the provider's maintainers."
                        ),
                    )
                    .to_proto(),
                );
                response
            }
        };
        response
            .diagnostics_mut()
            .extend(ctx.take_reported().to_proto());
        tracing::debug!(
            parent: &span,
            rpc,
            type_name,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "rpc finished"
        );
        Ok(tonic::Response::new(response))
    }
}
