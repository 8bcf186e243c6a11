//! Target `emulator_auth_tamper`: any change to a signed part of a valid request makes
//! verification fail.

use alikafka::emulator::auth::{v3, SignatureStyle};
use alikafka::emulator::params::{decode_urlencoded, ParamMap};
use axum::http::{HeaderName, HeaderValue};
use rand::Rng;

use super::auth::authenticate_raw;
use super::request::*;
use super::*;
use crate::emulator_support::{self as support, Creds};
use crate::harness;

// ----- target: tampering with a valid request always fails verification -----

#[derive(Debug)]
enum Tamper {
    ChangeValue(usize),
    AddParam,
    RemoveParam(usize),
    SwapMethod,
    SignatureChar(usize, u8),
    BodyByte,
    ChangeSignedHeader(usize),
    RemoveSignedHeader(usize),
    UnsignedAcsHeader,
}

pub fn run() {
    harness::fuzz_structured(
        "emulator_auth_tamper",
        &mut |rng| {
            let mut spec = random_spec(rng, NOW_TEXT.into());
            spec.creds = if rng.gen_bool(0.5) {
                Creds::new(DEMO_AK, DEMO_SK, None)
            } else {
                Creds::new(STS_AK, STS_SK, Some(STS_TOKEN))
            };
            spec.wrong_secret = false;
            // V3 carries the action in a header, which must be a valid header value.
            spec.action = ACTIONS[rng.gen_range(0..ACTIONS.len())].to_owned();
            let n = rng.gen_range(0..64);
            let tamper = match rng.gen_range(0..9) {
                0 => Tamper::ChangeValue(n),
                1 => Tamper::AddParam,
                2 => Tamper::RemoveParam(n),
                3 => Tamper::SwapMethod,
                4 => Tamper::SignatureChar(n, rng.gen()),
                5 => Tamper::BodyByte,
                6 => Tamper::ChangeSignedHeader(n),
                7 => Tamper::RemoveSignedHeader(n),
                _ => Tamper::UnsignedAcsHeader,
            };
            (build(&spec), tamper)
        },
        &mut |(req, tamper)| check_tamper(req, tamper),
    );
}

fn check_tamper(req: &RawRequest, tamper: &Tamper) -> Result<(), String> {
    authenticate_raw(req).map_err(|e| format!("the untouched request was refused: {e}"))?;
    let Some(tampered) = apply_tamper(req, tamper) else {
        return Ok(());
    };
    match authenticate_raw(&tampered) {
        Ok(ak) => Err(format!(
            "accepted as {ak:?} after {tamper:?}: {}",
            harness::escape(&tampered.to_bytes(), 1500)
        )),
        Err(_) => Ok(()),
    }
}

/// The tampered request, or `None` when the tamper does not apply to this request.
fn apply_tamper(req: &RawRequest, tamper: &Tamper) -> Option<RawRequest> {
    let v3 = SignatureStyle::detect(&req.headers) == SignatureStyle::V3;
    let in_body = is_form(&req.headers) && !req.body.is_empty();
    let mut out = RawRequest {
        method: req.method.clone(),
        target: req.target.clone(),
        headers: req.headers.clone(),
        body: req.body.clone(),
    };
    // The parameters V1 signs (all of them) or V3 signs in the query.
    let mut params = ParamMap::new();
    let source = if in_body {
        req.body.clone()
    } else {
        req.query().as_bytes().to_vec()
    };
    decode_urlencoded(&source, &mut params).ok()?;
    let put_params = |out: &mut RawRequest, params: &ParamMap| {
        let encoded = support::query_string(params);
        if in_body {
            out.body = encoded.into_bytes();
        } else {
            out.target = format!("/?{encoded}");
        }
    };
    let signed_names: Vec<String> = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(v3::parse_authorization)
        .map(|a| a.signed_headers)
        .unwrap_or_default();
    match tamper {
        Tamper::ChangeValue(n) => {
            let names: Vec<String> = params
                .keys()
                .filter(|k| *k != "Signature")
                .cloned()
                .collect();
            let name = names.get(n % names.len().max(1))?;
            params.get_mut(name)?.push('x');
            put_params(&mut out, &params);
        }
        Tamper::AddParam => {
            params.insert("FuzzAdded".into(), "1".into());
            put_params(&mut out, &params);
        }
        Tamper::RemoveParam(n) => {
            let names: Vec<String> = params
                .keys()
                .filter(|k| *k != "Signature")
                .cloned()
                .collect();
            let name = names.get(n % names.len().max(1))?.clone();
            params.remove(&name);
            put_params(&mut out, &params);
        }
        Tamper::SwapMethod => out.method = if req.method == "GET" { "POST" } else { "GET" }.into(),
        Tamper::SignatureChar(n, pick) => {
            if v3 {
                let header = req.headers.get("authorization")?.to_str().ok()?.to_owned();
                let at = header.find("Signature=")? + "Signature=".len();
                let sig: Vec<char> = header[at..].chars().collect();
                let i = n % sig.len().max(1);
                let old = sig.get(i)?.to_digit(16)?;
                let new = char::from_digit((old + 1 + u32::from(*pick) % 15) % 16, 16)?;
                let mut changed = sig.clone();
                changed[i] = new;
                let value = format!("{}{}", &header[..at], changed.iter().collect::<String>());
                out.headers
                    .insert("authorization", HeaderValue::from_str(&value).ok()?);
            } else {
                let sig: Vec<char> = params.get("Signature")?.chars().collect();
                let i = n % sig.len().max(1);
                const B64: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                let new = B64[usize::from(*pick) % B64.len()] as char;
                if sig.get(i) == Some(&new) {
                    return None;
                }
                let mut changed = sig.clone();
                changed[i] = new;
                params.insert("Signature".into(), changed.into_iter().collect());
                put_params(&mut out, &params);
            }
        }
        Tamper::BodyByte if v3 => out.body.push(b'x'),
        Tamper::ChangeSignedHeader(n) if v3 => {
            let name = signed_names.get(n % signed_names.len().max(1))?;
            let old = req
                .headers
                .get(name.as_str())?
                .to_str()
                .ok()?
                .trim()
                .to_owned();
            out.headers.insert(
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(&format!("{old}x")).ok()?,
            );
        }
        Tamper::RemoveSignedHeader(n) if v3 => {
            let name = signed_names.get(n % signed_names.len().max(1))?;
            let old = req
                .headers
                .get(name.as_str())?
                .to_str()
                .ok()?
                .trim()
                .to_owned();
            if old.is_empty() {
                return None;
            }
            out.headers.remove(name.as_str());
        }
        Tamper::UnsignedAcsHeader if v3 => {
            out.headers
                .insert("x-acs-fuzz", HeaderValue::from_static("1"));
        }
        _ => return None,
    }
    Some(out)
}
