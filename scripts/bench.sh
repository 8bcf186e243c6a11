#!/usr/bin/env bash
# The end-to-end benchmark of docs/performance.md: the release build of the provider and the
# emulator, both real Terraform CLIs, one table of figures on stdout (progress on stderr).
# Knobs are environment variables (BENCH_N, BENCH_RUNS, ...; see docs/performance.md), e.g.
#   BENCH_N=30 BENCH_RUNS=1 BENCH_INSTANCES=1 bash scripts/bench.sh    # a one-minute check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-tools.sh
exec cargo bench --locked --bench terraform_bench
