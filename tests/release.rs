//! Release packaging (issue 6): `scripts/release.sh` writes the archives the Terraform Registry
//! expects, `scripts/install-mirror.sh` puts them into a filesystem mirror, and both real
//! Terraform CLIs install the provider from that mirror with a version constraint, no
//! dev_overrides and no network. `terraform init` never starts the provider, so these tests
//! package the debug binary cargo built for the tests (`PROVIDER_BINARY`) to stay fast.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use common::{for_each_terraform, Terraform, Workspace, PROVIDER_SOURCE};

const NAME: &str = "terraform-provider-alikafka";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const PLATFORM: &str = "linux_amd64";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-alikafka"))
}

fn zip_name() -> String {
    format!("{NAME}_{VERSION}_{PLATFORM}.zip")
}

fn manifest_name() -> String {
    format!("{NAME}_{VERSION}_manifest.json")
}

fn sums_name() -> String {
    format!("{NAME}_{VERSION}_SHA256SUMS")
}

/// Runs one of the repository's scripts with a clean packaging environment.
fn script(name: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts").join(name))
        .args(args)
        .env_remove("DIST_DIR")
        .env_remove("PROVIDER_BINARY")
        .env_remove("VERSION")
        .env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("run scripts/{name}: {e}"))
}

fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn sha256_file(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// Terraform's `h1:` package hash (Go's dirhash "Hash1") of a package holding one file: the
/// SHA-256 of the line `<sha256 hex>  <file name>\n`, in base64.
fn h1_hash(file_name: &str, content_sha256_hex: &str) -> String {
    let summary = format!("{content_sha256_hex}  {file_name}\n");
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

/// What the release and the two mirrors made from it look like on disk, built once per run.
struct Fixture {
    dist: PathBuf,
    unpacked_mirror: PathBuf,
    packed_mirror: PathBuf,
    release_stdout: String,
    unpacked_stdout: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // CARGO_TARGET_TMPDIR is cargo's scratch space for integration tests; start clean.
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-test");
        if base.exists() {
            std::fs::remove_dir_all(&base).expect("clear the previous run's files");
        }
        let dist = base.join("dist");
        let unpacked_mirror = base.join("mirror-unpacked");
        let packed_mirror = base.join("mirror-packed");
        let binary = provider_binary();

        let release = script(
            "release.sh",
            &[],
            &[("DIST_DIR", &dist), ("PROVIDER_BINARY", &binary)],
        );
        assert_success("scripts/release.sh", &release);

        let unpacked = script(
            "install-mirror.sh",
            &[unpacked_mirror.to_str().expect("utf-8 path")],
            &[("PROVIDER_BINARY", &binary)],
        );
        assert_success("scripts/install-mirror.sh (unpacked)", &unpacked);

        let zip = dist.join(zip_name());
        let packed = script(
            "install-mirror.sh",
            &[
                "--zip",
                zip.to_str().expect("utf-8 path"),
                packed_mirror.to_str().expect("utf-8 path"),
            ],
            &[],
        );
        assert_success("scripts/install-mirror.sh --zip", &packed);

        Fixture {
            dist,
            unpacked_mirror,
            packed_mirror,
            release_stdout: String::from_utf8_lossy(&release.stdout).into_owned(),
            unpacked_stdout: String::from_utf8_lossy(&unpacked.stdout).into_owned(),
        }
    })
}

/// The entries of a zip file, read with Python's zipfile (python3 is a prerequisite).
fn zip_entries(zip: &Path) -> Vec<Value> {
    let program = r#"
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps([
        {"name": i.filename, "mode": i.external_attr >> 16, "date_time": list(i.date_time),
         "size": i.file_size, "sha256": hashlib.sha256(z.read(i)).hexdigest()}
        for i in z.infolist()
    ]))
"#;
    let out = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", program])
        .arg(zip)
        .output()
        .expect("run python3");
    assert_success("reading the zip with python3", &out);
    serde_json::from_slice(&out.stdout).expect("zip listing JSON")
}

