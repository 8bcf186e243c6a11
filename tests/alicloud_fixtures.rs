//! The alicloud stand-in (see `alicloud_standin/mod.rs` for why it exists) and its fixture
//! states: each fixture, as the alicloud release named in it wrote it, is held and shown
//! by real Terraform 1.15.5 with the stand-in serving that release's schemas, value for
//! value; and the schema tables agree with the provider's history.

mod alicloud_standin;
mod fwnext_support;

use alicloud_standin::{fixture_release, fixtures, StandIn, LATEST, RESOURCE_TYPES, TOPIC};
use serde_json::Value as Json;

#[test]
fn every_schema_shape_is_sound_and_found_by_release() {
    for resource in RESOURCE_TYPES {
        for era in resource.eras {
            let schema = resource
                .schema_at(era.since)
                .expect("a schema at its own release");
            assert!(
                schema.problems().is_empty(),
                "{} {}: {:?}",
                resource.name,
                era.since,
                schema.problems()
            );
            assert_eq!(
                schema.version, 0,
                "no alikafka resource ever had a schema version"
            );
            assert!(schema
                .attribute("id")
                .is_some_and(|id| id.optional && id.computed));
            assert_eq!(
                schema.block.nested_block("timeouts").is_some(),
                !era.timeouts.is_empty()
            );
        }
        assert!(resource.schema_at(LATEST).is_some());
    }
    assert!(
        TOPIC.schema_at("1.55.0").is_none(),
        "alikafka topics came in 1.56.0"
    );
    assert_eq!(TOPIC.era_at("1.118.2").unwrap().since, "1.70.0");
    assert_eq!(TOPIC.era_at("1.262.1").unwrap().since, "1.262.1");
    let old = TOPIC.schema_at("1.119.0").unwrap();
    assert!(old.attribute("configs").is_none());
    let timeouts = old.block.nested_block("timeouts").unwrap();
    assert_eq!(
        timeouts.block.attributes.len(),
        1,
        "only create, in 1.119.0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_holds_every_fixture_state_as_written() {
    let found = fixtures();
    assert_eq!(found.len(), 18, "{found:?}");
    for (name, path) in found {
        let release = fixture_release(&name).to_owned();
        let stand_in = StandIn::start(&release);
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("cli.tfrc"), "").unwrap();
        std::fs::write(
            ws.path().join("main.tf"),
            "terraform {\n  required_providers {\n    alicloud = { source = \"aliyun/alicloud\" }\n  }\n}\n",
        )
        .unwrap();
        let fixture = std::fs::read_to_string(&path).unwrap();
        std::fs::write(ws.path().join("terraform.tfstate"), &fixture).unwrap();
        let show = tokio::process::Command::new(fwnext_support::terraform("1.15.5"))
            .args(["show", "-json", "-no-color"])
            .current_dir(ws.path())
            .env("TF_CLI_CONFIG_FILE", ws.path().join("cli.tfrc"))
            .env("TF_REATTACH_PROVIDERS", stand_in.reattach())
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .output()
            .await
            .expect("terraform runs");
        let out = String::from_utf8_lossy(&show.stdout);
        assert!(
            show.status.success(),
            "{name}: {out}{}",
            String::from_utf8_lossy(&show.stderr)
        );
        let shown: Json =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}: {out}"));
        let resource = &shown["values"]["root_module"]["resources"][0];
        let written: Json = serde_json::from_str(&fixture).unwrap();
        let instance = &written["resources"][0];
        assert_eq!(resource["type"], instance["type"], "{name}");
        assert_eq!(resource["schema_version"], 0, "{name}");
        // Every attribute as stored, decoded through the stand-in's schema of that release
        // (an attribute the schema lacked, or of another type, would fail `show`).
        assert_eq!(
            resource["values"], instance["instances"][0]["attributes"],
            "{name}: {out}"
        );
        if name.starts_with("alikafka_sasl_user") {
            assert_eq!(resource["sensitive_values"]["password"], true, "{name}");
        }
    }
}
