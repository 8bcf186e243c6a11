//! Targets: the aliyun CLI profile file parser, and the credentials resolver with random
//! provider settings, environments and profile files. Secrets never appear in errors or
//! `Debug` output; the resolver follows its documented precedence.

use std::fmt;
use std::path::Path;

use alikafka::api::fuzzing::parse_profile_file;
use alikafka::api::{resolve_with, ConfigError, ConfigInputs, ResolvedConfig, SecretString};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

use crate::harness::{self, random_text, windows, ByteTarget};

const FILE_SECRET: &str = "PROFILE-SECRET-0123456789";
const FILE_TOKEN: &str = "PROFILE-TOKEN-abcdefghijk";
const LEAK_WINDOW: usize = 10;
const SECRET_KEYS: [&str; 2] = ["access_key_secret", "sts_token"];

// ----- target: the profile file -----

pub fn run_profile_file() {
    let dictionary: &[&[u8]] = &[
        b"\"profiles\":",
        b"\"current\":",
        b"\"name\":",
        b"\"mode\":",
        b"\"access_key_id\":",
        b"\"access_key_secret\":",
        b"\"sts_token\":",
        b"\"region_id\":",
        b"\"StsToken\"",
        b"\"AK\"",
        b"null",
        b"[]",
        b"{}",
        b"12",
        b"\"\\u0000\"",
        b"\"\\ud800\"",
        FILE_SECRET.as_bytes(),
        FILE_TOKEN.as_bytes(),
    ];
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(23);
    let seeds = (0..16)
        .map(|_| random_profile_file(&mut rng).into_bytes())
        .collect();
    harness::fuzz_bytes(ByteTarget {
        name: "profile_file",
        seeds,
        dictionary,
        generate_percent: 20,
        generate: &mut |rng| random_profile_file(rng).into_bytes(),
        check: &mut check_profile_file,
    });
}

/// A CLI profile file with secrets in the secret fields only.
fn random_profile_file(rng: &mut StdRng) -> String {
    let names = ["default", "main", "sts", " padded ", "", "role"];
    let profiles: Vec<Value> = (0..rng.gen_range(0..5))
        .map(|_| {
            let mut p = serde_json::Map::new();
            let mut maybe = |key: &str, value: Value, rng: &mut StdRng| {
                if rng.gen_bool(0.8) {
                    p.insert(key.to_owned(), value);
                }
            };
            maybe("name", json!(names[rng.gen_range(0..names.len())]), rng);
            maybe(
                "mode",
                json!(["AK", "StsToken", "RamRoleArn", ""][rng.gen_range(0..4)]),
                rng,
            );
            maybe(
                "access_key_id",
                json!(format!("id-{}", rng.gen::<u16>())),
                rng,
            );
            maybe("access_key_secret", json!(FILE_SECRET), rng);
            maybe(
                "sts_token",
                json!(if rng.gen_bool(0.8) { FILE_TOKEN } else { "" }),
                rng,
            );
            maybe(
                "region_id",
                json!(["cn-hangzhou", "", "cn-shanghai"][rng.gen_range(0..3)]),
                rng,
            );
            if rng.gen_bool(0.1) {
                p.insert("name".into(), json!(rng.gen::<u8>()));
            }
            Value::Object(p)
        })
        .collect();
    let mut root = json!({ "profiles": profiles, "meta_path": "" });
    if rng.gen_bool(0.6) {
        root["current"] = json!(names[rng.gen_range(0..names.len())]);
    }
    if rng.gen_bool(0.1) {
        root["profiles"] = json!(random_text(rng, 10));
    }
    root.to_string()
}

fn text_field(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// What the file holds, per the CLI's layout: `(current, profile names)`, or `None` when
/// it is not a usable file.
fn expected_profiles(text: &str) -> Option<(Option<String>, Vec<String>)> {
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let names = match root.get("profiles") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_object()?.get("name").and_then(text_field))
            .collect(),
        Some(_) => return None,
    };
    Some((root.get("current").and_then(text_field), names))
}

