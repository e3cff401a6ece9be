#!/usr/bin/env bash
# Index figures for a basin of ten million grains: open time (cold and warm page cache), lookup
# latency for hits and misses, resident bytes per grain. The first run writes a synthetic
# 520 MB segment to $TMPDIR/basin-index-bench/ and keeps it for later runs; pass --clean to
# delete it afterwards. Builds in release (several minutes the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --allow-writing-to-package-directory benchmark --no-progress \
    --target BasinBenchmarks --filter 'Index.*'
if [[ "${1:-}" == "--clean" ]]; then
    rm -rf "${TMPDIR:-/tmp}/basin-index-bench"
fi
