#!/usr/bin/env bash
# The whole test suite: tools, formatting, lints, then every test (unit, property,
# integration and acceptance tests with real Terraform CLIs against the real emulator).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-tools.sh
echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check
echo "==> cargo clippy" >&2
cargo clippy --all-targets --locked -- -D warnings
echo "==> cargo test" >&2
# Acceptance tests mostly wait on Terraform and on the service's rate limits, not on the
# CPU, so more threads than cores shortens the run.
cargo test --locked --no-fail-fast -- --test-threads "${TEST_THREADS:-6}"
