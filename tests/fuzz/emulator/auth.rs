//! Target `emulator_auth`: signature verification called directly, checked against the
//! reference signers; accepted requests are refused when replayed.

use alikafka::emulator::auth::{v3, Authenticator, SignatureStyle, SignedRequest};
use alikafka::emulator::params::ParamMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use sha2::{Digest, Sha256};

use super::request::*;
use super::*;
use crate::emulator_support::{self as support, Creds};
use crate::harness::{self, ByteTarget};

// ----- target: signature verification, called directly -----

pub fn run() {
    let dictionary = dictionary();
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(7);
    let seeds = (0..32)
        .map(|_| build(&random_spec(&mut rng, NOW_TEXT.into())).to_bytes())
        .collect();
    harness::fuzz_bytes(ByteTarget {
        name: "emulator_auth",
        seeds,
        dictionary: &dictionary,
        generate_percent: 30,
        generate: &mut |rng| {
            let timestamp = timestamp_near(rng, NOW_MS);
            build(&random_spec(rng, timestamp)).to_bytes()
        },
        check: &mut check_auth,
    });
}

fn check_auth(input: &[u8]) -> Result<(), String> {
    let req = parse_request(input);
    if let Some(value) = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        if let Some(auth) = v3::parse_authorization(value) {
            let mut normal = auth.signed_headers.clone();
            normal.sort();
            normal.dedup();
            if auth.access_key_id.is_empty()
                || auth.signature.is_empty()
                || normal != auth.signed_headers
                || normal
                    .iter()
                    .any(|h| h.is_empty() || h.chars().any(|c| c.is_ascii_uppercase()))
            {
                return Err(format!("parse_authorization gave {auth:?}"));
            }
        }
    }
    let Some((query, params)) = gateway_params(&req) else {
        return Ok(());
    };
    let style = SignatureStyle::detect(&req.headers);
    let signed = SignedRequest {
        style,
        method: &req.method,
        params: &params,
        query: &query,
        headers: &req.headers,
        body: &req.body,
    };
    let authenticator = Authenticator::new(&accounts());
    match authenticator.authenticate(&signed, NOW_MS) {
        Ok(ak) => {
            let secret = secret_of(&ak).ok_or_else(|| format!("authenticated as {ak:?}"))?;
            match style {
                SignatureStyle::V1 => {
                    let expected = reference_v1(&req.method, &params, secret);
                    let given = params.get("Signature").map(|s| s.trim());
                    if given != Some(expected.as_str()) {
                        return Err(format!("V1 signature {given:?} accepted; the reference signer gives {expected:?}"));
                    }
                }
                SignatureStyle::V3 => reference_v3_agrees(&req, &query, secret)?,
            }
            if ak == STS_AK {
                // V1 carries the token as a parameter; V3 in its header (or, failing
                // that, the parameter).
                let header = req
                    .headers
                    .get("x-acs-security-token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|_| style == SignatureStyle::V3);
                let token = header.or_else(|| params.get("SecurityToken").map(String::as_str));
                if token != Some(STS_TOKEN) {
                    return Err(format!("STS key accepted with token {token:?}"));
                }
            }
            match authenticator.authenticate(&signed, NOW_MS) {
                Err(e) if e.code == "SignatureNonceUsed" => Ok(()),
                other => Err(format!("a replay was answered {other:?}")),
            }
        }
        Err(error) => no_secret_in(&error.message, &req, Some(&params)),
    }
}

fn reference_v1(method: &str, params: &ParamMap, secret: &str) -> String {
    let sts = support::string_to_sign_v1(method, params);
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes any key");
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Recomputes an accepted V3 signature from the reference's canonical request.
fn reference_v3_agrees(req: &RawRequest, query: &ParamMap, secret: &str) -> Result<(), String> {
    let header = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("V3 accepted without a readable Authorization header")?;
    let auth = v3::parse_authorization(header.trim())
        .ok_or("V3 accepted with an unparsable Authorization")?;
    let mut canonical_headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<_> = req.headers.get_all(name.as_str()).iter().collect();
        if values.len() > 1 {
            return Ok(()); // the reference says nothing about repeated headers
        }
        let value = match values.first() {
            Some(v) => match v.to_str() {
                Ok(v) => v.trim().to_owned(),
                Err(_) => return Ok(()),
            },
            None => String::new(),
        };
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let canonical = format!(
        "{}\n/\n{}\n{canonical_headers}\n{}\n{}",
        req.method,
        support::query_string(query),
        auth.signed_headers.join(";"),
        hex::encode(Sha256::digest(&req.body))
    );
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(sts.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    if auth.signature.trim().to_ascii_lowercase() != expected {
        return Err(format!(
            "V3 signature {:?} accepted; the reference gives {expected:?}",
            auth.signature
        ));
    }
    Ok(())
}

/// Text the request itself put there (anything but the token's own slots). With
/// `params` `None` (undecodable parameters, refused before authentication) the raw query
/// and body count too: the answer can only quote a parameter name from them.
fn request_texts(req: &RawRequest, params: Option<&ParamMap>) -> Vec<String> {
    let path = req
        .target
        .split_once('?')
        .map_or(req.target.as_str(), |(p, _)| p);
    let mut texts = vec![req.method.clone(), path.to_owned()];
    match params {
        Some(params) => {
            for (name, value) in params {
                texts.push(name.clone());
                if name != "SecurityToken" {
                    texts.push(value.clone());
                }
            }
        }
        None => {
            texts.push(req.target.clone());
            texts.push(String::from_utf8_lossy(&req.body).into_owned());
        }
    }
    for (name, value) in &req.headers {
        texts.push(name.as_str().to_owned());
        if name != "x-acs-security-token" {
            texts.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
    }
    texts
}

/// Secrets (raw or percent-encoded once or twice) appear in emulator answers only when the
/// request itself carried them outside the token's slots.
pub(crate) fn no_secret_in(
    text: &str,
    req: &RawRequest,
    params: Option<&ParamMap>,
) -> Result<(), String> {
    let texts = request_texts(req, params);
    for secret in [STS_TOKEN, DEMO_SK, STS_SK, "old-token"] {
        let once = support::encode(secret);
        let twice = support::encode(&once);
        let shown = [secret, once.as_str(), twice.as_str()]
            .iter()
            .any(|form| text.contains(form));
        if shown
            && !texts
                .iter()
                .any(|t| t.contains(secret) || t.contains(&once))
        {
            return Err(format!(
                "{secret:?} leaked into: {}",
                harness::escape(text.as_bytes(), 800)
            ));
        }
    }
    Ok(())
}

pub(crate) fn authenticate_raw(req: &RawRequest) -> Result<String, String> {
    let (query, params) = gateway_params(req).ok_or("parameters refused")?;
    let signed = SignedRequest {
        style: SignatureStyle::detect(&req.headers),
        method: &req.method,
        params: &params,
        query: &query,
        headers: &req.headers,
        body: &req.body,
    };
    Authenticator::new(&accounts())
        .authenticate(&signed, NOW_MS)
        .map_err(|e| format!("{}: {}", e.code, e.message))
}

#[test]
fn valid_signed_requests_verify() {
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(5);
    for _ in 0..100 {
        let mut spec = random_spec(&mut rng, NOW_TEXT.into());
        spec.creds = Creds::new(STS_AK, STS_SK, Some(STS_TOKEN));
        spec.wrong_secret = false;
        let req = build(&spec);
        assert_eq!(authenticate_raw(&req).as_deref(), Ok(STS_AK), "{req:?}");
        check_auth(&req.to_bytes()).unwrap();
    }
}
