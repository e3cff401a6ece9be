#!/usr/bin/env bash
# Installs what is missing, builds basin in release mode, and runs the main job on a local basin.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product basin
BASIN=$(swift build -c release --show-bin-path)/basin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c 3000000 /dev/urandom > "$work/sample.bin"
echo "== basin hash vs b3sum"
"$BASIN" hash "$work/sample.bin"
b3sum "$work/sample.bin"
