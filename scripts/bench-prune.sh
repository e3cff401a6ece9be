#!/usr/bin/env bash
# Space reclaimed and time taken by prune on a basin of about 1 GiB: a generated tree is
# backed up, mutated and backed up again several times; all but the last snapshot are
# forgotten; then prune runs (deleting in the same run). Also times check (structure and
# --read-data) and compares the pruned basin with a fresh backup of the last tree alone.
# Build with `swift build -c release` first.
#
#   bench-prune.sh [DATASET_SIZE] [ROUNDS] [BASIN_EXECUTABLE] [WORK_DIR]
set -euo pipefail
SIZE=${1:-1G}
ROUNDS=${2:-3}
BASIN=${3:-$(cd "$(dirname "$0")/.." && swift build -c release --show-bin-path)/basin}
WORK=${4:-$(mktemp -d)}
MK="$(cd "$(dirname "$0")" && pwd)/mktree.py"
export BASIN_PASSWORD=bench
stored() { BASIN_REPOSITORY="$1" "$BASIN" stats --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(l["storedBytes"] for l in s["lanes"].values()))'; }
mib() { python3 -c "print(f'{$1/1048576:.1f} MiB')"; }
seconds() { local start=$1; python3 -c "import time; print(f'{time.time()-$start:.2f} s')"; }
now() { python3 -c 'import time; print(time.time())'; }

rm -rf "$WORK/src" "$WORK/basin" "$WORK/fresh"
python3 "$MK" make "$WORK/src" --size "$SIZE" --seed 1 >/dev/null
export BASIN_REPOSITORY="$WORK/basin"
"$BASIN" init >/dev/null
"$BASIN" backup "$WORK/src" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  python3 "$MK" mutate "$WORK/src" --seed $((round + 1)) --fraction 0.2 >/dev/null
  "$BASIN" backup "$WORK/src" >/dev/null
done
"$BASIN" forget --keep-last 1 >/dev/null
before=$(stored "$WORK/basin")
echo "bench-prune: $(( ROUNDS + 1 )) backups of a ${SIZE} tree (mutated 20% each round), all but the last forgotten: $(mib "$before") stored"

t=$(now); "$BASIN" check >/dev/null; echo "check (structure): $(seconds "$t")"
t=$(now); "$BASIN" prune --dry-run >"$WORK/plan.txt"; echo "prune --dry-run: $(seconds "$t")"; sed 's/^/  /' "$WORK/plan.txt"
t=$(now); "$BASIN" prune --grace-period 0 >"$WORK/prune.txt"; echo "prune (default --max-unused 10%, deleting at once): $(seconds "$t")"; sed 's/^/  /' "$WORK/prune.txt"
after=$(stored "$WORK/basin")
echo "reclaimed $(mib $((before - after))): $(mib "$before") -> $(mib "$after")"
t=$(now); "$BASIN" check --read-data >/dev/null; echo "check --read-data after prune: $(seconds "$t")"

BASIN_REPOSITORY="$WORK/fresh" "$BASIN" init >/dev/null
BASIN_REPOSITORY="$WORK/fresh" "$BASIN" backup "$WORK/src" >/dev/null
fresh=$(stored "$WORK/fresh")
echo "a fresh backup of the last tree alone stores $(mib "$fresh"); the pruned basin holds $(python3 -c "print(f'{($after-$fresh)/$fresh*100:+.2f}%')") more"
t=$(now); "$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null; echo "prune --max-unused 0 after that: $(seconds "$t"), $(mib "$(stored "$WORK/basin")") stored"
