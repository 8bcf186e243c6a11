//! The provider's functions (`provider::alikafka::...`, Terraform 1.8+) through real
//! Terraform 1.15.5 and our binary, with no credentials and no service anywhere: in plans,
//! in a variable's validation, and under `terraform test` with `mock_provider`.

mod common;

use common::{terraform, Workspace};

const CONFIG: &str = r#"
variable "topic" {
  type    = string
  default = "orders"

  validation {
    condition     = provider::alikafka::check_name(var.topic).valid
    error_message = "The topic name is refused: ${provider::alikafka::check_name(var.topic).reason}"
  }
}

variable "probe" {
  type    = string
  default = "orders"
}

locals {
  instance = "alikafka_post-cn-emulator01"
}

output "name_check" {
  value = provider::alikafka::check_name(var.probe)
}

output "topic_id" {
  value = provider::alikafka::topic_id(local.instance, var.topic)
}

output "parsed_topic" {
  value = provider::alikafka::parse_topic_id("${local.instance}:${var.topic}")
}

output "group_id" {
  value = provider::alikafka::consumer_group_id(local.instance, "billing-service")
}

output "group_name" {
  value = provider::alikafka::parse_consumer_group_id("${local.instance}:billing-service").consumer_id
}
"#;

const TESTS: &str = r#"
mock_provider "alikafka" {}

run "ids_are_built_and_parsed" {
  command = plan

  assert {
    condition     = output.topic_id == "alikafka_post-cn-emulator01:orders"
    error_message = "topic_id joins the instance and the topic"
  }

  assert {
    condition     = output.parsed_topic == { instance_id = "alikafka_post-cn-emulator01", topic = "orders" }
    error_message = "parse_topic_id splits a topic ID"
  }

  assert {
    condition     = output.group_id == "alikafka_post-cn-emulator01:billing-service" && output.group_name == "billing-service"
    error_message = "the consumer group ID functions round-trip"
  }
}

run "a_name_the_service_would_refuse_fails_validation" {
  command = plan

  variables {
    topic = "ab"
  }

  expect_failures = [var.topic]
}

run "a_valid_name_has_no_reason" {
  command = plan

  assert {
    condition     = output.name_check == { valid = true, reason = "" }
    error_message = "orders is a valid name"
  }
}

run "the_name_check_says_why" {
  command = plan

  variables {
    probe = "a.b"
  }

  assert {
    condition     = !output.name_check.valid && output.name_check.reason == "The name may contain only letters, digits, '_' and '-', found '.'."
    error_message = "check_name gives the reason"
  }
}
"#;

#[test]
fn functions_run_unconfigured_in_plans_validation_and_terraform_test() {
    let tf = terraform("1.15.5");
    let ws = Workspace::bare(&tf);
    ws.write_config(CONFIG);
    std::fs::create_dir_all(ws.path().join("tests")).expect("tests dir");
    ws.write_file("tests/functions.tftest.hcl", TESTS);

    let plan = ws.ok(&["plan", "-no-color", "-input=false"]);
    let out = plan.stdout;
    assert!(
        out.contains(r#"topic_id     = "alikafka_post-cn-emulator01:orders""#),
        "{out}"
    );
    assert!(out.contains(r#"group_name   = "billing-service""#), "{out}");

    let tested = ws.ok(&["test", "-no-color"]);
    assert!(
        tested.stdout.contains("4 passed, 0 failed"),
        "{}",
        tested.combined()
    );

    // A refused name stops the plan with the reason.
    let refused = ws.fails(&["plan", "-no-color", "-input=false", "-var", "topic=ab"]);
    assert!(
        refused.contains(
            "The topic name is refused: The name must be at least 3 characters long, got 2."
        ),
        "{refused}"
    );

    // A function's own refusal points at the argument.
    ws.write_config(
        "output \"bad\" {\n  value = provider::alikafka::topic_id(\"alikafka_post-cn-emulator01\", \"a.b\")\n}\n",
    );
    let refused = ws.fails(&["plan", "-no-color", "-input=false"]);
    assert!(
        refused.contains(r#"Invalid value for "topic" parameter: The topic "a.b" is not valid: it may contain only letters, digits, '_' and '-', found '.'."#),
        "{refused}"
    );
}
