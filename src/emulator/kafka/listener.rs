//! Binding each instance's Kafka listener and running the accept loops, with the group
//! coordinator's session reaper and the retention sweep beside them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::conn;
use super::security::SecurityProtocol;
use super::Endpoints;
use crate::emulator::actions::topic_config;
use crate::emulator::server::{bind_addr, ServeError};
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::kafka_log;
use crate::emulator::storage::topics::{self, TopicRecord};

/// A bound, not yet serving, listener.
pub struct Bound {
    pub listener: TcpListener,
    pub info: Arc<conn::ListenerInfo>,
}

/// Where each instance's listener should go, and whether the address was derived (then a
/// busy port falls back to a free one rather than failing the start).
fn planned(app: &App, http: SocketAddr) -> Result<Vec<(String, String, bool)>, ServeError> {
    let config = &app.config;
    let (host, base_port, derived) = match &config.kafka_listen {
        Some(addr) => {
            let (host, port) = addr.rsplit_once(':').ok_or_else(|| ServeError::Listen {
                addr: addr.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "expected HOST:PORT"),
            })?;
            let port: u16 = port.parse().map_err(|_| ServeError::Listen {
                addr: addr.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid port"),
            })?;
            (host.to_string(), port, false)
        }
        None => {
            let port = if http.port() == 0 {
                0
            } else {
                http.port().saturating_add(1)
            };
            let host = match http.ip() {
                IpAddr::V6(ip) => format!("[{ip}]"),
                IpAddr::V4(ip) => ip.to_string(),
            };
            (host, port, true)
        }
    };
    let mut out = Vec::new();
    for (index, instance) in config.instances.iter().enumerate() {
        if let Some(own) = &instance.kafka_listen {
            out.push((instance.instance_id.clone(), own.clone(), false));
            continue;
        }
        let port = if base_port == 0 {
            0
        } else {
            u16::try_from(usize::from(base_port) + index).map_err(|_| ServeError::Listen {
                addr: format!("{host}:{base_port}"),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not enough ports above the Kafka base port for every instance",
                ),
            })?
        };
        out.push((
            instance.instance_id.clone(),
            format!("{host}:{port}"),
            derived,
        ));
    }
    Ok(out)
}

/// Binds every instance's Kafka listener (the loopback rule of `--allow-remote` applies)
/// and records the addresses; `http` is the bound HTTP address the defaults derive from.
pub async fn bind(app: &App, http: SocketAddr) -> Result<Vec<(String, SocketAddr)>, ServeError> {
    let mut bound = Vec::new();
    let mut addresses = Vec::new();
    for (instance_id, addr, derived) in planned(app, http)? {
        let listener = match bind_addr(&addr, app.config.allow_remote).await {
            Ok(listener) => listener,
            Err(ServeError::Listen { source, .. })
                if derived && source.kind() == std::io::ErrorKind::AddrInUse =>
            {
                let (host, _) = addr.rsplit_once(':').unwrap_or((addr.as_str(), ""));
                tracing::warn!(instance = %instance_id, %addr, "Kafka port in use: taking a free one");
                bind_addr(&format!("{host}:0"), app.config.allow_remote).await?
            }
            Err(error) => return Err(error),
        };
        let local = listener.local_addr().map_err(|source| ServeError::Listen {
            addr: addr.clone(),
            source,
        })?;
        // Clients connect to what metadata advertises: the bound address, made reachable.
        let advertised = reachable(local);
        // The SASL_PLAINTEXT listener (SaslEndPoint) only where configured, at its address.
        let sasl_addr = app
            .instance(&instance_id)
            .and_then(|i| i.config.kafka_sasl_listen.clone());
        let mut sasl_plaintext = None;
        if let Some(sasl_addr) = sasl_addr {
            let sasl_listener = bind_addr(&sasl_addr, app.config.allow_remote).await?;
            let local = sasl_listener
                .local_addr()
                .map_err(|source| ServeError::Listen {
                    addr: sasl_addr.clone(),
                    source,
                })?;
            let sasl_advertised = reachable(local);
            sasl_plaintext = Some(sasl_advertised);
            bound.push(Bound {
                listener: sasl_listener,
                info: Arc::new(conn::ListenerInfo {
                    instance_id: instance_id.clone(),
                    protocol: SecurityProtocol::SaslPlaintext,
                    advertised: sasl_advertised,
                }),
            });
        }
        app.kafka
            .endpoints
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                instance_id.clone(),
                Endpoints {
                    plaintext: advertised,
                    sasl_plaintext,
                },
            );
        addresses.push((instance_id.clone(), advertised));
        bound.push(Bound {
            listener,
            info: Arc::new(conn::ListenerInfo {
                instance_id,
                protocol: SecurityProtocol::Plaintext,
                advertised,
            }),
        });
    }
    app.kafka
        .bound
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(bound);
    Ok(addresses)
}

