//! ValidateListResourceConfig and ListResource: the listing runs in its own task and
//! streams one event per object through a bounded channel. Terraform closing the stream
//! (its limit reached, or the run stopped) cancels the listing's context, and the sink
//! refuses further objects; an error, or a panic, ends the stream with one error event.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;
use tracing::Instrument;

use super::guard::panic_message;
use super::identity::{derive_identity, encode_identity};
use super::{decode_dynamic, encode_dynamic, require_known, Identity, ProviderServer};
use crate::tfplugin::cty::Type;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validate::validate_config;
use crate::tfplugin::framework::write_only::null_write_only;
use crate::tfplugin::framework::{
    error_event, Context, ItemEncoder, ListItem, ListRequest, ListResource, ListSink, ProviderDef,
    Resource,
};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::Schema;

/// Events buffered between the listing and Terraform.
const STREAM_BUFFER: usize = 64;

impl<P: ProviderDef> ProviderServer<P> {
    pub(super) async fn validate_list(
        &self,
        ctx: &Context,
        req: &pb::validate_list_resource_config::Request,
    ) -> Result<Diagnostics, Diagnostics> {
        let list = self.list_resource(&req.type_name)?;
        let config = decode_dynamic(req.config.as_ref(), &list.value_type, "list configuration")?;
        let mut diagnostics = validate_config(&list.schema.block, &config);
        diagnostics.extend(list.implementation.validate(ctx, &config).await);
        Ok(diagnostics)
    }

    /// Starts a listing; its events, or one error event, come out of the stream.
    pub(super) fn list(
        &self,
        req: pb::list_resource::Request,
    ) -> BoxStream<pb::list_resource::Event> {
        let (events, received) = mpsc::channel(STREAM_BUFFER);
        if let Err(diagnostics) = self.start_listing(req, events.clone()) {
            // The channel is fresh and has room: the error is the stream's only event.
            let _ = events.try_send(error_event(&diagnostics));
        }
        drop(events);
        Box::pin(ReceiverStream::new(received).map(Ok))
    }

    fn start_listing(
        &self,
        req: pb::list_resource::Request,
        events: mpsc::Sender<pb::list_resource::Event>,
    ) -> Result<(), Diagnostics> {
        let list = self.list_resource(&req.type_name)?;
        let resource = self.resource(&req.type_name)?;
        let identity = resource.identity.clone().ok_or_else(|| {
            Diagnostics::error(
                "Internal provider error (this is a bug)",
                format!(
                    "Resource type {} has no identity to list by.",
                    req.type_name
                ),
            )
        })?;
        let config = decode_dynamic(req.config.as_ref(), &list.value_type, "list configuration")?;
        let list_request = ListRequest {
            config,
            include_resource_object: req.include_resource_object,
            limit: req.limit,
        };
        let encode = item_encoder(
            Arc::clone(&resource.implementation),
            Arc::clone(&resource.schema),
            resource.value_type.clone(),
            resource.has_write_only,
            identity,
        );
        let span = tracing::debug_span!("rpc", rpc = "ListResource", type_name = %req.type_name);
        let ctx = Context::new(self.current_stop_token().child_token(), span.clone());
        let implementation: Arc<dyn ListResource> = Arc::clone(&list.implementation);
        tokio::spawn(
            async move {
                let started = std::time::Instant::now();
                let mut sink = ListSink::new(events.clone(), &list_request, encode);
                let listing = AssertUnwindSafe(implementation.list(&ctx, &list_request, &mut sink))
                    .catch_unwind();
                tokio::pin!(listing);
                let outcome = tokio::select! {
                    outcome = &mut listing => outcome,
                    () = events.closed() => {
                        // Terraform has what it wants: let the listing stop at its next step.
                        ctx.cancellation_token().cancel();
                        listing.await
                    }
                };
                let mut diagnostics = ctx.take_reported();
                match outcome {
                    Ok(Ok(())) => {}
                    Ok(Err(d)) => diagnostics.extend(d),
                    Err(payload) => {
                        tracing::error!("list resource code panicked");
                        diagnostics.push(Diagnostic::error(
                            format!(
                                "internal provider error (this is a bug): {}",
                                panic_message(payload.as_ref())
                            ),
                            "The provider panicked while listing. Please report this to the \
                             provider's maintainers.",
                        ));
                    }
                }
                if !diagnostics.is_empty() && !events.is_closed() {
                    let _ = events.send(error_event(&diagnostics)).await;
                }
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                    "listing finished"
                );
            }
            .instrument(span),
        );
        Ok(())
    }
}

/// Turns a listed object into its event: identity (given, or derived from the state),
/// and the state when Terraform asked for it, write-only attributes nulled.
fn item_encoder(
    resource: Arc<dyn Resource>,
    schema: Arc<Schema>,
    value_type: Type,
    has_write_only: bool,
    identity: Arc<Identity>,
) -> ItemEncoder {
    Box::new(move |item: ListItem, include_state: bool| {
        let ListItem {
            display_name,
            mut state,
            identity: given,
            diagnostics,
        } = item;
        if let Some(state) = &mut state {
            if has_write_only {
                null_write_only(&schema.block, state);
            }
            require_known(state, "listed object").into_result()?;
        }
        let identity_value = match (given, &state) {
            (Some(mut given), _) => {
                given.conforms_to(&identity.value_type).map_err(|e| {
                    Diagnostics::error(
                        "Internal provider error (this is a bug)",
                        format!("A listed identity does not fit the identity schema: {e}."),
                    )
                })?;
                require_known(&mut given, "listed identity").into_result()?;
                given
            }
            (None, Some(state)) => derive_identity(&*resource, &identity, state, true)?,
            (None, None) => {
                return Err(Diagnostics::error(
                    "Internal provider error (this is a bug)",
                    format!(
                        "The listed object {display_name:?} has neither a state nor an identity."
                    ),
                ))
            }
        };
        let resource_object = match (include_state, &state) {
            (false, _) => None,
            (true, Some(state)) => Some(encode_dynamic(state, &value_type, "listed object")?),
            (true, None) => {
                return Err(Diagnostics::error(
                    "Internal provider error (this is a bug)",
                    format!(
                        "Terraform asked for the state of each object, and the listed object \
                         {display_name:?} came without one."
                    ),
                ))
            }
        };
        Ok(pb::list_resource::Event {
            identity: Some(encode_identity(
                &identity_value,
                &identity,
                "listed identity",
            )?),
            display_name,
            resource_object,
            diagnostic: diagnostics.to_proto(),
        })
    })
}
