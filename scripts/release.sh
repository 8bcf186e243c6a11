#!/usr/bin/env bash
# Builds the release archives of the provider, in the layout the Terraform Registry expects:
#
#   dist/terraform-provider-alikafka_VERSION_OS_ARCH.zip     holds terraform-provider-alikafka_vVERSION
#   dist/terraform-provider-alikafka_VERSION_manifest.json   copy of terraform-registry-manifest.json
#   dist/terraform-provider-alikafka_VERSION_SHA256SUMS      sha256 of the zip and the manifest
#
#   bash scripts/release.sh [VERSION]     VERSION defaults to the version in Cargo.toml
#
# Environment:
#   DIST_DIR=DIR            where to write (default: dist/ in the repository); created if missing
#   PROVIDER_BINARY=PATH    package this binary instead of building one with
#                           `cargo build --release --locked` (the tests package the debug build)
#   SOURCE_DATE_EPOCH=N     timestamp of the zip entries (default: 1980-01-01, so that the same
#                           binary always gives the same zip and the same checksums)
# Needs Python 3 (its zipfile module does the zipping; no `zip` binary is assumed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Relative paths in the environment are relative to where the script was started.
absolute() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
dist="$(absolute "${DIST_DIR:-$root/dist}")"
binary="${PROVIDER_BINARY:+$(absolute "$PROVIDER_BINARY")}"
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  CARGO_TARGET_DIR="$(absolute "$CARGO_TARGET_DIR")"
  export CARGO_TARGET_DIR
fi
cd "$root"
py="${PYTHON:-python3}"
name="terraform-provider-alikafka"

die() { printf 'release.sh: %s\n' "$*" >&2; exit 1; }

cargo_version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)"
[ -n "$cargo_version" ] || die "no version found in Cargo.toml"
version="${1:-$cargo_version}"
version="${version#v}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "not a semantic version: $version"
if [ "$version" != "$cargo_version" ]; then
  printf 'release.sh: warning: packaging as %s, but Cargo.toml says %s\n' "$version" "$cargo_version" >&2
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "unsupported OS $(uname -s)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

if [ -z "$binary" ]; then
  cargo build --release --locked --bin "$name"
  binary="${CARGO_TARGET_DIR:-$root/target}/release/$name"
fi
[ -x "$binary" ] || die "no executable provider binary at $binary"
mkdir -p "$dist"

"$py" - "$binary" "$dist" "$name" "$version" "${os}_${arch}" "$root/terraform-registry-manifest.json" <<'PY'
import hashlib, os, shutil, sys, time, zipfile

binary, dist, name, version, platform, manifest = sys.argv[1:7]
zip_name = f"{name}_{version}_{platform}.zip"
manifest_name = f"{name}_{version}_manifest.json"
sums_name = f"{name}_{version}_SHA256SUMS"

epoch = os.environ.get("SOURCE_DATE_EPOCH")
stamp = time.gmtime(int(epoch))[:6] if epoch else (1980, 1, 1, 0, 0, 0)

entry = zipfile.ZipInfo(f"{name}_v{version}", date_time=stamp)
entry.compress_type = zipfile.ZIP_DEFLATED
entry.create_system = 3  # Unix, so that the permission bits below are honoured
entry.external_attr = (0o100755 & 0xFFFF) << 16  # regular file, rwxr-xr-x
with open(binary, "rb") as f:
    data = f.read()
tmp = os.path.join(dist, zip_name + ".tmp")
with zipfile.ZipFile(tmp, "w") as z:
    z.writestr(entry, data)
os.replace(tmp, os.path.join(dist, zip_name))

shutil.copyfile(manifest, os.path.join(dist, manifest_name))

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

# sha256sum's format: "<hex>  <file name>", sorted by file name.
lines = [f"{sha256(os.path.join(dist, n))}  {n}\n" for n in sorted([zip_name, manifest_name])]
with open(os.path.join(dist, sums_name), "w") as f:
    f.writelines(lines)
for n in (zip_name, manifest_name, sums_name):
    print(os.path.join(dist, n))
PY
