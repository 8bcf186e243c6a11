//! HTTP serving: the accept loop (hyper, HTTP/1.1), per-connection kill switches for
//! injected faults, and graceful shutdown that lets in-flight requests finish.

pub mod conn;
pub mod gateway;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::config::{ConfigError, EmulatorConfig};
use super::control;
use super::kafka;
use super::state::App;
use super::storage::StorageError;
use super::sts::standins;
use conn::{ConnectionControl, KillableStream};

/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Errors that stop the emulator.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error(
        "refusing to listen on non-loopback address {0}: the emulator has an unauthenticated control API; pass --allow-remote to do it anyway"
    )]
    RemoteNotAllowed(String),
}

/// The application router: the control API under `/_emulator`, the alikafka API for the rest.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .nest("/_emulator", control::router())
        .fallback(gateway::handle)
        .with_state(app)
}

/// Resolves and binds `config.listen`, enforcing the loopback rule (`--allow-remote`).
pub async fn bind(config: &EmulatorConfig) -> Result<TcpListener, ServeError> {
    bind_addr(&config.listen, config.allow_remote).await
}

/// Resolves and binds `listen`; a non-loopback address needs `allow_remote`.
pub async fn bind_addr(listen: &str, allow_remote: bool) -> Result<TcpListener, ServeError> {
    let listen_error = |source| ServeError::Listen {
        addr: listen.to_string(),
        source,
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(listen)
        .await
        .map_err(listen_error)?
        .collect();
    let Some(first) = addrs.first().copied() else {
        return Err(listen_error(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no address",
        )));
    };
    if addrs.iter().any(|a| !a.ip().is_loopback()) {
        if !allow_remote {
            return Err(ServeError::RemoteNotAllowed(listen.to_string()));
        }
        tracing::warn!(
            listen,
            "listening on a non-loopback address: anyone who can reach it can use the unauthenticated control API"
        );
    }
    TcpListener::bind(first).await.map_err(listen_error)
}

/// Serves until `shutdown` completes, then lets in-flight requests finish (up to 30 s).
/// The Kafka listeners bound with [`kafka::bind`] serve alongside and stop with it.
pub async fn serve(app: Arc<App>, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let kafka_stop = CancellationToken::new();
    kafka::start(&app, &kafka_stop);
    let router = router(app);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Usually out of file descriptors: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let control = ConnectionControl::default();
                let io = TokioIo::new(KillableStream::new(stream, control.clone()));
                let router = router.clone();
                let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(control.clone());
                    router.clone().oneshot(request.map(axum::body::Body::new))
                });
                let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    kafka_stop.cancel();
    tracing::info!("shutting down: waiting for in-flight requests");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after the grace period");
    }
}

/// Opens state, binds the stand-ins and the Kafka listeners, prints nothing; for in-process
/// use (tests, embedding).
pub async fn run(
    config: EmulatorConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    config.validate()?;
    let standins = standins::bind(&config).await?;
    let app = Arc::new(App::new(config)?);
    let http = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: app.config.listen.clone(),
        source,
    })?;
    kafka::bind(&app, http).await?;
    if let Ok(urls) = standins.urls() {
        app.sts.set_urls(urls);
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let standins = tokio::spawn(standins.serve(Arc::clone(&app), async {
        let _ = stopped.await;
    }));
    serve(app, listener, shutdown).await;
    let _ = stop.send(());
    let _ = standins.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::config::DataLocation;
    use axum::http::{Request, StatusCode};

    fn app() -> Arc<App> {
        Arc::new(App::new(EmulatorConfig::embedded(DataLocation::Memory)).unwrap())
    }

    #[tokio::test]
    async fn serves_in_process_and_shuts_down_on_signal() {
        let mut config = EmulatorConfig::embedded(DataLocation::Memory);
        config.listen = "127.0.0.1:0".into();
        let listener = bind(&config).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(config, listener, async {
            let _ = stopped.await;
        }));
        let health = reqwest::get(format!("http://{addr}/_emulator/health"))
            .await
            .unwrap();
        assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert!(
            reqwest::get(format!("http://{addr}/_emulator/health"))
                .await
                .is_err(),
            "listener closed"
        );
    }

    #[tokio::test]
    async fn remote_addresses_need_the_flag() {
        let mut config = EmulatorConfig::embedded(DataLocation::Memory);
        config.listen = "0.0.0.0:0".into();
        assert!(matches!(
            bind(&config).await,
            Err(ServeError::RemoteNotAllowed(_))
        ));
        config.allow_remote = true;
        assert!(bind(&config).await.is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Arbitrary bytes in the query, body and signature headers always get a well-formed
        /// 4xx answer in the requested (or default) format.
        #[test]
        fn hostile_requests_get_well_formed_errors(
            query in "[A-Za-z0-9%&=+._~*!'()-]{0,200}",
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            auth in proptest::option::of("ACS3-[ -~]{0,80}"),
            json in proptest::bool::ANY,
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (status, content_type, bytes) = runtime.block_on(async {
                let format = if json { "Format=JSON&" } else { "" };
                let uri = format!("/?{format}{query}");
                let mut request = Request::builder()
                    .method("POST")
                    .uri(uri)
                    .header("content-type", "application/x-www-form-urlencoded");
                if let Some(auth) = &auth {
                    request = request.header("authorization", auth.as_str());
                }
                let request = request.body(axum::body::Body::from(body.clone())).unwrap();
                let response = router(app()).oneshot(request).await.unwrap();
                let status = response.status();
                let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
                (status, content_type, bytes)
            });
            proptest::prop_assert!(status.is_client_error(), "{status}");
            proptest::prop_assert!(status != StatusCode::OK);
            if content_type.starts_with("application/json") {
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                proptest::prop_assert!(v["Code"].is_string());
            } else {
                let text = String::from_utf8(bytes.to_vec()).unwrap();
                let mut reader = quick_xml::Reader::from_str(&text);
                loop {
                    match reader.read_event() {
                        Ok(quick_xml::events::Event::Eof) => break,
                        Ok(_) => {}
                        Err(e) => proptest::prop_assert!(false, "bad XML {e}: {text}"),
                    }
                }
                proptest::prop_assert!(text.contains("<Error>"));
            }
        }
    }
}