/// Strings of the document outside the secret fields (where a secret may be shown).
fn public_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| public_strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                if !SECRET_KEYS.contains(&k.as_str()) {
                    public_strings(v, out);
                }
            }
        }
        _ => {}
    }
}

fn leaked<'a>(shown: &str, public: &[String], secrets: &'a [&'a str]) -> Option<String> {
    secrets
        .iter()
        .flat_map(|s| windows(s, LEAK_WINDOW))
        .find(|w| shown.contains(w.as_str()) && !public.iter().any(|p| p.contains(w.as_str())))
}

fn check_profile_file(input: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(input);
    let parsed = parse_profile_file(&text);
    match (&parsed, expected_profiles(&text)) {
        (Ok(p), Some((current, names))) if p.current == current && p.names == names => {}
        (Err(_), None) => {}
        (got, expected) => return Err(format!("parsed {got:?}; the layout says {expected:?}")),
    }
    let mut public = Vec::new();
    if let Ok(doc) = serde_json::from_str::<Value>(&text) {
        public_strings(&doc, &mut public);
    }
    let shown = match &parsed {
        Ok(p) => p.debug.clone(),
        // An unusable file's error never quotes it, whatever it holds.
        Err(e) => {
            public.clear();
            e.clone()
        }
    };
    match leaked(&shown, &public, &[FILE_SECRET, FILE_TOKEN]) {
        Some(w) => Err(format!("secret fragment {w:?} shown: {shown}")),
        None => Ok(()),
    }
}

// ----- target: the credentials resolver -----

const ENV_NAMES: [&str; 12] = [
    "ALICLOUD_ACCESS_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALICLOUD_SECRET_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALICLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALICLOUD_REGION",
    "ALIBABA_CLOUD_REGION",
    "ALIBABA_CLOUD_ENDPOINT_ALIKAFKA",
    "ALICLOUD_PROFILE",
    "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_SHARED_CREDENTIALS_FILE",
];

/// Where `ALICLOUD_SHARED_CREDENTIALS_FILE` / `shared_credentials_file` point: only at
/// files this test controls.
#[derive(Debug, Clone, Copy)]
enum SharedFile {
    InTemp,
    InHome,
    Missing,
    HomeItself,
    Empty,
}

struct Case {
    env: Vec<(&'static str, String)>,
    explicit: ConfigInputs,
    explicit_file: Option<SharedFile>,
    env_file: Option<SharedFile>,
    has_home: bool,
    default_file: Option<String>,
    custom_file: Option<String>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("env", &self.env)
            .field("explicit", &self.explicit)
            .field(
                "explicit_secret",
                &self.explicit.secret_key.as_ref().map(SecretString::expose),
            )
            .field(
                "explicit_token",
                &self
                    .explicit
                    .security_token
                    .as_ref()
                    .map(SecretString::expose),
            )
            .field("explicit_file", &self.explicit_file)
            .field("env_file", &self.env_file)
            .field("has_home", &self.has_home)
            .field("default_file", &self.default_file)
            .field("custom_file", &self.custom_file)
            .finish()
    }
}

const SECRETS: [&str; 6] = [
    "EXPLICIT-SECRET-1234",
    "EXPLICIT-TOKEN-56789",
    "ENV-SECRET-abcdefghij",
    "ENV-TOKEN-klmnopqrst",
    FILE_SECRET,
    FILE_TOKEN,
];

fn padded(rng: &mut StdRng, value: &str) -> String {
    match rng.gen_range(0..6) {
        0 => format!("  {value}\t"),
        1 => String::new(),
        2 => " ".into(),
        _ => value.to_owned(),
    }
}

