//! ValidateActionConfig, PlanAction and InvokeAction. An invocation runs in its own task
//! and streams its progress; the stream always ends with exactly one completed event
//! carrying the diagnostics (an event with nothing set would crash Terraform), also after
//! an error or a panic. Terraform closing the stream cancels the action's context.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;
use tracing::Instrument;

use super::guard::panic_message;
use super::{decode_dynamic, ProviderServer};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validate::validate_config;
use crate::tfplugin::framework::{Action, ActionProgress, Context, ProviderDef};
use crate::tfplugin::proto::tfplugin6 as pb;

/// Progress events buffered between the action and Terraform.
const STREAM_BUFFER: usize = 16;

fn completed(diagnostics: &Diagnostics) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(pb::invoke_action::event::Type::Completed(
            pb::invoke_action::event::Completed {
                diagnostics: diagnostics.to_proto(),
            },
        )),
    }
}

impl<P: ProviderDef> ProviderServer<P> {
    /// The action's config, decoded and validated by its attribute validators.
    fn action_config(
        &self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
    ) -> Result<(Arc<dyn Action>, Value, Diagnostics), Diagnostics> {
        let action = self.action(type_name)?;
        let config = decode_dynamic(config, &action.value_type, "action configuration")?;
        let diagnostics = validate_config(&action.schema.block, &config);
        Ok((Arc::clone(&action.implementation), config, diagnostics))
    }

    pub(super) async fn validate_action(
        &self,
        ctx: &Context,
        req: &pb::validate_action_config::Request,
    ) -> Result<Diagnostics, Diagnostics> {
        let (action, config, mut diagnostics) =
            self.action_config(&req.type_name, req.config.as_ref())?;
        diagnostics.extend(action.validate(ctx, &config).await);
        Ok(diagnostics)
    }

    pub(super) async fn plan_action_config(
        &self,
        ctx: &Context,
        req: &pb::plan_action::Request,
    ) -> Result<Diagnostics, Diagnostics> {
        let (action, config, mut diagnostics) =
            self.action_config(&req.action_type, req.config.as_ref())?;
        if diagnostics.has_errors() {
            return Ok(diagnostics);
        }
        diagnostics.extend(action.plan(ctx, &config).await);
        Ok(diagnostics)
    }

    /// Starts an invocation; its progress and completion come out of the stream.
    pub(super) fn invoke(
        &self,
        req: pb::invoke_action::Request,
    ) -> BoxStream<pb::invoke_action::Event> {
        let (events, received) = mpsc::channel(STREAM_BUFFER);
        match self.action_config(&req.action_type, req.config.as_ref()) {
            Err(diagnostics) => {
                let _ = events.try_send(completed(&diagnostics));
            }
            Ok((_, _, diagnostics)) if diagnostics.has_errors() => {
                let _ = events.try_send(completed(&diagnostics));
            }
            Ok((action, config, mut diagnostics)) => {
                let span =
                    tracing::debug_span!("rpc", rpc = "InvokeAction", type_name = %req.action_type);
                let ctx = Context::new(self.current_stop_token().child_token(), span.clone());
                let events = events.clone();
                tokio::spawn(
                    async move {
                        let started = std::time::Instant::now();
                        let progress = ActionProgress::new(events.clone());
                        let running = AssertUnwindSafe(action.invoke(&ctx, &config, &progress))
                            .catch_unwind();
                        tokio::pin!(running);
                        let outcome = tokio::select! {
                            outcome = &mut running => outcome,
                            () = events.closed() => {
                                ctx.cancellation_token().cancel();
                                running.await
                            }
                        };
                        match outcome {
                            Ok(Ok(())) => {}
                            Ok(Err(d)) => diagnostics.extend(d),
                            Err(payload) => {
                                tracing::error!("action code panicked");
                                diagnostics.push(Diagnostic::error(
                                    format!(
                                        "internal provider error (this is a bug): {}",
                                        panic_message(payload.as_ref())
                                    ),
                                    "The provider panicked while running the action. Please \
                                     report this to the provider's maintainers.",
                                ));
                            }
                        }
                        diagnostics.extend(ctx.take_reported());
                        let _ = events.send(completed(&diagnostics)).await;
                        tracing::debug!(
                            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                            "action finished"
                        );
                    }
                    .instrument(span),
                );
            }
        }
        drop(events);
        Box::pin(ReceiverStream::new(received).map(Ok))
    }
}
