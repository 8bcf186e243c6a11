//! One Kafka connection: size-prefixed frames, request headers decoded with
//! `kafka-protocol` (flexible or not, as each API version says), one request at a time in
//! order (as a Kafka broker processes a connection), responses framed the same way.
//!
//! An unknown API or version closes the connection, as Kafka does, except ApiVersions: an
//! unknown ApiVersions version is answered with UNSUPPORTED_VERSION and the supported
//! ranges in the v0 layout, so that a newer client can retry with a version we know.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, CreateTopicsRequest, DescribeGroupsRequest, FetchRequest,
    FindCoordinatorRequest, HeartbeatRequest, InitProducerIdRequest, JoinGroupRequest,
    LeaveGroupRequest, ListGroupsRequest, ListOffsetsRequest, MetadataRequest, OffsetCommitRequest,
    OffsetFetchRequest, ProduceRequest, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse, SyncGroupRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable};
use kafka_protocol::ResponseError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::sasl::{Mechanism, MECHANISMS};
use super::security::{
    self, Operation, Principal, Resource, SaslState, Security, SecurityProtocol, Step,
};
use super::{fetch, group_api, metadata, offsets, produce, versions};
use crate::emulator::state::{App, Instance};

/// Largest request accepted (Kafka's `socket.request.max.bytes` default).
const MAX_REQUEST_BYTES: usize = 100 * 1024 * 1024;

/// What a listener serves.
#[derive(Debug)]
pub struct ListenerInfo {
    pub instance_id: String,
    pub protocol: SecurityProtocol,
    /// The address metadata advertises: the bound one.
    pub advertised: SocketAddr,
}

/// A request's context: the listener's instance, the connection's peer and principal.
pub struct Ctx {
    pub app: Arc<App>,
    pub listener: Arc<ListenerInfo>,
    pub peer: SocketAddr,
    pub client_id: String,
    /// `None` until a SASL connection has authenticated.
    pub principal: Option<Principal>,
    /// The SASL exchange under way, until `principal` is set.
    pub sasl: Option<SaslState>,
    pub security: Security,
    pub stop: CancellationToken,
}

impl Ctx {
    pub fn instance_id(&self) -> &str {
        &self.listener.instance_id
    }

    /// The listener's instance (listeners exist only for configured instances).
    pub fn instance(&self) -> Option<&Instance> {
        self.app.instance(&self.listener.instance_id)
    }

    /// Whether the connection may do `operation` on `resource`.
    pub fn allowed(&self, operation: Operation, resource: Resource<'_>) -> bool {
        self.principal
            .as_ref()
            .is_some_and(|p| self.security.authorize(p, operation, resource))
    }
}

/// Serves one connection until the client closes it, a frame is malformed, or `stop`.
pub async fn serve(
    app: Arc<App>,
    listener: Arc<ListenerInfo>,
    stream: TcpStream,
    peer: SocketAddr,
    stop: CancellationToken,
) {
    let principal = match listener.protocol {
        SecurityProtocol::Plaintext => Some(Principal::Anonymous),
        SecurityProtocol::SaslPlaintext => None,
    };
    let mut ctx = Ctx {
        app,
        listener,
        peer,
        client_id: String::new(),
        principal,
        sasl: None,
        security: Security::default(),
        stop: stop.clone(),
    };
    let (mut reader, mut writer) = stream.into_split();
    loop {
        let mut size = [0u8; 4];
        tokio::select! {
            read = reader.read_exact(&mut size) => if read.is_err() { break },
            () = stop.cancelled() => break,
        }
        let size = i32::from_be_bytes(size);
        let Some(size) = usize::try_from(size)
            .ok()
            .filter(|s| (8..=MAX_REQUEST_BYTES).contains(s))
        else {
            tracing::debug!(%peer, size, "kafka frame size out of range: closing");
            break;
        };
        let mut frame = vec![0u8; size];
        tokio::select! {
            read = reader.read_exact(&mut frame) => if read.is_err() { break },
            () = stop.cancelled() => break,
        }
        match handle(&mut ctx, Bytes::from(frame)).await {
            Ok(Some(response)) => {
                if writer.write_all(&response).await.is_err() {
                    break;
                }
            }
            Ok(None) => {}
            Err(reason) => {
                tracing::debug!(%peer, client = %ctx.client_id, %reason, "closing kafka connection");
                break;
            }
        }
    }
}

