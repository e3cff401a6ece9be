#!/usr/bin/env bash
# Kill -9 loop of resume: a backup is killed at a random moment N times; after each kill the
# basin must open and its index rebuild from the strata alone, and a final backup completes.
# Prints how many bytes the interrupted runs and the final run stored in all, against one
# uninterrupted backup of the same tree (the overhead is grains that were sealed but not yet
# committed when the process died: at most about one stratum per lane each time).
#
#   crash-resume.sh [N] [BASIN_EXECUTABLE] [DATASET_SIZE]
set -euo pipefail
N=${1:-5}
BASIN=${2:-$(cd "$(dirname "$0")/.." && swift build --show-bin-path)/basin}
SIZE=${3:-96M}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SHARED=$(cd "$(dirname "$0")/../../shared" && pwd)
python3 "$SHARED/bench/mkdataset.py" make "$work/src" --size "$SIZE" --seed 7 >/dev/null
export BASIN_PASSWORD=crash BASIN_TEST_FAST_KDF=1
stored() { python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(l["storedBytes"] for l in s["lanes"].values()))'; }

# One uninterrupted backup, for reference.
BASIN_REPOSITORY="$work/reference" "$BASIN" init --stratum-size 4194304 >/dev/null
BASIN_REPOSITORY="$work/reference" "$BASIN" backup "$work/src" >/dev/null
reference=$(BASIN_REPOSITORY="$work/reference" "$BASIN" stats --json | stored)

export BASIN_REPOSITORY="$work/basin"
"$BASIN" init --stratum-size 4194304 >/dev/null
for i in $(seq 1 "$N"); do
  "$BASIN" backup "$work/src" >/dev/null 2>&1 &
  pid=$!
  # A random moment within the first ~1.5 s of a backup of this size.
  sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "$BASIN" stats --json >/dev/null || { echo "crash-resume: the basin does not open after kill $i" >&2; exit 1; }
done
"$BASIN" index rebuild >/dev/null
"$BASIN" backup "$work/src" >/dev/null
total=$("$BASIN" stats --json | stored)
"$BASIN" snapshots >/dev/null 2>&1 || true
echo "crash-resume: $N kills; uninterrupted backup stored $reference bytes; interrupted runs + final stored $total bytes"
python3 -c "r=$reference; t=$total; print(f'crash-resume: overhead {t-r} bytes ({(t-r)/max(r,1)*100:.1f}% of one backup, {(t-r)/$N/1048576:.2f} MiB per kill)')"
# Restore and compare when restore exists.
if "$BASIN" restore --help >/dev/null 2>&1; then
  "$BASIN" restore latest --target "$work/restored" >/dev/null
  diff -r "$work/src" "$work/restored$work/src" && echo "crash-resume: restored tree equals the source"
fi
