//! Our credentials resolver against Alibaba's official credentials library
//! (`alibabacloud-credentials`, its default chain), case by case: the same environment and
//! the same files in a fresh home directory, both get credentials from the real emulator
//! (STS, the ECS metadata stand-in, the credentials URI stand-in), and the emulator says which
//! role each set belongs to and how it was issued. Where the two chains are meant to agree,
//! they must pick the same source, the same role (and the same STS endpoint); where we follow
//! the alicloud Terraform provider instead, the case says so and why, and checks that the
//! difference is exactly that.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use alikafka::api::{
    resolve_with, ConfigInputs, CredentialsProvider, FetchSettings, Source,
    ECS_METADATA_ENDPOINT_ENV,
};
use common::*;
use serde_json::{json, Value};

const DEMO_ROLE: &str = "acs:ram::1000000000000000:role/emulator-demo-role";
const READONLY_ROLE: &str = "acs:ram::1000000000000000:role/emulator-demo-readonly";
const DEMO_OIDC: &str = "acs:ram::1000000000000000:oidc-provider/emulator-demo-oidc";
/// A closed loopback port: "not on ECS" without reaching the real metadata address.
const NOT_ON_ECS: &str = "http://127.0.0.1:1";

fn python() -> PathBuf {
    let python = tools_dir().join("venv/bin/python");
    assert!(
        python.exists(),
        "the tools venv is missing at {}: run scripts/install-tools.sh",
        python.display()
    );
    python
}

/// What a chain ended up with, in terms both chains share.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Picked {
    /// Fixed keys: the AccessKeyId, and whether an STS token came with them.
    Keys { access_key_id: String, token: bool },
    /// Temporary credentials the emulator issued: how, and for which role.
    Issued { origin: String, role_arn: String },
    /// The chain found nothing (or failed).
    Nothing(String),
}

