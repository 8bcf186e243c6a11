//! OIDC identity providers: their keys, verification of the JWTs exchanged in
//! AssumeRoleWithOIDC (signature, `iss`, `aud`, `exp`), and minting of signed tokens for
//! providers whose key the emulator holds (the control API's demo tokens).

use std::sync::OnceLock;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::config::OidcProviderConfig;
use crate::emulator::errors::ApiError;

/// The longest OIDCToken STS accepts.
const MAX_TOKEN_CHARS: usize = 20_000;

/// An RSA key the emulator made, with its public half as a JWK.
struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl SigningKey {
    fn generate(kid: String) -> Result<SigningKey, String> {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .map_err(|e| format!("cannot make an RSA key: {e}"))?;
        let encoding = EncodingKey::from_rsa_pem(pair.serialize_pem().as_bytes())
            .map_err(|e| format!("cannot load the RSA key: {e}"))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .map_err(|e| format!("cannot describe the RSA key: {e}"))?;
        jwk.common.key_id = Some(kid.clone());
        Ok(SigningKey { kid, encoding, jwk })
    }
}

/// One provider: its configuration, the keys its tokens are checked against.
pub struct OidcProvider {
    pub config: OidcProviderConfig,
    /// Keys from the configured JWKS; `None` when the emulator holds the key itself.
    external: Option<JwkSet>,
    /// Made on first use: RSA key generation is not free and most runs never need it.
    own_key: OnceLock<Result<SigningKey, String>>,
}

/// The claims of a token the emulator mints.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn values(&self) -> Vec<String> {
        match self {
            Audience::One(one) => vec![one.clone()],
            Audience::Many(many) => many.clone(),
        }
    }
}

/// What a verified token says (AssumeRoleWithOIDC's `OIDCTokenInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub issuer: String,
    pub subject: String,
    pub client_ids: Vec<String>,
    pub expires_at: i64,
    pub issued_at: i64,
}

/// `POST /_emulator/oidc/token`: every field optional but the provider's key must be ours.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// Provider ARN or name; default the demo provider.
    #[serde(default)]
    pub provider: Option<String>,
    /// `sub`; default `system:serviceaccount:default:emulator-demo`.
    #[serde(default)]
    pub subject: Option<String>,
    /// `aud`; default the provider's first client ID.
    #[serde(default)]
    pub audience: Option<String>,
    /// `iss`; default the provider's issuer URL.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Seconds until `exp` (negative: already expired); default 3600.
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Sign with a key the provider does not know (a mis-signed token).
    #[serde(default)]
    pub untrusted_key: bool,
}

impl OidcProvider {
    pub fn new(config: OidcProviderConfig) -> Result<OidcProvider, String> {
        let external = match &config.jwks {
            Some(text) => Some(
                serde_json::from_str::<JwkSet>(text)
                    .map_err(|e| format!("OIDC provider {}: bad jwks: {e}", config.arn))?,
            ),
            None => None,
        };
        Ok(OidcProvider {
            config,
            external,
            own_key: OnceLock::new(),
        })
    }

    pub fn name(&self) -> &str {
        self.config.parts().map_or("", |(_, name)| name)
    }