#[test]
fn release_archives_follow_the_registry_layout() {
    let fx = fixture();
    let mut files: Vec<String> = std::fs::read_dir(&fx.dist)
        .expect("dist dir")
        .map(|e| {
            e.expect("dist entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let mut expected = vec![zip_name(), manifest_name(), sums_name()];
    expected.sort();
    assert_eq!(files, expected, "dist/ holds exactly the release assets");
    for name in &expected {
        assert!(
            fx.release_stdout.contains(name),
            "release.sh names {name} in its output:\n{}",
            fx.release_stdout
        );
    }

    // The zip holds exactly the binary, named as Terraform expects, executable, dated to a
    // fixed time (so the same binary always gives the same checksums).
    let entries = zip_entries(&fx.dist.join(zip_name()));
    assert_eq!(entries.len(), 1, "one entry in the zip: {entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["name"], format!("{NAME}_v{VERSION}"));
    assert_eq!(entry["sha256"], sha256_file(&provider_binary()));
    assert_eq!(
        entry["mode"].as_u64().map(|m| m & 0o777),
        Some(0o755),
        "{entry}"
    );
    assert_eq!(
        entry["mode"].as_u64().map(|m| m & 0o170000),
        Some(0o100000),
        "a regular file: {entry}"
    );
    assert_eq!(entry["date_time"], json!([1980, 1, 1, 0, 0, 0]));

    // The manifest is the repository's, which says protocol 6.0.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(fx.dist.join(manifest_name())).expect("manifest"))
            .expect("manifest JSON");
    assert_eq!(
        manifest,
        json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    assert_eq!(
        std::fs::read(fx.dist.join(manifest_name())).expect("manifest"),
        std::fs::read(repo().join("terraform-registry-manifest.json")).expect("root manifest"),
        "the release manifest is a copy of terraform-registry-manifest.json"
    );

    // SHA256SUMS: sha256sum's format, sorted by name, one line per zip and manifest.
    let sums = std::fs::read_to_string(fx.dist.join(sums_name())).expect("SHA256SUMS");
    let mut wanted = [zip_name(), manifest_name()];
    wanted.sort();
    let expected_sums: String = wanted
        .iter()
        .map(|n| format!("{}  {n}\n", sha256_file(&fx.dist.join(n))))
        .collect();
    assert_eq!(sums, expected_sums);
}

#[test]
fn install_mirror_lays_out_both_mirror_formats() {
    let fx = fixture();
    let base = fx.unpacked_mirror.join(PROVIDER_SOURCE);
    let unpacked = base
        .join(VERSION)
        .join(PLATFORM)
        .join(format!("{NAME}_v{VERSION}"));
    assert_eq!(sha256_file(&unpacked), sha256_file(&provider_binary()));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&unpacked)
            .expect("installed binary")
            .permissions(),
    );
    assert_eq!(mode & 0o111, 0o111, "installed binary is executable");

    let packed = fx.packed_mirror.join(PROVIDER_SOURCE).join(zip_name());
    assert_eq!(sha256_file(&packed), sha256_file(&fx.dist.join(zip_name())));

    // The printed CLI configuration is the one the other tests write by hand.
    let printed = &fx.unpacked_stdout;
    for needle in [
        "provider_installation {".to_string(),
        "filesystem_mirror {".to_string(),
        format!("path    = \"{}\"", fx.unpacked_mirror.display()),
        format!("include = [\"{PROVIDER_SOURCE}\"]"),
        format!("exclude = [\"{PROVIDER_SOURCE}\"]"),
    ] {
        assert!(printed.contains(&needle), "{needle:?} in:\n{printed}");
    }
}

#[test]
fn install_mirror_rejects_a_zip_that_does_not_match_its_checksums() {
    let fx = fixture();
    let dir = tempfile::tempdir().expect("temp dir");
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    let zip = dist.join(zip_name());
    let mut bytes = std::fs::read(fx.dist.join(zip_name())).expect("zip");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&zip, bytes).expect("write zip");
    std::fs::copy(fx.dist.join(sums_name()), dist.join(sums_name())).expect("copy sums");

    let mirror = dir.path().join("mirror");
    let out = script(
        "install-mirror.sh",
        &[
            "--zip",
            zip.to_str().expect("utf-8"),
            mirror.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(!out.status.success(), "a tampered zip was installed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not match"), "{stderr}");
    assert!(!mirror.join(PROVIDER_SOURCE).join(zip_name()).exists());
}

#[test]
fn release_script_rejects_a_version_that_is_not_semver() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = script(
        "release.sh",
        &["one-point-oh"],
        &[
            ("DIST_DIR", &dir.path().join("dist")),
            ("PROVIDER_BINARY", &provider_binary()),
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a semantic version"), "{stderr}");
    assert!(!dir.path().join("dist").exists(), "nothing written");
}

/// A workspace whose CLI configuration has only a filesystem mirror: no dev_overrides and
/// no registry (`direct` excluded for every provider).
fn mirror_workspace(tf: &Terraform, mirror: &Path, constraint: &str) -> Workspace {
    let mut ws = Workspace::bare(tf);
    let cli_config = ws.path().join("mirror.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{PROVIDER_SOURCE}\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/*/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("write CLI config");
    ws.set_env("TF_CLI_CONFIG_FILE", cli_config.to_str().expect("utf-8"));
    ws.write_file(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    alikafka = {{\n      source  = \"alikafka/alikafka\"\n      version = \"{constraint}\"\n    }}\n  }}\n}}\n"
        ),
    );
    ws
}

fn series_constraint(minor_offset: u64) -> String {
    let mut parts = VERSION.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    format!("~> {major}.{}", minor + minor_offset)
}

#[test]
fn terraform_init_installs_the_provider_from_either_mirror() {
    let fx = fixture();
    let expected_hash = h1_hash(
        &format!("{NAME}_v{VERSION}"),
        &sha256_file(&provider_binary()),
    );
    let mirrors = [fx.unpacked_mirror.clone(), fx.packed_mirror.clone()];
    for_each_terraform(move |tf| {
        for mirror in &mirrors {
            let ws = mirror_workspace(&tf, mirror, &series_constraint(0));
            ws.ok(&["init", "-no-color", "-input=false"]);
            let lock = std::fs::read_to_string(ws.path().join(".terraform.lock.hcl"))
                .expect("terraform init writes the lock file");
            let block = lock_block(&lock, PROVIDER_SOURCE)
                .unwrap_or_else(|| panic!("no {PROVIDER_SOURCE} in the lock file:\n{lock}"));
            assert!(
                block.contains(&format!("version     = \"{VERSION}\"")),
                "Terraform {} locked the wrong version ({}):\n{lock}",
                tf.version,
                mirror.display()
            );
            assert!(
                block.contains(&format!("\"{expected_hash}\"")),
                "Terraform {} recorded another package hash than our binary's {expected_hash} ({}):\n{lock}",
                tf.version,
                mirror.display()
            );
            let installed = ws
                .path()
                .join(".terraform/providers")
                .join(PROVIDER_SOURCE)
                .join(VERSION)
                .join(PLATFORM)
                .join(format!("{NAME}_v{VERSION}"));
            assert_eq!(
                sha256_file(&installed),
                sha256_file(&provider_binary()),
                "Terraform {} installed our binary",
                tf.version
            );
        }
    });
}

#[test]
fn terraform_init_refuses_a_version_the_mirror_does_not_have() {
    let fx = fixture();
    let mirror = fx.packed_mirror.clone();
    for_each_terraform(move |tf| {
        let ws = mirror_workspace(&tf, &mirror, &series_constraint(1));
        let flat = ws.fails(&["init", "-no-color", "-input=false"]);
        assert!(
            flat.contains("no available releases match the given constraints"),
            "Terraform {}: {flat}",
            tf.version
        );
    });
}

/// The text of one `provider "ADDRESS" { ... }` block of a lock file.
fn lock_block<'a>(lock: &'a str, address: &str) -> Option<&'a str> {
    let start = lock.find(&format!("provider \"{address}\" {{"))?;
    let rest = &lock[start..];
    let end = rest.find("\n}").map(|i| i + 2).unwrap_or(rest.len());
    Some(&rest[..end])
}
