#!/usr/bin/env bash
# Kill -9 loop of resume: a backup is killed at a random moment N times; after each kill the
# basin must open and its index rebuild from the strata alone, and a final backup completes
# and restores equal to the source. Asserts and prints (1) the bytes stored twice: what the
# interrupted runs committed plus what the final run stored, against one uninterrupted backup
# (deduplication makes this ~0: a committed grain is never written again; at most 1% + 1 MiB),
# and (2) the work lost in flight at each kill: the partial strata the killed processes left as
# temporary files (at most one open stratum per lane per kill: 2 x (stratum size + largest
# chunk)). The kill moments come from SEED (printed; default: random).
#
#   crash-resume.sh [N] [BASIN_EXECUTABLE] [DATASET_SIZE] [SEED]
set -euo pipefail
N=${1:-5}
BASIN=${2:-$(cd "$(dirname "$0")/.." && swift build --show-bin-path)/basin}
SIZE=${3:-96M}
SEED=${4:-$RANDOM}
STRATUM=4194304
MAX_CHUNK=8388608
echo "crash-resume: seed $SEED"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$(dirname "$0")/mktree.py" make "$work/src" --size "$SIZE" --seed 7 >/dev/null
export BASIN_PASSWORD=crash
stored() { python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(l["storedBytes"] for l in s["lanes"].values()))'; }

# One uninterrupted backup, for reference.
BASIN_REPOSITORY="$work/reference" "$BASIN" init --stratum-size "$STRATUM" >/dev/null
start=$(date +%s.%N)
BASIN_REPOSITORY="$work/reference" "$BASIN" backup "$work/src" >/dev/null
duration=$(echo "$(date +%s.%N) - $start" | bc -l)
reference=$(BASIN_REPOSITORY="$work/reference" "$BASIN" stats --json | stored)

export BASIN_REPOSITORY="$work/basin"
"$BASIN" init --stratum-size "$STRATUM" >/dev/null
for i in $(seq 1 "$N"); do
  "$BASIN" backup "$work/src" >/dev/null 2>&1 &
  pid=$!
  # A random moment within the time one whole backup takes (each run resumes the last).
  delay=$(python3 -c "import random; random.seed($SEED * 1000 + $i); print(round(random.uniform(0.05, 0.8) * $duration, 3))")
  sleep "$delay"
  state=killed; kill -9 "$pid" 2>/dev/null || state="had finished"
  wait "$pid" 2>/dev/null || true
  now=$("$BASIN" stats --json | stored) || { echo "crash-resume: the basin does not open after kill $i" >&2; exit 1; }
  echo "crash-resume: run $i $state after ${delay}s; $((now / 1048576)) MiB committed ($(( 100 * now / reference ))% of one backup)"
done
"$BASIN" index rebuild >/dev/null
committed=$("$BASIN" stats --json | stored)
lost=$(find "$work/basin" -name '.tmp-*' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
final=$("$BASIN" backup "$work/src" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["bytes_stored"])')
total=$("$BASIN" stats --json | stored)
echo "crash-resume: $N kills; one uninterrupted backup stores $reference bytes"
echo "crash-resume: the killed runs committed $committed bytes; the final run stored $final more ($total in all)"
twice=$((total - reference))
echo "crash-resume: stored twice: $twice bytes ($(( 100 * twice / reference ))% of one backup)"
echo "crash-resume: lost in flight at the kills (partial strata left as temporary files): $lost bytes, $((lost / N)) per kill"
fail() { echo "crash-resume: FAILED (seed $SEED): $*" >&2; exit 1; }
# Metadata (snapshot times, stratum overhead) may differ by a few bytes either way.
(( twice <= reference / 100 + 1048576 && -twice <= 1048576 )) || fail "$twice bytes stored twice: beyond 1% of one backup + 1 MiB"
(( lost <= N * 2 * (STRATUM + MAX_CHUNK) )) || fail "$lost bytes lost in flight, more than one open stratum per lane per kill"
"$BASIN" restore latest --target "$work/restored" >/dev/null
diff -r --no-dereference "$work/src" "$work/restored$work/src" >/dev/null || fail "the restored tree differs from the source"
echo "crash-resume: restored tree equals the source"
