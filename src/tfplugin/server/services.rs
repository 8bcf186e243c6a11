//! go-plugin's side services, served next to the provider: the controller (Shutdown),
//! stdio (an idle stream) and the broker (accepted, never used by providers).

use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use crate::tfplugin::proto::plugin::{
    grpc_broker_server::GrpcBroker, grpc_controller_server::GrpcController,
    grpc_stdio_server::GrpcStdio, ConnInfo, Empty, StdioData,
};

/// A stream that yields nothing and ends when the server stops, so open streams never
/// hold up a graceful shutdown.
fn idle_until<T: Send + 'static>(stop: CancellationToken) -> BoxStream<T> {
    Box::pin(
        futures::stream::once(async move { stop.cancelled_owned().await })
            .filter_map(|()| async { None }),
    )
}

/// `plugin.GRPCController`: Terraform calls Shutdown when it is done with the provider.
pub(crate) struct Controller {
    pub(crate) stop: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("Terraform asked the provider to shut down");
        self.stop.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: our logs go to the real stderr, which Terraform reads anyway,
/// so the mirrored stream stays empty.
pub(crate) struct Stdio {
    pub(crate) stop: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<BoxStream<StdioData>>, Status> {
        Ok(Response::new(idle_until(self.stop.clone())))
    }
}

/// `plugin.GRPCBroker`: providers open no extra connections; drain what the host sends
/// and answer nothing.
pub(crate) struct Broker {
    pub(crate) stop: CancellationToken,
}

#[tonic::async_trait]
impl GrpcBroker for Broker {
    async fn start_stream(
        &self,
        request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<BoxStream<ConnInfo>>, Status> {
        let mut incoming = request.into_inner();
        let stop = self.stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    message = incoming.next() => match message {
                        Some(Ok(info)) => tracing::debug!(service_id = info.service_id, "ignoring a broker message"),
                        Some(Err(_)) | None => break,
                    },
                }
            }
        });
        Ok(Response::new(idle_until(self.stop.clone())))
    }
}

/// Turns a panic inside any handler into a gRPC `INTERNAL` error for that one call, so
/// the connection (and Terraform's whole run) survives a provider bug.
pub(crate) fn panic_to_status(
    payload: Box<dyn std::any::Any + Send + 'static>,
) -> tonic::codegen::http::Response<tonic::body::BoxBody> {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    tracing::error!(panic = %detail, "a provider call panicked; the provider keeps serving");
    Status::internal(
        "The provider hit an internal error (a bug) while handling this call; \
         the provider log has the details. Please report it.",
    )
    .into_http()
}