fn random_case(rng: &mut StdRng) -> Case {
    let text = |rng: &mut StdRng, pool: &[&str]| -> String {
        if rng.gen_bool(0.1) {
            random_text(rng, 12)
        } else {
            let v = pool[rng.gen_range(0..pool.len())];
            padded(rng, v)
        }
    };
    let mut env = Vec::new();
    for name in ENV_NAMES {
        if !rng.gen_bool(0.3) {
            continue;
        }
        let value = match name {
            "ALICLOUD_SECRET_KEY" | "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => padded(rng, SECRETS[2]),
            "ALICLOUD_SECURITY_TOKEN" | "ALIBABA_CLOUD_SECURITY_TOKEN" => padded(rng, SECRETS[3]),
            "ALICLOUD_REGION" | "ALIBABA_CLOUD_REGION" => {
                text(rng, &["cn-hangzhou", "cn-beijing", "Bad Region"])
            }
            "ALIBABA_CLOUD_ENDPOINT_ALIKAFKA" => text(rng, &["http://127.0.0.1:9120", "https://x"]),
            "ALICLOUD_PROFILE" | "ALIBABA_CLOUD_PROFILE" => {
                text(rng, &["default", "main", "sts", "nope"])
            }
            "ALICLOUD_SHARED_CREDENTIALS_FILE" => String::new(), // set from env_file
            _ => text(rng, &["env-id", "env-id-2"]),
        };
        env.push((name, value));
    }
    let shared = |rng: &mut StdRng| {
        rng.gen_bool(0.3).then(|| {
            [
                SharedFile::InTemp,
                SharedFile::InHome,
                SharedFile::Missing,
                SharedFile::HomeItself,
                SharedFile::Empty,
            ][rng.gen_range(0..5)]
        })
    };
    let some_text = |rng: &mut StdRng, pool: &[&str]| rng.gen_bool(0.4).then(|| text(rng, pool));
    let explicit = ConfigInputs {
        access_key: some_text(rng, &["block-id"]),
        secret_key: rng
            .gen_bool(0.4)
            .then(|| SecretString::new(padded(rng, SECRETS[0]))),
        security_token: rng
            .gen_bool(0.3)
            .then(|| SecretString::new(padded(rng, SECRETS[1]))),
        region: some_text(rng, &["cn-shanghai"]),
        profile: some_text(rng, &["default", "main", "sts", "nope"]),
        shared_credentials_file: None,
        endpoint: some_text(rng, &["http://127.0.0.1:9999"]),
        ..ConfigInputs::default()
    };
    Case {
        env,
        explicit,
        explicit_file: shared(rng),
        env_file: shared(rng),
        has_home: rng.gen_bool(0.8),
        default_file: rng.gen_bool(0.6).then(|| random_profile_file(rng)),
        custom_file: rng.gen_bool(0.6).then(|| random_profile_file(rng)),
    }
}

pub fn run_resolver() {
    // One directory for the whole run: files are rewritten or removed per case.
    let temp = tempfile::tempdir().expect("a temporary directory");
    harness::fuzz_structured("credentials_resolver", &mut random_case, &mut |case| {
        check_resolver(temp.path(), case)
    });
}

/// Writes or removes a file. Removes first: ext4 flushes a file truncated and rewritten
/// in place (`auto_da_alloc`), which made each case take milliseconds.
fn put(path: &Path, text: Option<&String>) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("{}: {e}", path.display());
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
        _ => {}
    }
    match text {
        Some(text) => std::fs::write(path, text).map_err(failed),
        None => Ok(()),
    }
}

fn first_set(values: &[Option<&str>]) -> Option<String> {
    values
        .iter()
        .flatten()
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
        .map(str::to_owned)
}

fn check_resolver(temp: &Path, case: &Case) -> Result<(), String> {
    let home = temp.join("home");
    let aliyun = home.join(".aliyun");
    std::fs::create_dir_all(&aliyun).map_err(|e| e.to_string())?;
    put(&aliyun.join("config.json"), case.default_file.as_ref())?;
    let custom = temp.join("custom.json");
    put(&custom, case.custom_file.as_ref())?;
    put(&home.join("custom.json"), case.custom_file.as_ref())?;
    let path_for = |choice: SharedFile| match choice {
        SharedFile::InTemp => custom.display().to_string(),
        SharedFile::InHome => "~/custom.json".to_owned(),
        SharedFile::Missing => temp.join("missing.json").display().to_string(),
        SharedFile::HomeItself => "~".to_owned(),
        SharedFile::Empty => String::new(),
    };
    let mut env: Vec<(&str, String)> = case
        .env
        .iter()
        .filter(|(n, _)| *n != "ALICLOUD_SHARED_CREDENTIALS_FILE")
        .cloned()
        .collect();
    if let Some(choice) = case.env_file {
        env.push(("ALICLOUD_SHARED_CREDENTIALS_FILE", path_for(choice)));
    }
    let mut explicit = case.explicit.clone();
    explicit.shared_credentials_file = case.explicit_file.map(|c| path_for(c).into());
    let lookup = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let outcome = resolve_with(&explicit, &lookup, case.has_home.then_some(home.as_path()));

    let shown = match &outcome {
        Ok(resolved) => format!("{resolved:?}"),
        Err(e) => format!("{e} {e:?}"),
    };
    if let Some(secret) = SECRETS.iter().find(|s| shown.contains(*s)) {
        return Err(format!("secret {secret:?} shown: {shown}"));
    }
    check_precedence(&explicit, &lookup, &outcome)
}

