#!/usr/bin/env bash
# Installs the provider into a local Terraform filesystem mirror, so that `terraform init`
# finds `alikafka/alikafka` without any registry, then prints the CLI configuration to use.
#
#   bash scripts/install-mirror.sh DIR              the built binary, unpacked layout:
#        DIR/registry.terraform.io/alikafka/alikafka/VERSION/OS_ARCH/terraform-provider-alikafka_vVERSION
#   bash scripts/install-mirror.sh --zip FILE DIR   a release zip (scripts/release.sh), packed layout:
#        DIR/registry.terraform.io/alikafka/alikafka/terraform-provider-alikafka_VERSION_OS_ARCH.zip
#   bash scripts/install-mirror.sh --user [--zip FILE]
#        DIR = ~/.terraform.d/plugins, the mirror Terraform searches by itself when the CLI
#        configuration has no provider_installation block. Only with --user: this script
#        writes under your home directory only when asked to.
#
# Environment (unpacked layout only):
#   PROVIDER_BINARY=PATH   install this binary (default: target/release/terraform-provider-alikafka,
#                          built with `cargo build --release --locked` if missing)
#   VERSION=X.Y.Z          the version to install it as (default: the version in Cargo.toml)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="terraform-provider-alikafka"
address="registry.terraform.io/alikafka/alikafka"
py="${PYTHON:-python3}"

die() { printf 'install-mirror.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,19s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

zip_file=""
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --zip) [ $# -ge 2 ] || usage; zip_file="$2"; shift 2 ;;
    --user) dir="${HOME:?HOME is not set}/.terraform.d/plugins"; shift ;;
    -h | --help) usage ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$dir" ] || usage; dir="$1"; shift ;;
  esac
done
[ -n "$dir" ] || usage
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

if [ -n "$zip_file" ]; then
  [ -f "$zip_file" ] || die "no such file: $zip_file"
  zip_name="$(basename "$zip_file")"
  [[ "$zip_name" =~ ^${name}_([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)_([a-z0-9]+_[a-z0-9]+)\.zip$ ]] ||
    die "not a release zip name (${name}_VERSION_OS_ARCH.zip): $zip_name"
  version="${BASH_REMATCH[1]}"
  # When the release's SHA256SUMS sits beside the zip, the zip must match it.
  sums="$(dirname "$zip_file")/${name}_${version}_SHA256SUMS"
  if [ -f "$sums" ]; then
    "$py" - "$zip_file" "$sums" <<'PY' || die "$zip_name does not match $(basename "$sums")"
import hashlib, os, sys
path, sums = sys.argv[1:3]
with open(path, "rb") as f:
    actual = hashlib.sha256(f.read()).hexdigest()
wanted = {}
with open(sums) as f:
    for line in f:
        digest, _, file_name = line.rstrip("\n").partition("  ")
        wanted[file_name] = digest
sys.exit(0 if wanted.get(os.path.basename(path)) == actual else 1)
PY
  fi
  target="$dir/$address/$zip_name"
  mkdir -p "$(dirname "$target")"
  install -m 0644 "$zip_file" "$target"
else
  version="${VERSION:-$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n1)}"
  version="${version#v}"
  [ -n "$version" ] || die "no version given and none found in Cargo.toml"
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) die "unsupported OS $(uname -s)" ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) die "unsupported architecture $(uname -m)" ;; esac
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
  case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
  binary="${PROVIDER_BINARY:-$target_dir/release/$name}"
  if [ -z "${PROVIDER_BINARY:-}" ] && [ ! -x "$binary" ]; then
    (cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --bin "$name")
  fi
  [ -x "$binary" ] || die "no executable provider binary at $binary"
  target="$dir/$address/$version/${os}_${arch}/${name}_v${version}"
  mkdir -p "$(dirname "$target")"
  install -m 0755 "$binary" "$target"
fi

printf 'Installed %s %s: %s\n\n' "$address" "$version" "$target" >&2
cat <<CONFIG
# Terraform CLI configuration (~/.terraformrc, or a file named by TF_CLI_CONFIG_FILE):
provider_installation {
  filesystem_mirror {
    path    = "$dir"
    include = ["$address"]
  }
  direct {
    exclude = ["$address"]
  }
}
CONFIG
