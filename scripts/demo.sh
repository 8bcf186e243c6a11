#!/usr/bin/env bash
# The main job: build the provider, start alikafka-emulator with its embedded default account
# and instances on a free port, `terraform apply` examples/quickstart, show the result, check
# that a second plan is empty, then stop the emulator.
#
#   bash scripts/demo.sh           the whole demo, then stop
#   bash scripts/demo.sh --serve   only build and run the emulator in the foreground on
#                                  127.0.0.1:9120, for trying your own configurations
#
# Everything it writes stays in .demo/ (git-ignored); your ~/.terraformrc is never touched.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
demo="${DEMO_DIR:-$root/.demo}"
# Where cargo puts the release binaries (CARGO_TARGET_DIR is honoured, relative to the repo).
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
release="$target_dir/release"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ "${1:-}" = "--serve" ]; then
  step "Building the emulator (release)"
  cargo build --release --locked --bin alikafka-emulator
  mkdir -p "$demo"
  step "alikafka-emulator in the foreground (Ctrl-C stops it); state in $demo/emulator.db"
  exec "$release/alikafka-emulator" --listen "${EMULATOR_LISTEN:-127.0.0.1:9120}" --data "$demo/emulator.db"
fi

step "Installing the Terraform CLIs if missing (scripts/install-tools.sh)"
bash scripts/install-tools.sh
terraform_bin="${TERRAFORM:-${ALIKAFKA_TOOLS_DIR:-$root/.tools}/terraform-1.15.5/terraform}"

step "Building the provider and the emulator (release)"
cargo build --release --locked

step "Starting alikafka-emulator on a free port"
rm -rf "$demo"
mkdir -p "$demo/quickstart"
emulator_log="$demo/emulator.log"
coproc EMULATOR { exec "$release/alikafka-emulator" --listen 127.0.0.1:0 --data "$demo/emulator.db" 2>"$emulator_log"; }
emulator_pid=$EMULATOR_PID
cleanup() {
  if kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
first_line=""
if ! read -r -t 30 first_line <&"${EMULATOR[0]}"; then
  echo "the emulator did not start; its log:" >&2
  cat "$emulator_log" >&2
  exit 1
fi
endpoint="${first_line#alikafka-emulator listening on }"
echo "$first_line"

step "Writing a CLI config for this run only ($demo/terraform.rc)"
cat > "$demo/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/alikafka/alikafka" = "$release"
  }
  direct {}
}
RC
cat "$demo/terraform.rc"
export TF_CLI_CONFIG_FILE="$demo/terraform.rc"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export TF_VAR_endpoint="$endpoint"
cp examples/quickstart/*.tf "$demo/quickstart/"
cd "$demo/quickstart"

step "terraform version"
"$terraform_bin" version

step "terraform apply (examples/quickstart)"
"$terraform_bin" apply -auto-approve -input=false

step "terraform output"
"$terraform_bin" output

step "terraform plan again: expecting no changes"
set +e
"$terraform_bin" plan -detailed-exitcode -input=false
plan_code=$?
set -e
if [ "$plan_code" -ne 0 ]; then
  echo "the second plan was not empty (exit code $plan_code)" >&2
  exit 1
fi

step "Kafka clients on the topics Terraform made (kafka-python from .tools/venv)"
bootstrap="$("$terraform_bin" output -raw bootstrap_servers)"
clients="${ALIKAFKA_TOOLS_DIR:-$root/.tools}/venv/bin/python $root/tests/kafka/clients.py"
kafka_command="$clients produce kafka-python $bootstrap orders 10 && $clients consume kafka-python $bootstrap orders billing-service 10 --commit"
echo "bootstrap.servers = $bootstrap"
echo "$kafka_command"
bash -c "$kafka_command"

step "Done"
cat <<INFO
Terraform state:   $demo/quickstart/terraform.tfstate
Emulator data:     $demo/emulator.db (log: $emulator_log)
Try it yourself:   bash scripts/demo.sh --serve   (emulator on http://127.0.0.1:9120, keys emulator-demo-ak / emulator-demo-sk,
                   Kafka bootstrap servers 127.0.0.1:9121 (cn-hangzhou instance), 127.0.0.1:9122 (cn-shanghai))
Clean up:          rm -rf $demo
INFO