    fn own_key(&self) -> Result<&SigningKey, String> {
        self.own_key
            .get_or_init(|| SigningKey::generate(format!("{}-1", self.name())))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The public keys tokens are checked against, as a JWKS document.
    pub fn jwks(&self) -> Result<JwkSet, String> {
        match &self.external {
            Some(set) => Ok(set.clone()),
            None => Ok(JwkSet {
                keys: vec![self.own_key()?.jwk.clone()],
            }),
        }
    }

    /// A signed token for this provider; the emulator must hold its key.
    pub fn mint(&self, req: &MintRequest, now_s: i64) -> Result<String, String> {
        if self.external.is_some() {
            return Err(format!(
                "OIDC provider {} has configured keys: the emulator cannot sign its tokens",
                self.config.arn
            ));
        }
        let throwaway;
        let key = if req.untrusted_key {
            throwaway = SigningKey::generate("untrusted-1".to_string())?;
            &throwaway
        } else {
            self.own_key()?
        };
        let claims = Claims {
            iss: req
                .issuer
                .clone()
                .unwrap_or_else(|| self.config.issuer_url.clone()),
            sub: req
                .subject
                .clone()
                .unwrap_or_else(|| "system:serviceaccount:default:emulator-demo".to_string()),
            aud: Audience::One(
                req.audience
                    .clone()
                    .or_else(|| self.config.client_ids.first().cloned())
                    .unwrap_or_default(),
            ),
            exp: now_s + req.expires_in.unwrap_or(3600),
            iat: now_s,
            jti: Some(uuid::Uuid::new_v4().to_string()),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        header.typ = Some("JWT".to_string());
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| format!("cannot sign the token: {e}"))
    }

    /// Checks a token as STS does: shape, algorithm, signature, issuer, audience, expiry.
    /// Surrounding whitespace is ignored (token files end with a newline).
    pub fn verify(&self, raw: &str) -> Result<TokenInfo, ApiError> {
        let invalid = |message: &str| {
            ApiError::new(
                "AuthenticationFail.OIDCToken.Invalid",
                401,
                message.to_string(),
            )
        };
        let token = raw.trim();
        if token.is_empty() {
            return Err(invalid("The OIDCToken can not empty."));
        }
        if token.chars().count() > MAX_TOKEN_CHARS || token.split('.').count() != 3 {
            return Err(invalid(
                "The number of Jwt field should be divided into 3 parts with '.' .",
            ));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("The Jwt content is invalid that cannot be recognized."))?;
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(invalid(&format!(
                "The algorithm {:?} that be specified in Jwt header is unknown.",
                header.alg
            )));
        }
        let bad_signature = || {
            ApiError::new(
                "AuthenticationFail.OIDCToken.InvalidSignature",
                401,
                "OIDC token validate failed: invalid signature.",
            )
        };
        let keys = self.jwks().map_err(|e| {
            tracing::error!(error = %e, "OIDC provider has no usable key");
            ApiError::internal()
        })?;
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None => keys.keys.first(),
        }
        .ok_or_else(bad_signature)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| bad_signature())?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = 0;
        validation.set_issuer(&[self.config.issuer_url.as_str()]);
        validation.set_audience(&self.config.client_ids);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => bad_signature(),
                ErrorKind::ExpiredSignature => ApiError::new(
                    "AuthenticationFail.OIDCToken.Expired",
                    401,
                    "This JsonWebToken is expired.",
                ),
                ErrorKind::InvalidIssuer => ApiError::new(
                    "AuthenticationFail.OIDCToken.IssuerNotMatch",
                    401,
                    "Issuer not match.",
                ),
                ErrorKind::InvalidAudience => ApiError::new(
                    "AuthenticationFail.OIDCToken.AudienceNotMatch",
                    401,
                    "Invalid audience.",
                ),
                _ => invalid("The Jwt content is invalid that cannot be recognized."),
            }
        })?;
        Ok(TokenInfo {
            issuer: data.claims.iss,
            subject: data.claims.sub,
            client_ids: data.claims.aud.values(),
            expires_at: data.claims.exp,
            issued_at: data.claims.iat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::demo_oidc_providers;
    use super::*;

    fn demo() -> OidcProvider {
        OidcProvider::new(demo_oidc_providers().remove(0)).unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn minted_tokens_verify_and_tampered_ones_do_not() {
        let provider = demo();
        let token = provider.mint(&MintRequest::default(), now()).unwrap();
        let info = provider.verify(&format!("{token}\n")).unwrap();
        assert_eq!(info.issuer, provider.config.issuer_url);
        assert_eq!(info.client_ids, ["sts.aliyuncs.com"]);
        assert_eq!(info.subject, "system:serviceaccount:default:emulator-demo");

        let code = |token: &str| provider.verify(token).unwrap_err().code.to_string();
        let untrusted = provider
            .mint(
                &MintRequest {
                    untrusted_key: true,
                    ..MintRequest::default()
                },
                now(),
            )
            .unwrap();
        assert_eq!(
            code(&untrusted),
            "AuthenticationFail.OIDCToken.InvalidSignature"
        );
        // A payload changed after signing.
        let parts: Vec<&str> = token.split('.').collect();
        let other = provider
            .mint(
                &MintRequest {
                    subject: Some("someone-else".into()),
                    ..MintRequest::default()
                },
                now(),
            )
            .unwrap();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            other.split('.').nth(1).unwrap(),
            parts[2]
        );
        assert_eq!(
            code(&forged),
            "AuthenticationFail.OIDCToken.InvalidSignature"
        );

        let with = |req: MintRequest| provider.mint(&req, now()).unwrap();
        assert_eq!(
            code(&with(MintRequest {
                expires_in: Some(-120),
                ..MintRequest::default()
            })),
            "AuthenticationFail.OIDCToken.Expired"
        );
        assert_eq!(
            code(&with(MintRequest {
                audience: Some("someone".into()),
                ..MintRequest::default()
            })),
            "AuthenticationFail.OIDCToken.AudienceNotMatch"
        );
        assert_eq!(
            code(&with(MintRequest {
                issuer: Some("https://elsewhere".into()),
                ..MintRequest::default()
            })),
            "AuthenticationFail.OIDCToken.IssuerNotMatch"
        );
        for garbage in ["", "a.b", "x.y.z", "\n"] {
            assert_eq!(
                code(garbage),
                "AuthenticationFail.OIDCToken.Invalid",
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn a_provider_with_configured_keys_verifies_but_cannot_mint() {
        let ours = demo();
        let token = ours.mint(&MintRequest::default(), now()).unwrap();
        let mut config = demo_oidc_providers().remove(0);
        config.jwks = Some(serde_json::to_string(&ours.jwks().unwrap()).unwrap());
        let external = OidcProvider::new(config).unwrap();
        assert!(external.verify(&token).is_ok());
        assert!(external.mint(&MintRequest::default(), now()).is_err());
    }
}
