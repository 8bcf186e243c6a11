//! Serving a provider to Terraform: handshake checks, listener, AutoMTLS, the gRPC
//! server with go-plugin's side services, shutdown and signals.
//!
//! The binary calls [`serve`]; tests call [`start`] to get the handshake line and the
//! address in-process instead of reading stdout.

mod listener;
mod services;

use std::io::{self, Write as _};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tower_http::catch_panic::CatchPanicLayer;

use crate::tfplugin::handshake::{self, HandshakeError, ListenAddr, PluginEnv};
use crate::tfplugin::proto::plugin::{
    grpc_broker_server::GrpcBrokerServer, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdioServer,
};
use crate::tfplugin::proto::tfplugin6::{
    self,
    provider_server::{Provider, ProviderServer},
};
use crate::tfplugin::tls::{self, TlsError};
use listener::Listener;

/// Terraform's own servers accept messages this large (schemas and states can be big).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// How long in-flight calls get to finish once shutdown starts. go-plugin kills the
/// process 2 s after asking it to stop, so finish well before that.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The provider's source address, e.g. `registry.terraform.io/alikafka/alikafka`;
    /// used in the `--debug` reattach line.
    pub provider_address: String,
    /// `--debug`: no cookie check, no TLS, a unix socket, and a `TF_REATTACH_PROVIDERS`
    /// line on stdout; serves until Ctrl-C.
    pub debug: bool,
    /// Cancelled when the server must stop: by Terraform (GRPCController.Shutdown), by
    /// SIGTERM (or Ctrl-C in debug mode), or by anyone holding a clone.
    pub stop: CancellationToken,
    /// The handshake environment; [`ServeOptions::new`] reads the process environment.
    pub env: PluginEnv,
}

impl ServeOptions {
    /// Options for a normal run under Terraform, reading the process environment.
    pub fn new(provider_address: impl Into<String>) -> Self {
        Self {
            provider_address: provider_address.into(),
            debug: false,
            stop: CancellationToken::new(),
            env: PluginEnv::from_process(),
        }
    }
}

