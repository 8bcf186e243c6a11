//! The plugin wire layer end to end, in-process: handshake line, AutoMTLS with a
//! go-plugin-shaped P-521 client certificate, go-plugin's side services, shutdown,
//! panics, message sizes. A real gRPC client (tonic + rustls/aws-lc-rs) plays Terraform.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alikafka::tfplugin::handshake::{ListenAddr, PluginEnv};
use alikafka::tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use alikafka::tfplugin::proto::plugin::grpc_stdio_client::GrpcStdioClient;
use alikafka::tfplugin::proto::plugin::Empty;
use alikafka::tfplugin::proto::tfplugin6::{self, provider_client::ProviderClient};
use alikafka::tfplugin::server::{
    start, RunningServer, ServeError, ServeOptions, UnimplementedProvider,
};
use base64::Engine as _;
use futures::StreamExt as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::Code;

mod common;

const TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Certificates shaped like the ones Terraform (go-plugin's generateCert) sends
// ---------------------------------------------------------------------------------------

struct ClientIdentity {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

fn go_plugin_client_cert() -> ClientIdentity {
    let (cert, key) = common::go_plugin_client_cert();
    ClientIdentity {
        cert_pem: cert.pem(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    }
}

fn aws_lc() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Trusts exactly the certificate from the handshake line, as go-plugin's client does.
#[derive(Debug)]
struct PinnedServer {
    cert: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

// ---------------------------------------------------------------------------------------
// Reading the handshake line and connecting like Terraform
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct Handshake {
    network: String,
    address: String,
    cert_der: Option<Vec<u8>>,
}

fn parse_handshake(line: &str) -> Handshake {
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.len(), 6, "six fields: {line}");
    assert_eq!(parts[0], "1", "core protocol: {line}");
    assert_eq!(parts[1], "6", "plugin protocol: {line}");
    assert_eq!(parts[4], "grpc", "{line}");
    let cert_der = (!parts[5].is_empty()).then(|| {
        assert!(!parts[5].contains('='), "no padding: {line}");
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[5])
            .expect("base64 certificate")
    });
    Handshake {
        network: parts[2].to_string(),
        address: parts[3].to_string(),
        cert_der,
    }
}

/// What the client presents: nothing, or a certificate and its key.
enum ClientAuth<'a> {
    None,
    Cert(&'a ClientIdentity),
}

async fn connect(handshake: &Handshake, auth: ClientAuth<'_>) -> Channel {
    let tls = handshake.cert_der.as_ref().map(|server_cert| {
        let builder = ClientConfig::builder_with_provider(aws_lc())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedServer {
                cert: server_cert.clone(),
                provider: aws_lc(),
            }));
        let mut config = match auth {
            ClientAuth::None => builder.with_no_client_auth(),
            ClientAuth::Cert(identity) => builder
                .with_client_auth_cert(
                    vec![identity.cert_der.clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
                )
                .expect("client auth"),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        tokio_rustls::TlsConnector::from(Arc::new(config))
    });
    let network = handshake.network.clone();
    let address = handshake.address.clone();
    let connector = tower04::service_fn(move |_: Uri| {
        let (network, address, tls) = (network.clone(), address.clone(), tls.clone());
        async move {
            let io: Box<dyn Io> = match network.as_str() {
                "unix" => Box::new(tokio::net::UnixStream::connect(&address).await?),
                "tcp" => Box::new(tokio::net::TcpStream::connect(&address).await?),
                other => panic!("unexpected network {other}"),
            };
            let io: Box<dyn Io> = match tls {
                None => io,
                Some(tls) => {
                    let name = ServerName::try_from("localhost").expect("server name");
                    Box::new(tls.connect(name, io).await?)
                }
            };
            Ok::<_, std::io::Error>(TokioIo::new(io))
        }
    });
    Endpoint::from_static("http://plugin.invalid")
        .connect_with_connector(connector)
        .await
        .expect("gRPC channel")
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Io for T {}

fn options(env: PluginEnv) -> ServeOptions {
    ServeOptions {
        provider_address: "registry.terraform.io/alikafka/alikafka".to_string(),
        debug: false,
        stop: CancellationToken::new(),
        env,
    }
}

async fn get_schema(
    channel: Channel,
) -> Result<tfplugin6::get_provider_schema::Response, tonic::Status> {
    let mut client = ProviderClient::new(channel);
    tokio::time::timeout(
        TIMEOUT,
        client.get_provider_schema(tfplugin6::get_provider_schema::Request {}),
    )
    .await
    .expect("no hang")
    .map(tonic::Response::into_inner)
}

async fn shutdown_and_wait(channel: Channel, running: RunningServer) {
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown call");
    tokio::time::timeout(TIMEOUT, running.wait())
        .await
        .expect("serve returns after Shutdown")
        .expect("clean exit");
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn mtls_with_terraforms_certificate_serves_and_shuts_down() {
    let client = go_plugin_client_cert();
    let running = start(
        UnimplementedProvider,
        options(PluginEnv::launched_by_terraform(Some(
            client.cert_pem.clone(),
        ))),
    )
    .await
    .expect("start");

    let handshake = parse_handshake(running.handshake_line());
    assert_eq!(handshake.network, "unix");
    let socket = PathBuf::from(&handshake.address);
    assert!(socket.exists(), "socket {socket:?} exists while serving");
    assert_eq!(
        handshake.cert_der.as_deref(),
        running.server_cert_der(),
        "the handshake carries the server certificate"
    );
    assert!(handshake.cert_der.as_ref().is_some_and(|c| c.len() > 50));

    let channel = connect(&handshake, ClientAuth::Cert(&client)).await;
    let schema = get_schema(channel.clone())
        .await
        .expect("GetProviderSchema");
    assert!(schema.provider.is_some_and(|p| p.block.is_some()));

    // Calls the provider does not implement answer Unimplemented, which Terraform accepts.
    let status = ProviderClient::new(channel.clone())
        .get_resource_identity_schemas(tfplugin6::get_resource_identity_schemas::Request {})
        .await
        .expect_err("not implemented");
    assert_eq!(status.code(), Code::Unimplemented);

    shutdown_and_wait(channel, running).await;
    assert!(!socket.exists(), "socket removed on exit");
    assert!(
        !socket.parent().expect("socket dir").exists(),
        "socket directory removed on exit"
    );
}

#[tokio::test]
async fn mtls_refuses_a_client_without_certificate() {
    let client = go_plugin_client_cert();
    let running = start(
        UnimplementedProvider,
        options(PluginEnv::launched_by_terraform(Some(
            client.cert_pem.clone(),
        ))),
    )
    .await
    .expect("start");
    let handshake = parse_handshake(running.handshake_line());

    // With TLS 1.3 the client learns of the refusal on its first read, hence the call.
    let refused = get_schema(connect(&handshake, ClientAuth::None).await).await;
    assert!(refused.is_err(), "a client without certificate got through");

    let channel = connect(&handshake, ClientAuth::Cert(&client)).await;
    get_schema(channel.clone())
        .await
        .expect("the right client still works");
    shutdown_and_wait(channel, running).await;
}

#[tokio::test]
async fn mtls_refuses_a_different_p521_certificate() {
    let terraform = go_plugin_client_cert();
    let intruder = go_plugin_client_cert();
    let running = start(
        UnimplementedProvider,
        options(PluginEnv::launched_by_terraform(Some(
            terraform.cert_pem.clone(),
        ))),
    )
    .await
    .expect("start");
    let handshake = parse_handshake(running.handshake_line());

    let refused = get_schema(connect(&handshake, ClientAuth::Cert(&intruder)).await).await;
    assert!(refused.is_err(), "a look-alike certificate got through");

    let channel = connect(&handshake, ClientAuth::Cert(&terraform)).await;
    get_schema(channel.clone())
        .await
        .expect("Terraform's cert works");
    shutdown_and_wait(channel, running).await;
}

#[tokio::test]
async fn without_plugin_client_cert_serves_plaintext() {
    let running = start(
        UnimplementedProvider,
        options(PluginEnv::launched_by_terraform(None)),
    )
    .await
    .expect("start");
    assert!(
        running.handshake_line().ends_with("|grpc|"),
        "{}",
        running.handshake_line()
    );
    let handshake = parse_handshake(running.handshake_line());
    assert!(handshake.cert_der.is_none());
    let channel = connect(&handshake, ClientAuth::None).await;
    get_schema(channel.clone()).await.expect("plaintext call");
    shutdown_and_wait(channel, running).await;
}

#[tokio::test]
async fn tcp_on_request_within_the_port_range() {
    let client = go_plugin_client_cert();
    let mut env = PluginEnv::launched_by_terraform(Some(client.cert_pem.clone()));
    env.force_tcp = true;
    env.min_port = Some(41000);
    env.max_port = Some(41999);
    let running = start(UnimplementedProvider, options(env))
        .await
        .expect("start");
    let handshake = parse_handshake(running.handshake_line());
    assert_eq!(handshake.network, "tcp");
    let ListenAddr::Tcp(addr) = running.addr() else {
        panic!("expected TCP, got {:?}", running.addr());
    };
    assert!(addr.ip().is_loopback());
    assert!((41000..=41999).contains(&addr.port()), "{addr}");
    assert_eq!(handshake.address, addr.to_string());

    let channel = connect(&handshake, ClientAuth::Cert(&client)).await;
    get_schema(channel.clone()).await.expect("TCP + mTLS call");
    shutdown_and_wait(channel, running).await;
}

#[tokio::test]
async fn run_by_hand_explains_and_fails() {
    for cookie in [None, Some("not-the-cookie".to_string())] {
        let env = PluginEnv {
            magic_cookie: cookie,
            ..PluginEnv::launched_by_terraform(None)
        };
        let err = start(UnimplementedProvider, options(env))
            .await
            .expect_err("must refuse without the cookie");
        assert!(matches!(err, ServeError::Handshake(_)), "{err:?}");
        assert_eq!(err.exit_code(), 1);
        let text = err.to_string();
        assert!(text.contains("plugin for Terraform"), "{text}");
        assert!(text.contains("dev_overrides"), "{text}");
    }
}

#[tokio::test]
async fn refuses_when_protocol_6_is_not_offered() {
    let mut env = PluginEnv::launched_by_terraform(None);
    env.protocol_versions = Some("4,5".to_string());
    let err = start(UnimplementedProvider, options(env))
        .await
        .expect_err("protocol 5 only");
    assert!(err.to_string().contains("speaks only protocol 6"), "{err}");
}

#[tokio::test]
async fn debug_mode_skips_cookie_and_tls_and_stops_on_cancel() {
    let client = go_plugin_client_cert();
    let mut opts = options(PluginEnv {
        client_cert_pem: Some(client.cert_pem.clone()),
        ..PluginEnv::default()
    });
    opts.debug = true;
    let stop = opts.stop.clone();
    let running = start(UnimplementedProvider, opts)
        .await
        .expect("debug start");
    let handshake = parse_handshake(running.handshake_line());
    assert_eq!(handshake.network, "unix");
    assert!(handshake.cert_der.is_none(), "debug mode is plaintext");
    let channel = connect(&handshake, ClientAuth::None).await;
    get_schema(channel).await.expect("debug call");

    stop.cancel();
    tokio::time::timeout(TIMEOUT, running.wait())
        .await
        .expect("stops on cancel")
        .expect("clean exit");
    assert!(!PathBuf::from(&handshake.address).exists());
}

#[tokio::test]
async fn stdio_stream_stays_open_until_shutdown() {
    let running = start(
        UnimplementedProvider,
        options(PluginEnv::launched_by_terraform(None)),
    )
    .await
    .expect("start");
    let handshake = parse_handshake(running.handshake_line());
    let channel = connect(&handshake, ClientAuth::None).await;
    let mut stdio = GrpcStdioClient::new(channel.clone())
        .stream_stdio(())
        .await
        .expect("StreamStdio")
        .into_inner();
    let early = tokio::time::timeout(Duration::from_millis(300), stdio.next()).await;
    assert!(
        early.is_err(),
        "stream must stay open and silent, got {early:?}"
    );

    shutdown_and_wait(channel, running).await;
    let end = tokio::time::timeout(TIMEOUT, stdio.next())
        .await
        .expect("stream ends at shutdown");
    assert!(
        !matches!(end, Some(Ok(_))),
        "no stdio data expected, got {end:?}"
    );
}

/// Panics in one call become INTERNAL for that call only; the server keeps serving.
#[derive(Debug, Default)]
struct PanickingProvider;

#[tonic::async_trait]
impl tfplugin6::provider_server::Provider for PanickingProvider {
    async fn get_metadata(
        &self,
        _request: tonic::Request<tfplugin6::get_metadata::Request>,
    ) -> Result<tonic::Response<tfplugin6::get_metadata::Response>, tonic::Status> {
        panic!("a bug in a handler");
    }

    async fn get_provider_schema(
        &self,
        request: tonic::Request<tfplugin6::get_provider_schema::Request>,
    ) -> Result<tonic::Response<tfplugin6::get_provider_schema::Response>, tonic::Status> {
        tfplugin6::provider_server::Provider::get_provider_schema(&UnimplementedProvider, request)
            .await
    }

    async fn validate_provider_config(
        &self,
        request: tonic::Request<tfplugin6::validate_provider_config::Request>,
    ) -> Result<tonic::Response<tfplugin6::validate_provider_config::Response>, tonic::Status> {
        // Echo the size back through a diagnostic so the test sees the bytes arrived.
        let size = request
            .into_inner()
            .config
            .map(|c| c.msgpack.len())
            .unwrap_or_default();
        Ok(tonic::Response::new(
            tfplugin6::validate_provider_config::Response {
                diagnostics: vec![tfplugin6::Diagnostic {
                    summary: size.to_string(),
                    ..Default::default()
                }],
            },
        ))
    }
}

#[tokio::test]
async fn a_panicking_call_does_not_kill_the_server() {
    let running = start(
        PanickingProvider,
        options(PluginEnv::launched_by_terraform(None)),
    )
    .await
    .expect("start");
    let handshake = parse_handshake(running.handshake_line());
    let channel = connect(&handshake, ClientAuth::None).await;

    let status = ProviderClient::new(channel.clone())
        .get_metadata(tfplugin6::get_metadata::Request {})
        .await
        .expect_err("panicked call fails");
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(
        !status.message().contains("a bug in a handler"),
        "{status:?}"
    );

    // Same connection, next call: still served.
    get_schema(channel.clone()).await.expect("server survived");
    shutdown_and_wait(channel, running).await;
}

#[tokio::test]
async fn accepts_messages_far_above_grpcs_4mib_default() {
    let running = start(
        PanickingProvider,
        options(PluginEnv::launched_by_terraform(None)),
    )
    .await
    .expect("start");
    let handshake = parse_handshake(running.handshake_line());
    let channel = connect(&handshake, ClientAuth::None).await;

    let size = 20 * 1024 * 1024;
    let response = ProviderClient::new(channel.clone())
        .validate_provider_config(tfplugin6::validate_provider_config::Request {
            config: Some(tfplugin6::DynamicValue {
                msgpack: vec![0xc0; size],
                json: Vec::new(),
            }),
        })
        .await
        .expect("a 20 MiB request is accepted")
        .into_inner();
    assert_eq!(response.diagnostics[0].summary, size.to_string());
    shutdown_and_wait(channel, running).await;
}
