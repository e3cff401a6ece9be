#!/usr/bin/env bash
# Kill -9 loop over prune: a basin with three snapshots of a mutating tree, the first two
# forgotten; then N times a prune (deleting in the same run, repacking every partly unused
# stratum) is killed at a random moment, and after each kill `check --read-data` must pass
# and the kept snapshot must restore equal to its source. A last prune then finishes the work.
# The kill moments come from SEED (printed; default: random).
#
#   prune-crash-loop.sh [N] [BASIN_EXECUTABLE] [DATASET_SIZE] [SEED]
set -euo pipefail
N=${1:-10}
BASIN=${2:-$(cd "$(dirname "$0")/.." && swift build --show-bin-path)/basin}
SIZE=${3:-64M}
SEED=${4:-$RANDOM}
echo "prune-crash-loop: seed $SEED"
RANDOM=$SEED
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
MK="$(cd "$(dirname "$0")" && pwd)/mktree.py"
export BASIN_REPOSITORY="$work/basin" BASIN_PASSWORD=crash
stored() { "$BASIN" stats --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(l["storedBytes"] for l in s["lanes"].values()))'; }

python3 "$MK" make "$work/src" --size "$SIZE" --seed 7 >/dev/null
"$BASIN" init --stratum-size 4194304 >/dev/null
"$BASIN" backup "$work/src" >/dev/null
for seed in 2 3; do
  python3 "$MK" mutate "$work/src" --seed "$seed" --fraction 0.3 >/dev/null
  "$BASIN" backup "$work/src" >/dev/null
done
"$BASIN" forget --keep-last 1 >/dev/null
python3 "$MK" digest "$work/src" >"$work/src.digest"
before=$(stored)

# How long a whole prune takes here, to spread the kills over it.
cp -a "$work/basin" "$work/timing"
start=$(date +%s%N)
BASIN_REPOSITORY="$work/timing" "$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null
span=$(( ($(date +%s%N) - start) / 1000000 ))
rm -rf "$work/timing"
echo "prune-crash-loop: a whole prune takes ${span} ms; killing $N prunes at random moments"

for i in $(seq 1 "$N"); do
  "$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null 2>&1 &
  pid=$!
  delay=$(( RANDOM % (span + 1) ))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if ! "$BASIN" check --read-data >"$work/check.txt" 2>&1; then
    echo "prune-crash-loop: check fails after kill $i at ${delay} ms (seed $SEED):" >&2
    cat "$work/check.txt" >&2
    exit 1
  fi
  rm -rf "$work/restored"
  "$BASIN" restore latest --target "$work/restored" >/dev/null
  cmp -s "$work/src.digest" <(python3 "$MK" digest "$work/restored$work/src") || { echo "prune-crash-loop: restore differs after kill $i (seed $SEED)" >&2; exit 1; }
done
"$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null
"$BASIN" check --read-data >/dev/null
after=$(stored)
locks=$(find "$work/basin/locks" -type f 2>/dev/null | wc -l)
"$BASIN" unlock >/dev/null
left=$(find "$work/basin/locks" -type f 2>/dev/null | wc -l)
echo "prune-crash-loop: $N kills, check --read-data and restore passed after each; stored ${before} -> ${after} bytes; the killed runs left ${locks} stale locks, ${left} after basin unlock"