struct Case {
    name: &'static str,
    env: Vec<(&'static str, String)>,
    /// Files under the home directory.
    files: Vec<(&'static str, String)>,
    on_ecs: bool,
    /// `None`: both chains must agree. `Some(why)`: they differ, as `official` and `ours`.
    differs: Option<Difference>,
}

struct Difference {
    official: Picked,
    ours: Picked,
    why: &'static str,
}

struct Judge {
    emulator: Emulator,
    metadata_url: String,
    token: String,
}

impl Judge {
    fn start() -> Judge {
        let emulator = Emulator::start();
        let sts = emulator.control_get("sts");
        let metadata_url = sts["ecs_metadata_url"]
            .as_str()
            .unwrap_or_else(|| panic!("no stand-in URL in {sts}"))
            .to_string();
        let token = emulator.control_post("oidc/token", json!({}))["token"]
            .as_str()
            .expect("a minted token")
            .to_string();
        Judge {
            emulator,
            metadata_url,
            token,
        }
    }

    fn credentials_uri(&self) -> String {
        self.emulator.control_get("sts")["credentials_uri"]
            .as_str()
            .expect("credentials URI")
            .to_string()
    }

    /// The emulator's record of an AccessKeyId it issued, if it did.
    fn issued(&self, access_key_id: &str) -> Option<(String, String)> {
        let sessions = self.emulator.control_get("sts/sessions");
        sessions["sessions"].as_array()?.iter().find_map(|s| {
            (s["access_key_id"] == access_key_id).then(|| {
                (
                    s["origin"].as_str().unwrap_or_default().to_string(),
                    s["role_arn"].as_str().unwrap_or_default().to_string(),
                )
            })
        })
    }

    fn picked(&self, access_key_id: &str, token: bool) -> Picked {
        match self.issued(access_key_id) {
            Some((origin, role_arn)) => Picked::Issued { origin, role_arn },
            None => Picked::Keys {
                access_key_id: access_key_id.to_string(),
                token,
            },
        }
    }

    fn metadata(&self, case: &Case) -> String {
        if case.on_ecs {
            self.metadata_url.clone()
        } else {
            NOT_ON_ECS.to_string()
        }
    }

    /// The official chain: (what it picked, the STS endpoints it chose).
    fn official(&self, case: &Case, home: &Path) -> (Picked, Vec<String>) {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/credentials_judge.py");
        let mut command = Command::new(python());
        command
            .arg(script)
            .arg(&self.emulator.url)
            .arg(self.metadata(case))
            .env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in &case.env {
            command.env(k, v);
        }
        let out = command.output().expect("run the judge");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        let answer: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!(
                "{}: judge output {e}: {stdout}\n{}",
                case.name,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let endpoints = answer["sts_endpoints"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if answer["ok"] != true {
            return (Picked::Nothing(answer["error"].to_string()), endpoints);
        }
        let id = answer["access_key_id"].as_str().expect("access key id");
        (self.picked(id, answer["has_token"] == true), endpoints)
    }

    /// Our resolver and credentials provider: (what it picked, the STS endpoints it chose).
    fn ours(&self, case: &Case, home: &Path) -> (Picked, Vec<String>) {
        let mut env: HashMap<String, String> = case
            .env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        env.insert(ECS_METADATA_ENDPOINT_ENV.to_string(), self.metadata(case));
        let lookup = |name: &str| env.get(name).cloned();
        let inputs = ConfigInputs {
            region: Some(REGION_HZ.into()),
            ..ConfigInputs::default()
        };
        let resolved = match resolve_with(&inputs, &lookup, Some(home)) {
            Ok(resolved) => resolved,
            Err(e) => return (Picked::Nothing(e.to_string()), Vec::new()),
        };
        let mut source = resolved.source;
        let mut endpoints = Vec::new();
        redirect_sts(&mut source, &self.emulator.url, &mut endpoints);
        let provider = CredentialsProvider::new(
            source,
            resolved.credentials_source,
            FetchSettings::default(),
        )
        .expect("provider");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        match runtime.block_on(provider.current()) {
            Ok(credentials) => (
                self.picked(
                    &credentials.access_key_id,
                    credentials.security_token.is_some(),
                ),
                endpoints,
            ),
            Err(e) => (Picked::Nothing(e.to_string()), endpoints),
        }
    }
}

/// Records the STS endpoints the resolver chose (innermost first, as the library builds
/// them) and points them at the emulator.
fn redirect_sts(source: &mut Source, url: &str, chosen: &mut Vec<String>) {
    match source {
        Source::AssumeRole { base, role } => {
            redirect_sts(base, url, chosen);
            chosen.push(role.sts.address());
            role.sts.explicit = Some(url.to_string());
        }
        Source::Oidc(spec) => {
            chosen.push(spec.sts.address());
            spec.sts.explicit = Some(url.to_string());
        }
        _ => {}
    }
}

fn profiles(current: &str, profiles: Value) -> String {
    json!({"current": current, "profiles": profiles}).to_string()
}

fn demo_keys(name: &str) -> Value {
    json!({"name": name, "mode": "AK", "access_key_id": DEMO_AK, "access_key_secret": DEMO_SK, "region_id": REGION_HZ})
}

fn ram_role(name: &str) -> Value {
    json!({"name": name, "mode": "RamRoleArn", "access_key_id": DEMO_AK, "access_key_secret": DEMO_SK,
           "ram_role_arn": DEMO_ROLE, "ram_session_name": "judge", "sts_region": "cn-shanghai",
           "enable_vpc": true, "region_id": REGION_HZ})
}

fn issued(origin: &str, role: &str) -> Picked {
    Picked::Issued {
        origin: origin.to_string(),
        role_arn: role.to_string(),
    }
}

fn cases(judge: &Judge, home_token: &str) -> Vec<Case> {
    let oidc_env = |file: &str| {
        vec![
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", DEMO_OIDC.to_string()),
            ("ALIBABA_CLOUD_ROLE_ARN", DEMO_ROLE.to_string()),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", file.to_string()),
        ]
    };
    let env_keys = vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_AK.to_string()),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEMO_SK.to_string()),
    ];
    let token_file = ("token", format!("{home_token}\n"));
    let config = |json: String| (".aliyun/config.json", json);
    let uri = judge.credentials_uri();
    let case = |name, env, files, on_ecs| Case {
        name,
        env,
        files,
        on_ecs,
        differs: None,
    };
    vec![
        case("keys from the environment", env_keys.clone(), vec![], false),
        case(
            "environment keys beat OIDC variables and a profile",
            [env_keys.clone(), oidc_env("/nonexistent")].concat(),
            vec![config(profiles("ram", json!([ram_role("ram")])))],
            false,
        ),
        case(
            "the three ACK RRSA variables beat the current profile",
            oidc_env("TOKEN_FILE"),
            vec![token_file.clone(), config(profiles("ram", json!([ram_role("ram")])))],
            false,
        ),
        case(
            "OIDC with the STS region and VPC endpoint set, as ACK sets them",
            [
                oidc_env("TOKEN_FILE"),
                vec![
                    ("ALIBABA_CLOUD_STS_REGION", "cn-hangzhou".to_string()),
                    ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true".to_string()),
                    ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "rrsa-pod".to_string()),
                ],
            ]
            .concat(),
            vec![token_file.clone()],
            false,
        ),
        case(
            "two of the three OIDC variables: the profile",
            oidc_env("TOKEN_FILE")[..2].to_vec(),
            vec![token_file.clone(), config(profiles("keys", json!([demo_keys("keys")])))],
            false,
        ),
        case(
            "the current profile, mode AK",
            vec![],
            vec![config(profiles("keys", json!([demo_keys("keys")])))],
            false,
        ),
        case(
            "the current profile, mode StsToken",
            vec![],
            vec![config(profiles(
                "sts",
                json!([{"name": "sts", "mode": "StsToken", "access_key_id": "STS.judge", "access_key_secret": "s",
                        "sts_token": "t0ken", "region_id": REGION_HZ}]),
            ))],
            false,
        ),
        case(
            "a profile named by ALIBABA_CLOUD_PROFILE, mode RamRoleArn (sts_region, enable_vpc)",
            vec![("ALIBABA_CLOUD_PROFILE", "ram".to_string())],
            vec![config(profiles("keys", json!([demo_keys("keys"), ram_role("ram")])))],
            false,
        ),
        case(
            "ChainableRamRoleArn on top of RamRoleArn",
            vec![("ALIBABA_CLOUD_PROFILE", "chain".to_string())],
            vec![config(profiles(
                "keys",
                json!([ram_role("ram"), {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "ram",
                        "ram_role_arn": READONLY_ROLE, "ram_session_name": "chained", "region_id": REGION_HZ}]),
            ))],
            false,
        ),
        case(
            "a profile in mode OIDC",
            vec![],
            vec![
                token_file.clone(),
                config(profiles(
                    "oidc",
                    json!([{"name": "oidc", "mode": "OIDC", "ram_role_arn": DEMO_ROLE, "oidc_provider_arn": DEMO_OIDC,
                            "oidc_token_file": "TOKEN_FILE", "role_session_name": "oidc-profile", "region_id": REGION_HZ}]),
                )),
            ],
            false,
        ),
        case(
            "a profile in mode EcsRamRole on an ECS instance",
            vec![],
            vec![config(profiles(
                "ecs",
                json!([{"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "emulator-demo-role", "region_id": REGION_HZ}]),
            ))],
            true,
        ),
        case(
            "ALIBABA_CLOUD_ECS_METADATA on an ECS instance",
            vec![("ALIBABA_CLOUD_ECS_METADATA", "emulator-demo-role".to_string())],
            vec![],
            true,
        ),
        case(
            "the ECS role before the credentials URI",
            vec![
                ("ALIBABA_CLOUD_ECS_METADATA", "emulator-demo-role".to_string()),
                ("ALIBABA_CLOUD_CREDENTIALS_URI", uri.clone()),
            ],
            vec![],
            true,
        ),
        case(
            "ALIBABA_CLOUD_CREDENTIALS_URI off ECS",
            vec![("ALIBABA_CLOUD_CREDENTIALS_URI", uri.clone())],
            vec![],
            false,
        ),
        case(
            "ALIBABA_CLOUD_CLI_PROFILE_DISABLED skips the profile",
            vec![
                ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true".to_string()),
                ("ALIBABA_CLOUD_CREDENTIALS_URI", uri.clone()),
            ],
            vec![config(profiles("keys", json!([demo_keys("keys")])))],
            false,
        ),
        case(
            "nothing at all, off ECS",
            vec![],
            vec![],
            false,
        ),
        Case {
            differs: Some(Difference {
                official: Picked::Nothing(String::new()),
                ours: issued("CredentialsUri", DEMO_ROLE),
                why: "the aliyun CLI has a CredentialsURI profile mode and the issue asks for it; \
                      the official library answers \"unsupported profile mode\"",
            }),
            ..case(
                "a profile in mode CredentialsURI",
                vec![],
                vec![config(profiles(
                    "uri",
                    json!([{"name": "uri", "mode": "CredentialsURI", "credentials_uri": uri, "region_id": REGION_HZ}]),
                ))],
                false,
            )
        },
        Case {
            differs: Some(Difference {
                official: issued("EcsMetadata", DEMO_ROLE),
                ours: Picked::Nothing(String::new()),
                why: "like the alicloud provider, we use the metadata service only when a role \
                      name is given (ecs_role_name or its variables): no one-second probe of a \
                      link-local address on every machine that is not an ECS instance",
            }),
            ..case("nothing at all, on an ECS instance", vec![], vec![], true)
        },
        Case {
            differs: Some(Difference {
                official: Picked::Keys {
                    access_key_id: DEMO_AK.to_string(),
                    token: false,
                },
                ours: Picked::Nothing(String::new()),
                why: "the alicloud provider reads the aliyun CLI's config.json, not \
                      ~/.alibabacloud/credentials.ini; neither do we",
            }),
            ..case(
                "only the INI credentials file",
                vec![],
                vec![(
                    ".alibabacloud/credentials.ini",
                    format!("[default]\ntype = access_key\naccess_key_id = {DEMO_AK}\naccess_key_secret = {DEMO_SK}\n"),
                )],
                false,
            )
        },
        Case {
            differs: Some(Difference {
                official: issued("CredentialsUri", DEMO_ROLE),
                ours: Picked::Nothing(String::new()),
                why: "a profile named outright (ALIBABA_CLOUD_PROFILE) that is not in the file is \
                      a configuration error that names it; the library skips to the next source",
            }),
            ..case(
                "a named profile that does not exist",
                vec![
                    ("ALIBABA_CLOUD_PROFILE", "missing".to_string()),
                    ("ALIBABA_CLOUD_CREDENTIALS_URI", uri),
                ],
                vec![config(profiles("keys", json!([demo_keys("keys")])))],
                false,
            )
        },
    ]
}

/// `TOKEN_FILE` in a case stands for the token file in its home directory.
fn place_token_file(case: &mut Case, home: &Path) {
    let path = home.join("token").display().to_string();
    for (_, value) in case.env.iter_mut() {
        *value = value.replace("TOKEN_FILE", &path);
    }
    for (_, content) in case.files.iter_mut() {
        *content = content.replace("TOKEN_FILE", &path);
    }
}

fn same_kind(a: &Picked, b: &Picked) -> bool {
    match (a, b) {
        (Picked::Nothing(_), Picked::Nothing(_)) => true,
        _ => a == b,
    }
}

#[test]
fn our_chain_agrees_with_the_official_library() {
    let judge = Judge::start();
    let token = judge.token.clone();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for mut case in cases(&judge, &token) {
        let home = tempfile::tempdir().expect("home");
        place_token_file(&mut case, home.path());
        for (path, content) in &case.files {
            let file = home.path().join(path);
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(file, content).expect("write");
        }
        let (official, official_sts) = judge.official(&case, home.path());
        let (ours, our_sts) = judge.ours(&case, home.path());
        report.push(format!(
            "{}: official {official:?} via {official_sts:?}; ours {ours:?} via {our_sts:?}",
            case.name
        ));
        match &case.differs {
            None => {
                if !same_kind(&official, &ours) {
                    failures.push(format!(
                        "{}: official {official:?}, ours {ours:?}",
                        case.name
                    ));
                }
                // The library builds its OIDC provider (choosing an endpoint) even when an
                // earlier source wins: endpoints are compared where an STS call was made.
                let called_sts = matches!(&ours, Picked::Issued { origin, .. } if origin.starts_with("AssumeRole"));
                if called_sts && official_sts != our_sts {
                    failures.push(format!(
                        "{}: STS endpoints: official {official_sts:?}, ours {our_sts:?}",
                        case.name
                    ));
                }
            }
            Some(difference) => {
                if !same_kind(&official, &difference.official)
                    || !same_kind(&ours, &difference.ours)
                {
                    failures.push(format!(
                        "{}: expected the documented difference ({}): official {:?} / ours {:?}, got official {official:?} / ours {ours:?}",
                        case.name, difference.why, difference.official, difference.ours
                    ));
                }
            }
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The matrix exercised every kind of source on both sides.
    let joined = report.join("\n");
    for origin in [
        "AssumeRole\"",
        "AssumeRoleWithOIDC",
        "EcsMetadata",
        "CredentialsUri",
        "Keys",
    ] {
        assert!(
            joined.contains(origin),
            "no case ended with {origin}:\n{joined}"
        );
    }
}