/// Frames a response: size, header (v0 or flexible v1), body.
fn encode<R: Encodable>(
    correlation_id: i32,
    header_version: i16,
    body: &R,
    version: i16,
) -> Result<BytesMut, String> {
    let mut buf = BytesMut::with_capacity(128);
    buf.put_i32(0);
    let mut header = ResponseHeader::default();
    header.correlation_id = correlation_id;
    header
        .encode(&mut buf, header_version)
        .map_err(|e| format!("encode response header: {e}"))?;
    body.encode(&mut buf, version)
        .map_err(|e| format!("encode response: {e}"))?;
    let size = i32::try_from(buf.len() - 4).map_err(|_| "response too large".to_string())?;
    buf[0..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}

fn decode<T: Decodable>(frame: &mut Bytes, version: i16) -> Result<T, String> {
    T::decode(frame, version).map_err(|e| format!("malformed request: {e}"))
}

/// APIs a SASL connection may use before it has authenticated.
fn allowed_before_authentication(key: ApiKey) -> bool {
    matches!(
        key,
        ApiKey::ApiVersions | ApiKey::SaslHandshake | ApiKey::SaslAuthenticate
    )
}

async fn handle(ctx: &mut Ctx, mut frame: Bytes) -> Result<Option<BytesMut>, String> {
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let key = ApiKey::try_from(raw_key).map_err(|_| format!("unknown API key {raw_key}"))?;
    let protocol = ctx.listener.protocol;
    if key == ApiKey::ApiVersions && !versions::is_supported(protocol, key, version) {
        let answer = versions::response(protocol, ResponseError::UnsupportedVersion.code());
        return encode(correlation_id, 0, &answer, 0).map(Some);
    }
    if !versions::is_supported(protocol, key, version) {
        return Err(format!("{key:?} v{version} is not supported"));
    }
    let header: RequestHeader = decode(&mut frame, key.request_header_version(version))?;
    ctx.client_id = header.client_id.map(|c| c.to_string()).unwrap_or_default();
    if ctx.principal.is_none() && !allowed_before_authentication(key) {
        return Err(format!("{key:?} before SASL authentication"));
    }
    if let Some(Principal::User(user)) = &ctx.principal {
        // ACLs read per request: CreateAcl/DeleteAcl apply to open connections.
        ctx.security.acls = security::acls_of(&ctx.app, &ctx.listener.instance_id, user).await;
    }
    let header_version = key.response_header_version(version);
    macro_rules! answer {
        ($body:expr) => {
            encode(correlation_id, header_version, &$body, version).map(Some)
        };
    }
    match key {
        ApiKey::ApiVersions => {
            let _: ApiVersionsRequest = decode(&mut frame, version)?;
            answer!(versions::response(protocol, 0))
        }
        ApiKey::SaslHandshake => {
            let request: SaslHandshakeRequest = decode(&mut frame, version)?;
            let mut response = SaslHandshakeResponse::default();
            response.mechanisms = MECHANISMS.iter().map(|m| (*m).into()).collect();
            match Mechanism::parse(request.mechanism.as_str()) {
                Some(mechanism) if ctx.principal.is_none() => {
                    ctx.sasl = Some(SaslState::Chosen(mechanism));
                }
                Some(_) => response.error_code = ResponseError::IllegalSaslState.code(),
                None => response.error_code = ResponseError::UnsupportedSaslMechanism.code(),
            }
            answer!(response)
        }
        ApiKey::SaslAuthenticate => {
            let request: SaslAuthenticateRequest = decode(&mut frame, version)?;
            let mut response = SaslAuthenticateResponse::default();
            if ctx.principal.is_some() || ctx.sasl.is_none() {
                response.error_code = ResponseError::IllegalSaslState.code();
                return answer!(response);
            }
            let instance_id = ctx.listener.instance_id.clone();
            match security::authenticate(&ctx.app, &instance_id, &mut ctx.sasl, &request.auth_bytes)
                .await
            {
                Step::Continue(bytes) => response.auth_bytes = bytes.into(),
                Step::Done(principal, bytes) => {
                    response.auth_bytes = bytes.into();
                    ctx.principal = Some(principal);
                }
                Step::Failed => {
                    tracing::info!(peer = %ctx.peer, "kafka SASL authentication failed");
                    response.error_code = ResponseError::SaslAuthenticationFailed.code();
                    response.error_message =
                        Some("Authentication failed: invalid username or password".into());
                }
            }
            answer!(response)
        }
        ApiKey::Metadata => {
            let request: MetadataRequest = decode(&mut frame, version)?;
            answer!(metadata::metadata(ctx, version, request).await)
        }
        ApiKey::CreateTopics => {
            let request: CreateTopicsRequest = decode(&mut frame, version)?;
            answer!(metadata::create_topics(ctx, version, request).await)
        }
        ApiKey::Produce => {
            let request: ProduceRequest = decode(&mut frame, version)?;
            match produce::produce(ctx, request).await {
                Some(response) => answer!(response),
                None => Ok(None), // acks=0: Kafka sends no response
            }
        }
        ApiKey::InitProducerId => {
            let request: InitProducerIdRequest = decode(&mut frame, version)?;
            answer!(produce::init_producer_id(ctx, request).await)
        }
        ApiKey::Fetch => {
            let request: FetchRequest = decode(&mut frame, version)?;
            answer!(fetch::fetch(ctx, version, request).await)
        }
        ApiKey::ListOffsets => {
            let request: ListOffsetsRequest = decode(&mut frame, version)?;
            answer!(fetch::list_offsets(ctx, version, request).await)
        }
        ApiKey::FindCoordinator => {
            let request: FindCoordinatorRequest = decode(&mut frame, version)?;
            answer!(group_api::find_coordinator(ctx, version, request).await)
        }
        ApiKey::JoinGroup => {
            let request: JoinGroupRequest = decode(&mut frame, version)?;
            answer!(group_api::join(ctx, version, request).await)
        }
        ApiKey::SyncGroup => {
            let request: SyncGroupRequest = decode(&mut frame, version)?;
            answer!(group_api::sync(ctx, version, request).await)
        }
        ApiKey::Heartbeat => {
            let request: HeartbeatRequest = decode(&mut frame, version)?;
            answer!(group_api::heartbeat(ctx, request))
        }
        ApiKey::LeaveGroup => {
            let request: LeaveGroupRequest = decode(&mut frame, version)?;
            answer!(group_api::leave(ctx, version, request))
        }
        ApiKey::DescribeGroups => {
            let request: DescribeGroupsRequest = decode(&mut frame, version)?;
            answer!(group_api::describe(ctx, version, request).await)
        }
        ApiKey::ListGroups => {
            let request: ListGroupsRequest = decode(&mut frame, version)?;
            answer!(group_api::list(ctx, request).await)
        }
        ApiKey::OffsetCommit => {
            let request: OffsetCommitRequest = decode(&mut frame, version)?;
            answer!(offsets::commit(ctx, version, request).await)
        }
        ApiKey::OffsetFetch => {
            let request: OffsetFetchRequest = decode(&mut frame, version)?;
            answer!(offsets::fetch(ctx, version, request).await)
        }
        other => Err(format!("{other:?} is not served")),
    }
}
