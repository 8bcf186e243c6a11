//! Target `emulator_params`: form/query decoding against a reference decoder.

use std::collections::BTreeMap;

use alikafka::emulator::params::{decode_urlencoded, percent_encode, ParamMap, Params};

use super::request::dictionary;
use crate::harness::{self, ByteTarget};

// ----- target: parameter decoding -----

pub fn run() {
    let dictionary = dictionary();
    harness::fuzz_bytes(ByteTarget {
        name: "emulator_params",
        seeds: vec![
            b"A=1+2&B=%2B%3a&C&D=&&E=%zz".to_vec(),
            b"Action=GetTopicList&Topic=%E4%B8%AD&PageSize=%2010%20".to_vec(),
            b"A=1&A=2".to_vec(),
            b"%FF%FE=x".to_vec(),
        ],
        dictionary: &dictionary,
        generate_percent: 30,
        generate: &mut |rng| harness::random_bytes(rng, &dictionary, 200),
        check: &mut check_params,
    });
}

/// A form decoder written from the spec: `+` is a space, `%XX` a byte, anything else
/// (including a malformed `%`) itself; `None` for non-UTF-8 or a repeated name.
fn reference_decode(raw: &[u8]) -> Option<BTreeMap<String, String>> {
    fn component(raw: &[u8]) -> Option<String> {
        let hex = |b: u8| (b as char).to_digit(16);
        let mut out = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    let mut map = BTreeMap::new();
    for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = component(name)?;
        let value = component(value)?;
        if map.insert(name, value).is_some() {
            return None;
        }
    }
    Some(map)
}

fn check_params(input: &[u8]) -> Result<(), String> {
    let mut map = ParamMap::new();
    let decoded = decode_urlencoded(input, &mut map);
    let expected = reference_decode(input);
    match (&decoded, &expected) {
        (Ok(()), Some(expected)) if &map == expected => {}
        (Err(e), None) => {
            if e.code != "InvalidParameter" || e.status != 400 {
                return Err(format!("refusal with {} {}", e.status, e.code));
            }
            return Ok(());
        }
        _ => {
            return Err(format!(
                "decoded {decoded:?} {map:?}, the reference says {expected:?}"
            ))
        }
    }
    // Re-encoding and decoding again gives the same parameters.
    let encoded = map
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut again = ParamMap::new();
    decode_urlencoded(encoded.as_bytes(), &mut again)
        .map_err(|e| format!("re-decoding failed: {e:?}"))?;
    if again != map {
        return Err(format!("round trip changed {map:?} into {again:?}"));
    }
    let params = Params::new(&map);
    for (name, value) in &map {
        if let Ok(Some(n)) = params.optional_i64(name) {
            if value.trim().parse::<i64>() != Ok(n) {
                return Err(format!("{value:?} read as the integer {n}"));
            }
        }
        if let Ok(Some(b)) = params.optional_bool(name) {
            if !value.eq_ignore_ascii_case(if b { "true" } else { "false" }) {
                return Err(format!("{value:?} read as the boolean {b}"));
            }
        }
        if params.required(name).is_ok() == value.is_empty() {
            return Err(format!(
                "required({name:?}) disagrees with the value {value:?}"
            ));
        }
    }
    Ok(())
}
