//! Where the plugin listens (a private unix socket, or loopback TCP), and how accepted
//! connections, with or without TLS, are handed to tonic.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use crate::tfplugin::handshake::{ListenAddr, PluginEnv};

/// A slow or silent peer must not hold a handshake slot forever.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Anything tonic can speak HTTP/2 over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// One accepted connection (plain or TLS, unix or TCP) behind a single type, so one
/// tonic server handles them all.
pub(crate) struct PluginStream(Box<dyn Io>);

impl Connected for PluginStream {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for PluginStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// A bound listener plus whatever must be cleaned up when it goes away.
pub(crate) struct Listener {
    inner: Inner,
    pub(crate) addr: ListenAddr,
    _socket: Option<SocketDir>,
}

enum Inner {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

impl Listener {
    /// A unix socket in a fresh private directory unless TCP is forced or unix sockets
    /// fail (e.g. a path too long); then the first free loopback port in the range.
    pub(crate) async fn bind(env: &PluginEnv) -> io::Result<Self> {
        #[cfg(unix)]
        if !env.force_tcp {
            match bind_unix(env) {
                Ok(listener) => return Ok(listener),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen on a unix socket; using TCP")
                }
            }
        }
        bind_tcp(env).await
    }

    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match &self.inner {
            Inner::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                // gRPC sends many small frames; don't let Nagle delay them.
                stream.set_nodelay(true)?;
                Ok(Box::new(stream))
            }
            #[cfg(unix)]
            Inner::Unix(listener) => {
                let (stream, _) = listener.accept().await?;
                Ok(Box::new(stream))
            }
        }
    }

    /// Accepts connections until `stop`, running TLS handshakes (when configured) in
    /// their own tasks, and yields ready connections for tonic. Connections that fail
    /// the handshake (e.g. a wrong client certificate) are logged and dropped.
    pub(crate) fn into_incoming(
        self,
        tls: Option<Arc<rustls::ServerConfig>>,
        stop: CancellationToken,
    ) -> tokio_stream::wrappers::ReceiverStream<io::Result<PluginStream>> {
        let (tx, rx) = mpsc::channel(16);
        let acceptor = tls.map(TlsAcceptor::from);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = stop.cancelled() => break,
                    accepted = self.accept() => accepted,
                };
                let io = match accepted {
                    Ok(io) => io,
                    Err(err) => {
                        // e.g. out of file descriptors: back off instead of spinning.
                        tracing::warn!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                match &acceptor {
                    None => {
                        if tx.send(Ok(PluginStream(io))).await.is_err() {
                            break;
                        }
                    }
                    Some(acceptor) => {
                        let acceptor = acceptor.clone();
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            let handshake =
                                tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io));
                            match handshake.await {
                                Ok(Ok(stream)) => {
                                    let _ = tx.send(Ok(PluginStream(Box::new(stream)))).await;
                                }
                                Ok(Err(err)) => {
                                    tracing::warn!(error = %err, "rejected a TLS connection")
                                }
                                Err(_) => tracing::warn!("TLS handshake timed out"),
                            }
                        });
                    }
                }
            }
            // Dropping the listener here closes it; the socket file goes with `self`.
            drop(self);
        });
        tokio_stream::wrappers::ReceiverStream::new(rx)
    }
}

async fn bind_tcp(env: &PluginEnv) -> io::Result<Listener> {
    let mut last_error = None;
    for port in env.port_range() {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => {
                let addr = ListenAddr::Tcp(listener.local_addr()?);
                return Ok(Listener {
                    inner: Inner::Tcp(listener),
                    addr,
                    _socket: None,
                });
            }
            Err(err) => last_error = Some(err),
        }
    }
    let range = env.port_range();
    Err(io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!(
            "no free TCP port on 127.0.0.1 between {} and {}{}",
            range.start(),
            range.end(),
            last_error
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default()
        ),
    ))
}

#[cfg(unix)]
fn bind_unix(env: &PluginEnv) -> io::Result<Listener> {
    let base = env
        .unix_socket_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let dir = SocketDir::create(&base)?;
    let listener = tokio::net::UnixListener::bind(&dir.socket)?;
    Ok(Listener {
        inner: Inner::Unix(listener),
        addr: ListenAddr::Unix(dir.socket.clone()),
        _socket: Some(dir),
    })
}

/// A private (0700) directory `plugin<random>` holding the socket; both are removed
/// when this is dropped.
#[cfg_attr(not(unix), allow(dead_code))]
struct SocketDir {
    dir: PathBuf,
    socket: PathBuf,
}

impl SocketDir {
    #[cfg(unix)]
    fn create(base: &std::path::Path) -> io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let mut last_error = None;
        for _ in 0..16 {
            let dir = base.join(format!("plugin{}", rand::random::<u32>()));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {
                    let socket = dir.join("provider.sock");
                    return Ok(Self { dir, socket });
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last_error = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("cannot create a socket directory")))
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}