/// The address clients can connect to for a bound one (an unspecified IP: loopback).
fn reachable(local: SocketAddr) -> SocketAddr {
    if local.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port())
    } else {
        local
    }
}

/// Serves the bound listeners until `stop`, with the coordinator's session reaper and the
/// retention sweep.
pub fn start(app: &Arc<App>, stop: &CancellationToken) {
    let bound: Vec<Bound> =
        std::mem::take(&mut *app.kafka.bound.lock().unwrap_or_else(|e| e.into_inner()));
    if bound.is_empty() {
        return;
    }
    for Bound { listener, info } in bound {
        tokio::spawn(accept_loop(Arc::clone(app), listener, info, stop.clone()));
    }
    let (groups, reaper_stop) = (Arc::clone(&app.kafka.groups), stop.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(super::groups::REAPER_PERIOD);
        loop {
            tokio::select! {
                _ = tick.tick() => groups.expire_sessions(Instant::now()),
                () = reaper_stop.cancelled() => break,
            }
        }
    });
    let (sweeper, sweep_stop) = (Arc::clone(app), stop.clone());
    tokio::spawn(async move {
        let period = Duration::from_millis(sweeper.config.retention_check_interval_ms);
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = tick.tick() => sweep_expired(&sweeper).await,
                () = sweep_stop.cancelled() => break,
            }
        }
    });
}

/// Deletes messages older than their topic's `retention.ms` (the instance's `MsgRetain`
/// when the topic sets none), read at every sweep so that UpdateTopicConfig takes effect.
async fn sweep_expired(app: &Arc<App>) {
    let plan: Vec<(String, i64)> = app
        .instances
        .iter()
        .map(|i| {
            (
                i.id().to_string(),
                i.msg_retain_hours().saturating_mul(3_600_000),
            )
        })
        .collect();
    let result = app
        .db
        .run(move |conn| {
            let now = now_ms();
            let mut deleted = 0;
            for (instance_id, instance_keep_ms) in plan {
                for topic in topics::list_all(conn, &instance_id, now)? {
                    let keep_ms = retention_ms(&topic).unwrap_or(instance_keep_ms);
                    let cutoff = now.saturating_sub(keep_ms);
                    deleted += kafka_log::delete_expired(conn, &instance_id, &topic.topic, cutoff)?;
                }
            }
            Ok(deleted)
        })
        .await;
    match result {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "retention: expired record batches deleted"),
        Err(error) => tracing::warn!(code = %error.code, "retention sweep failed"),
    }
}

/// The topic's own `retention.ms` (validated when it was set).
fn retention_ms(topic: &TopicRecord) -> Option<i64> {
    topic
        .config
        .get(topic_config::RETENTION_MS)
        .and_then(|v| v.parse().ok())
}

async fn accept_loop(
    app: Arc<App>,
    listener: TcpListener,
    info: Arc<conn::ListenerInfo>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        tracing::warn!(%error, "kafka accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(conn::serve(Arc::clone(&app), Arc::clone(&info), stream, peer, stop.clone()));
            }
            () = stop.cancelled() => break,
        }
    }
}
