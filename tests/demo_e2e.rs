//! End to end: the README's first command (`bash scripts/demo.sh`) from this checkout, as a
//! new user runs it: release build, emulator on a free port, apply, outputs, empty re-plan,
//! then a producer and a consumer on the bootstrap servers the quickstart outputs.

use std::process::Command;

#[test]
fn the_demo_applies_the_quickstart_and_replans_empty() {
    let root = env!("CARGO_MANIFEST_DIR");
    let demo_dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new("bash")
        .arg("scripts/demo.sh")
        .current_dir(root)
        .env("DEMO_DIR", demo_dir.path())
        .env_remove("TF_LOG")
        .env_remove("TF_CLI_CONFIG_FILE")
        .output()
        .expect("run scripts/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo failed ({:?}):\n{stdout}\n{stderr}",
        out.status
    );
    for expected in [
        "alikafka-emulator listening on http://127.0.0.1:",
        "Apply complete! Resources: 4 added, 0 changed, 0 destroyed.",
        "alikafka_post-cn-emulator01:orders (12 partitions, ",
        "alikafka_post-cn-emulator01:billing-service",
        "No changes.",
        "bootstrap.servers = 127.0.0.1:",
        r#"{"sent": 10, "#,
        r#"{"received": 10, "#,
        "Clean up:",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let state = std::fs::read_to_string(demo_dir.path().join("quickstart/terraform.tfstate"))
        .expect("the demo leaves its state where it says");
    assert!(state.contains("\"alikafka_topic\""), "{state}");
    assert!(
        !state.contains("emulator-demo-sk"),
        "the secret key must not be stored in the state"
    );
}
