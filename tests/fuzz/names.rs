//! Target: import IDs and names (`ObjectId::parse`, `KafkaName::parse`, `check_remark`),
//! checked against the rules written out independently here.

use alikafka::provider::names::{
    check_remark, KafkaName, ObjectId, MAX_NAME_LEN, MAX_REMARK_LEN, MIN_NAME_LEN,
};
use rand::rngs::StdRng;
use rand::Rng;

use crate::harness::{self, random_text, ByteTarget};

pub fn run() {
    let dictionary: &[&[u8]] = &[
        b":",
        b"::",
        b"alikafka_post-cn-",
        b"GID_",
        b"-",
        b"_",
        b" ",
        b"\t",
        b"\n",
        b"\x00",
        b"\xc3\xa9",
        b"\xe2\x80\x8b",
        b"\xff",
        b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ];
    harness::fuzz_bytes(ByteTarget {
        name: "import_ids",
        seeds: [
            "alikafka_post-cn-1:orders",
            "alikafka_post-cn-1:GID_group-1",
            ":orders",
            " :orders",
            "i:a:b",
            "i:ab",
            "orders",
            "i:tópic",
            "i:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect(),
        dictionary,
        generate_percent: 30,
        generate: &mut generate,
        check: &mut check,
    });
}

fn generate(rng: &mut StdRng) -> Vec<u8> {
    let part = |rng: &mut StdRng| -> String {
        match rng.gen_range(0..3) {
            0 => {
                const OK: &[u8] = b"abcXYZ019_-";
                let n = rng.gen_range(0..70);
                (0..n)
                    .map(|_| char::from(OK[rng.gen_range(0..OK.len())]))
                    .collect()
            }
            1 => random_text(rng, 70),
            _ => ["alikafka_post-cn-emulator01", "", " ", "orders"][rng.gen_range(0..4)].to_owned(),
        }
    };
    let separator = [":", ":", ":", "::", ""][rng.gen_range(0..5)];
    format!("{}{separator}{}", part(rng), part(rng)).into_bytes()
}

fn valid_name(s: &str) -> bool {
    let n = s.chars().count();
    (MIN_NAME_LEN..=MAX_NAME_LEN).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn one_line(message: &str) -> Result<(), String> {
    match message.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "error message holds the control character {c:?}: {message:?}"
        )),
        None => Ok(()),
    }
}

fn check(input: &[u8]) -> Result<(), String> {
    let raw = String::from_utf8_lossy(input);
    let raw = raw.as_ref();
    match KafkaName::parse(raw) {
        Ok(_) if !valid_name(raw) => return Err(format!("name {raw:?} accepted")),
        Ok(name) if name.as_str() != raw || name.to_string() != raw => {
            return Err(format!("name {raw:?} changed into {name}"))
        }
        Err(e) if valid_name(raw) => return Err(format!("name {raw:?} refused: {e}")),
        Err(e) => one_line(&e)?,
        Ok(_) => {}
    }
    let what = if input.len() % 2 == 0 {
        "topic"
    } else {
        "consumer_id"
    };
    let expected = raw.split_once(':').filter(|(instance, name)| {
        !instance.trim().is_empty() && !name.contains(':') && valid_name(name)
    });
    match (ObjectId::parse(raw, what), expected) {
        (Ok(id), Some((instance, name))) => {
            if id.instance_id != instance || id.name.as_str() != name || id.to_string() != raw {
                return Err(format!("{raw:?} parsed as {id:?}"));
            }
            if ObjectId::parse(&id.to_string(), what).as_ref() != Ok(&id) {
                return Err(format!("{id} does not parse back"));
            }
        }
        (Err(e), None) => {
            one_line(&e)?;
            if !e.contains(what) {
                return Err(format!("error for a {what} ID does not say so: {e}"));
            }
        }
        (got, expected) => return Err(format!("{raw:?}: got {got:?}, the rules say {expected:?}")),
    }
    for allow_empty in [false, true] {
        let n = raw.chars().count();
        let expected =
            (allow_empty || n > 0) && n <= MAX_REMARK_LEN && !raw.chars().any(char::is_control);
        match check_remark(raw, allow_empty) {
            Ok(()) if !expected => return Err(format!("remark {raw:?} accepted")),
            Err(e) if expected => return Err(format!("remark {raw:?} refused: {e}")),
            Err(e) => one_line(&e)?,
            Ok(()) => {}
        }
    }
    Ok(())
}