/// Explicit values win over `ALICLOUD_*`, which win over `ALIBABA_CLOUD_*`; a key id needs
/// a secret and the other way round; without either, credentials come from a profile.
fn check_precedence(
    explicit: &ConfigInputs,
    env: &dyn Fn(&str) -> Option<String>,
    outcome: &Result<ResolvedConfig, ConfigError>,
) -> Result<(), String> {
    let e = |name| env(name);
    let id = first_set(&[
        explicit.access_key.as_deref(),
        e("ALICLOUD_ACCESS_KEY").as_deref(),
        e("ALIBABA_CLOUD_ACCESS_KEY_ID").as_deref(),
    ]);
    let secret = first_set(&[
        explicit.secret_key.as_ref().map(SecretString::expose),
        e("ALICLOUD_SECRET_KEY").as_deref(),
        e("ALIBABA_CLOUD_ACCESS_KEY_SECRET").as_deref(),
    ]);
    let token = first_set(&[
        explicit.security_token.as_ref().map(SecretString::expose),
        e("ALICLOUD_SECURITY_TOKEN").as_deref(),
        e("ALIBABA_CLOUD_SECURITY_TOKEN").as_deref(),
    ]);
    let region = first_set(&[
        explicit.region.as_deref(),
        e("ALICLOUD_REGION").as_deref(),
        e("ALIBABA_CLOUD_REGION").as_deref(),
    ]);
    let endpoint = first_set(&[
        explicit.endpoint.as_deref(),
        e("ALIBABA_CLOUD_ENDPOINT_ALIKAFKA").as_deref(),
    ]);
    match (&id, &secret, outcome) {
        (Some(_), None, Err(ConfigError::MissingSecretKey { .. })) => return Ok(()),
        (None, Some(_), Err(ConfigError::MissingAccessKeyId { .. })) => return Ok(()),
        (Some(_), None, other) | (None, Some(_), other) => {
            return Err(format!("half a key pair gave {other:?}"))
        }
        _ => {}
    }
    let Ok(resolved) = outcome else {
        return Ok(());
    };
    if let (Some(id), Some(secret)) = (&id, &secret) {
        let Some(creds) = resolved.source.as_static() else {
            return Err(format!("keys set, but the source is {:?}", resolved.source));
        };
        let got_token = creds.security_token.as_ref().map(|t| t.expose().to_owned());
        if &creds.access_key_id != id
            || creds.access_key_secret.expose() != secret
            || got_token != token
        {
            return Err(format!(
                "credentials {creds:?} (token {}) do not follow precedence",
                got_token.is_some()
            ));
        }
        if resolved.credentials_source.starts_with("profile") {
            return Err(format!(
                "explicit or environment keys credited to {}",
                resolved.credentials_source
            ));
        }
    } else if !resolved.credentials_source.starts_with("profile") {
        return Err(format!(
            "keys from nowhere credited to {}",
            resolved.credentials_source
        ));
    }
    if let Some(region) = region {
        if resolved.region != region {
            return Err(format!("region {:?}, expected {region:?}", resolved.region));
        }
    }
    if resolved.endpoint != endpoint {
        return Err(format!(
            "endpoint {:?}, expected {endpoint:?}",
            resolved.endpoint
        ));
    }
    Ok(())
}