/// Why serving failed. Every variant means exit code 1 ([`ServeError::exit_code`]); the
/// Display text is written for the person reading stderr.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen for Terraform: {0}")]
    Listen(#[source] io::Error),
    #[error("cannot write the handshake to stdout: {0}")]
    Stdout(#[source] io::Error),
    #[error("cannot handle signals: {0}")]
    Signals(#[source] io::Error),
    #[error("the gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("the gRPC server task ended abnormally: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl ServeError {
    /// The process exit code the binary should use.
    pub fn exit_code(&self) -> i32 {
        1
    }
}

/// Runs `provider` as a Terraform plugin until Terraform (or a signal, or `opts.stop`)
/// stops it: checks the handshake environment, listens, prints the handshake line (or,
/// with `opts.debug`, the `TF_REATTACH_PROVIDERS` line) on stdout, and serves.
///
/// On error nothing has been printed to stdout; print the error to stderr and exit with
/// [`ServeError::exit_code`].
pub async fn serve<P: Provider>(provider: P, opts: ServeOptions) -> Result<(), ServeError> {
    let debug = opts.debug;
    let provider_address = opts.provider_address.clone();
    let running = start(provider, opts).await?;
    if let Err(err) = watch_signals(running.stop.clone(), debug) {
        running.stop.cancel();
        let _ = running.wait().await;
        return Err(ServeError::Signals(err));
    }
    if !debug {
        watch_parent(running.stop.clone());
    }

    let announcement = if debug {
        format!(
            "Provider started in debug mode. To attach Terraform, run this in the shell \
             where you run Terraform:\n\n\t{}\n",
            handshake::reattach_line(&provider_address, running.addr(), std::process::id())
        )
    } else {
        running.handshake_line().to_string()
    };
    let printed = {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{announcement}").and_then(|()| stdout.flush())
    };
    if let Err(err) = printed {
        running.stop.cancel();
        let _ = running.wait().await;
        return Err(ServeError::Stdout(err));
    }

    running.wait().await
}

/// A server that is listening and serving. Dropping it does not stop it: cancel
/// [`RunningServer::stop_token`] (or call Shutdown) and [`RunningServer::wait`].
#[derive(Debug)]
pub struct RunningServer {
    addr: ListenAddr,
    server_cert_der: Option<Vec<u8>>,
    handshake_line: String,
    stop: CancellationToken,
    task: JoinHandle<Result<(), ServeError>>,
}

impl RunningServer {
    /// The go-plugin handshake line (`1|6|unix|/tmp/plugin…/provider.sock|grpc|CERT`).
    pub fn handshake_line(&self) -> &str {
        &self.handshake_line
    }

    pub fn addr(&self) -> &ListenAddr {
        &self.addr
    }

    /// The server certificate (DER) when serving TLS.
    pub fn server_cert_der(&self) -> Option<&[u8]> {
        self.server_cert_der.as_deref()
    }

    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Waits until the server has stopped and its socket is removed.
    pub async fn wait(self) -> Result<(), ServeError> {
        self.task.await?
    }
}

/// Checks the handshake environment, binds, and starts serving in a background task;
/// prints nothing. [`serve`] is this plus stdout and signals.
pub async fn start<P: Provider>(
    provider: P,
    opts: ServeOptions,
) -> Result<RunningServer, ServeError> {
    let ServeOptions {
        debug, stop, env, ..
    } = opts;
    if !debug && !env.has_magic_cookie() {
        return Err(HandshakeError::NotLaunchedByTerraform.into());
    }
    let protocol = if debug {
        handshake::PROTOCOL_VERSION
    } else {
        env.negotiate_protocol()?
    };

    // Debug mode is for a person with a debugger: plaintext, as go-plugin does.
    let (tls_config, server_cert_der) = match env.client_cert_pem.as_deref() {
        Some(client_pem) if !debug => {
            let identity = tls::ServerIdentity::generate()?;
            let config = tls::server_config(&identity, client_pem)?;
            (Some(config), Some(identity.cert_der.to_vec()))
        }
        _ => (None, None),
    };

    let listener = Listener::bind(&env).await.map_err(ServeError::Listen)?;
    let addr = listener.addr.clone();
    let handshake_line = handshake::handshake_line(protocol, &addr, server_cert_der.as_deref());
    tracing::debug!(%addr, tls = tls_config.is_some(), "plugin server listening");

    let incoming = listener.into_incoming(tls_config, stop.clone());
    let task = tokio::spawn(run(provider, incoming, stop.clone()));
    Ok(RunningServer {
        addr,
        server_cert_der,
        handshake_line,
        stop,
        task,
    })
}

async fn run<P: Provider>(
    provider: P,
    incoming: tokio_stream::wrappers::ReceiverStream<io::Result<listener::PluginStream>>,
    stop: CancellationToken,
) -> Result<(), ServeError> {
    let provider = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let server = Server::builder()
        .layer(CatchPanicLayer::custom(services::panic_to_status))
        .add_service(provider)
        .add_service(GrpcControllerServer::new(services::Controller {
            stop: stop.clone(),
        }))
        .add_service(GrpcStdioServer::new(services::Stdio { stop: stop.clone() }))
        .add_service(GrpcBrokerServer::new(services::Broker {
            stop: stop.clone(),
        }))
        .serve_with_incoming_shutdown(incoming, stop.clone().cancelled_owned());
    tokio::pin!(server);

    // Graceful shutdown waits for open calls; cap the wait so a stuck call cannot keep
    // the process alive until go-plugin has to kill it.
    let deadline = async {
        stop.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = &mut server => result?,
        () = deadline => tracing::warn!("calls still running at shutdown were abandoned"),
    }
    tracing::debug!("plugin server stopped");
    Ok(())
}

/// How often the provider checks that Terraform is still there.
#[cfg(unix)]
const PARENT_CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// Stops the server when the process that started it (Terraform) is gone: a Terraform
/// that crashed or was killed never calls Shutdown, and an orphaned provider would live
/// on, holding Terraform's output pipes open.
#[cfg(unix)]
fn watch_parent(stop: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PARENT_CHECK_INTERVAL);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {
                    if std::os::unix::process::parent_id() != parent {
                        tracing::warn!("Terraform is gone; shutting down");
                        stop.cancel();
                        break;
                    }
                }
            }
        }
    });
}

#[cfg(not(unix))]
fn watch_parent(_stop: CancellationToken) {}

/// SIGTERM stops the server. SIGINT stops it only in debug mode: under Terraform,
/// Ctrl-C reaches the whole process group and Terraform expects the provider to keep
/// serving and receive StopProvider, so it is swallowed.
#[cfg(unix)]
fn watch_signals(stop: CancellationToken, debug: bool) -> io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = terminate.recv() => {
                    tracing::info!("SIGTERM received; shutting down");
                    stop.cancel();
                    break;
                }
                _ = interrupt.recv() => {
                    if debug {
                        stop.cancel();
                        break;
                    }
                    tracing::debug!("ignoring SIGINT; Terraform sends StopProvider instead");
                }
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
fn watch_signals(stop: CancellationToken, debug: bool) -> io::Result<()> {
    if debug {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.cancel();
            }
        });
    }
    Ok(())
}

/// A provider with no resources: every call is `Unimplemented` except
/// GetProviderSchema (an empty schema). For tests of the wire layer.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct UnimplementedProvider;

#[tonic::async_trait]
impl Provider for UnimplementedProvider {
    async fn get_provider_schema(
        &self,
        _request: tonic::Request<tfplugin6::get_provider_schema::Request>,
    ) -> Result<tonic::Response<tfplugin6::get_provider_schema::Response>, tonic::Status> {
        Ok(tonic::Response::new(
            tfplugin6::get_provider_schema::Response {
                provider: Some(tfplugin6::Schema {
                    version: 0,
                    block: Some(tfplugin6::schema::Block::default()),
                }),
                ..Default::default()
            },
        ))
    }
}
