//! AutoMTLS as go-plugin does it: a fresh self-signed server certificate per process, and
//! a client certificate that must be exactly the one Terraform put in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's client certificate is a self-signed P-521 *CA* certificate. webpki refuses
//! a CA certificate as an end-entity, and rustls' `ring` provider cannot check P-521
//! signatures, so the verifier below pins the certificate bytes and checks the handshake
//! signature with the aws-lc-rs provider's algorithms.

use std::fmt;
use std::sync::Arc;

use chrono::{Datelike, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName as TlsName, ServerConfig};

/// Everything that can go wrong setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT holds no PEM certificate")]
    NoClientCertificate,
    #[error("PLUGIN_CLIENT_CERT is not valid PEM: {0}")]
    BadPem(#[source] std::io::Error),
    #[error("cannot generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot build the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The crypto provider for everything here: aws-lc-rs, because it verifies P-521.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A freshly generated server certificate and its private key.
pub struct ServerIdentity {
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

// Never print the private key.
impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// A self-signed ECDSA P-256 certificate for `localhost`, shaped like go-plugin's own
    /// (a CA certificate usable for client and server auth), which is what Terraform's
    /// Go TLS client trusts as the single root for this connection.
    pub fn generate() -> Result<Self, TlsError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "terraform-provider-alikafka");
        name.push(DnType::CommonName, "localhost");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        // A day of slack either side absorbs clock skew; a provider process lives minutes.
        let from = Utc::now() - Duration::days(1);
        let until = Utc::now() + Duration::days(366);
        params.not_before = rcgen::date_time_ymd(from.year(), month(&from), day(&from));
        params.not_after = rcgen::date_time_ymd(until.year(), month(&until), day(&until));
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key_der.clone_key())
    }
}

// chrono's month()/day() are 1-based and always fit in u8.
fn month(date: &chrono::DateTime<Utc>) -> u8 {
    u8::try_from(date.month()).unwrap_or(1)
}
fn day(date: &chrono::DateTime<Utc>) -> u8 {
    u8::try_from(date.day()).unwrap_or(1)
}

/// Parses every certificate in a PEM bundle (Terraform sends exactly one).
pub fn parse_pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(TlsError::BadPem)?;
    if certs.is_empty() {
        return Err(TlsError::NoClientCertificate);
    }
    Ok(certs)
}

/// Accepts a client only if it presents one of the pinned certificates, byte for byte,
/// and proves it holds the key (the handshake signature, checked with aws-lc-rs).
pub struct PinnedClientCertVerifier {
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    pub fn new(pinned: Vec<CertificateDer<'static>>, provider: &CryptoProvider) -> Self {
        Self {
            pinned,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl fmt::Debug for PinnedClientCertVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedClientCertVerifier")
            .field("pinned", &self.pinned.len())
            .finish()
    }
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    // No CA hints: Go's client then sends its only certificate unconditionally.
    fn root_hint_subjects(&self) -> &[TlsName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|pin| pin.as_ref() == end_entity.as_ref())
        {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls server configuration for AutoMTLS: TLS 1.2/1.3, HTTP/2 via ALPN (gRPC-Go
/// insists on it), our certificate, and the pinned client certificate(s).
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_pem: &str,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = crypto_provider();
    let pinned = parse_pem_certificates(client_cert_pem)?;
    let verifier = Arc::new(PinnedClientCertVerifier::new(pinned, &provider));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert_der.clone()], identity.key())?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::SignatureScheme;

    #[test]
    fn verifier_offers_p521_and_pins_bytes() {
        let provider = crypto_provider();
        let identity = ServerIdentity::generate().expect("generate");
        let other = ServerIdentity::generate().expect("generate");
        let verifier = PinnedClientCertVerifier::new(vec![identity.cert_der.clone()], &provider);

        assert!(verifier.client_auth_mandatory());
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        assert!(verifier
            .verify_client_cert(&identity.cert_der, &[], UnixTime::now())
            .is_ok());
        assert!(verifier
            .verify_client_cert(&other.cert_der, &[], UnixTime::now())
            .is_err());
    }

    #[test]
    fn pem_parsing_rejects_garbage_and_empty() {
        assert!(matches!(
            parse_pem_certificates("not pem at all"),
            Err(TlsError::NoClientCertificate)
        ));
        let identity = ServerIdentity::generate().expect("generate");
        let pem = pem_of(&identity.cert_der);
        let certs = parse_pem_certificates(&pem).expect("parse");
        assert_eq!(certs, vec![identity.cert_der.clone()]);
    }

    #[test]
    fn server_config_speaks_h2_and_debug_hides_key() {
        let identity = ServerIdentity::generate().expect("generate");
        let config = server_config(&identity, &pem_of(&identity.cert_der)).expect("server config");
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
        let printed = format!("{identity:?}");
        assert!(!printed.contains("key_der"), "{printed}");
    }

    fn pem_of(der: &CertificateDer<'_>) -> String {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }
}
