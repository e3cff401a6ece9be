#!/usr/bin/env bash
# Kill -9 loops over prune. The moments come from SEED (printed; default: random), so a
# failing run replays with the same SEED.
#
# MODE prune (the default): a basin with three snapshots of a mutating tree, the first two
# forgotten; then N times a prune (deleting in the same run, repacking every partly unused
# stratum) is killed at a random moment, and after each kill `check --read-data` must pass
# and the kept snapshot must restore equal to its source. A last prune then finishes the work.
#
# MODE beside-backup: N rounds, each mutating the tree and backing it up while
# `forget --keep-last 1 --prune --grace-period 0` starts at a random moment of the backup and
# is killed at a random moment of its own; one round in three kills the backup too. After
# each round `check --read-data` must pass, every snapshot left must restore equal to the
# tree it was taken of, and the round's backup must have saved a snapshot that is still
# listed (a killed backup: the next backup must).
#
# Either mode exits non-zero at the first failure and ends with "N of N clean".
#
#   prune-crash-loop.sh [N] [BASIN_EXECUTABLE] [DATASET_SIZE] [SEED] [MODE]
set -euo pipefail
N=${1:-10}
BASIN=${2:-$(cd "$(dirname "$0")/.." && swift build --show-bin-path)/basin}
SIZE=${3:-64M}
SEED=${4:-$RANDOM}
MODE=${5:-prune}
case "$MODE" in prune|beside-backup) ;; *) echo "prune-crash-loop: unknown mode '$MODE' (prune or beside-backup)" >&2; exit 64 ;; esac
echo "prune-crash-loop: mode $MODE, seed $SEED"
RANDOM=$SEED
work=$(mktemp -d)
# Kept for a look when a round fails.
trap 'if [[ -f $work/failed ]]; then echo "prune-crash-loop: the basin and trees are kept in $work" >&2; else rm -rf "$work"; fi' EXIT
MK="$(cd "$(dirname "$0")" && pwd)/mktree.py"
export BASIN_REPOSITORY="$work/basin" BASIN_PASSWORD=crash
stored() { "$BASIN" stats --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(l["storedBytes"] for l in s["lanes"].values()))'; }
fail() { touch "$work/failed"; echo "prune-crash-loop: FAILED (mode $MODE, seed $SEED): $*" >&2; exit 1; }
# Milliseconds since the epoch, and sleeping a number of them.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# check --read-data must pass; its report goes to stderr when it does not.
check_clean() {
  "$BASIN" check --read-data >"$work/check.txt" 2>&1 || { cat "$work/check.txt" >&2; fail "check fails $1"; }
}
# Snapshot ids, oldest first.
snapshot_ids() { "$BASIN" snapshots --json | python3 -c 'import json,sys; print("\n".join(s["id"] for s in json.load(sys.stdin)))'; }
# Restores snapshot $1 and compares it with the digest file $2.
# What differs goes to stderr.
restores_equal() {
  rm -rf "$work/restored"
  "$BASIN" restore "$1" --target "$work/restored" >/dev/null || { echo "restore of $1 exits $?" >&2; return 1; }
  python3 "$MK" digest "$work/restored$work/src" >"$work/restored.digest"
  cmp -s "$2" "$work/restored.digest" || { diff "$2" "$work/restored.digest" | head -20 >&2; return 1; }
}

python3 "$MK" make "$work/src" --size "$SIZE" --seed 7 >/dev/null
"$BASIN" init --stratum-size 4194304 >/dev/null

if [[ $MODE == beside-backup ]]; then
  mkdir "$work/digests"
  # Backs up the tree, records the digest the new snapshot must restore to, prints its id.
  backup() {
    local id
    "$BASIN" backup "$work/src" --retry-lock 10m --json >"$work/backup.json" || return 1
    id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot_id"])' <"$work/backup.json") || return 1
    python3 "$MK" digest "$work/src" >"$work/digests/$id" || return 1
    echo "$id"
  }
  # How long a backup of a changed tree and a forget+prune take here, to spread the moments.
  backup >/dev/null
  python3 "$MK" mutate "$work/src" --seed 1 --fraction 0.2 >/dev/null
  start=$(now_ms)
  "$BASIN" backup "$work/src" --json >"$work/backup.json"
  backup_span=$(( $(now_ms) - start ))
  id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot_id"])' <"$work/backup.json")
  python3 "$MK" digest "$work/src" >"$work/digests/$id"
  cp -a "$work/basin" "$work/timing"
  start=$(now_ms)
  BASIN_REPOSITORY="$work/timing" "$BASIN" forget --keep-last 1 --prune --grace-period 0 >/dev/null
  prune_span=$(( $(now_ms) - start ))
  rm -rf "$work/timing"
  echo "prune-crash-loop: a backup takes ${backup_span} ms, forget+prune ${prune_span} ms; $N rounds"

  clean=0 backups_killed=0 prunes_killed=0
  for i in $(seq 1 "$N"); do
    python3 "$MK" mutate "$work/src" --seed $(( RANDOM + 2 )) --fraction 0.2 >/dev/null
    python3 "$MK" digest "$work/src" >"$work/round.digest"
    start_at=$(( RANDOM % (backup_span + 1) ))
    kill_at=$(( RANDOM % (prune_span + 1) ))
    kill_backup=$(( RANDOM % 3 == 0 ))
    backup_kill_at=$(( RANDOM % (backup_span + 1) ))
    what="round $i (forget+prune started at ${start_at} ms, killed ${kill_at} ms later; backup killed: $kill_backup)"

    before=$(snapshot_ids)
    "$BASIN" backup "$work/src" --retry-lock 10m --json >"$work/backup.json" 2>"$work/backup.err" &
    backup_pid=$!
    sleep_ms "$start_at"
    "$BASIN" forget --keep-last 1 --prune --grace-period 0 --retry-lock 10m >/dev/null 2>&1 &
    prune_pid=$!
    sleep_ms "$kill_at"
    kill -9 "$prune_pid" 2>/dev/null && prunes_killed=$((prunes_killed + 1))
    wait "$prune_pid" 2>/dev/null || true
    if (( kill_backup )); then
      # A moment of its own, measured from the backup's start.
      (( backup_kill_at > start_at + kill_at )) && sleep_ms $(( backup_kill_at - start_at - kill_at ))
      kill -9 "$backup_pid" 2>/dev/null && backups_killed=$((backups_killed + 1))
    fi
    backup_status=0
    wait "$backup_pid" 2>/dev/null || backup_status=$?

    saved=""
    if (( backup_status == 0 )); then
      saved=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot_id"])' <"$work/backup.json") \
        || fail "$what: the backup succeeded without naming its snapshot"
      cp "$work/round.digest" "$work/digests/$saved"
    elif (( kill_backup )); then
      # Killed after its snapshot was saved, the backup leaves one the script never heard of:
      # new in this round, of this round's tree (nothing changes it while the round runs).
      for id in $(snapshot_ids); do
        grep -qx "$id" <<<"$before" || cp "$work/round.digest" "$work/digests/$id"
      done
      saved=$(backup) || fail "$what: the backup after the killed one fails"
    else
      cat "$work/backup.err" >&2
      fail "$what: the backup beside the killed prune exits $backup_status"
    fi
    check_clean "after $what"
    ids=$(snapshot_ids)
    grep -qx "$saved" <<<"$ids" || fail "$what: snapshot $saved the backup saved is not listed"
    for id in $ids; do
      [[ -f $work/digests/$id ]] || fail "$what: snapshot $id was never saved by a backup"
      restores_equal "$id" "$work/digests/$id" || fail "$what: snapshot $id does not restore equal to its source"
    done
    clean=$((clean + 1))
    echo "prune-crash-loop: $what: clean"
  done
  "$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null
  check_clean "after a last whole prune"
  echo "prune-crash-loop: $prunes_killed of $N forget+prune runs killed (the others had finished), $backups_killed backups killed"
  echo "prune-crash-loop: $clean of $N clean"
  exit 0
fi

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
start=$(now_ms)
BASIN_REPOSITORY="$work/timing" "$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null
span=$(( $(now_ms) - start ))
rm -rf "$work/timing"
echo "prune-crash-loop: a whole prune takes ${span} ms; killing $N prunes at random moments"

clean=0
for i in $(seq 1 "$N"); do
  "$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null 2>&1 &
  pid=$!
  delay=$(( RANDOM % (span + 1) ))
  sleep_ms "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  check_clean "after kill $i at ${delay} ms"
  restores_equal latest "$work/src.digest" || fail "restore differs after kill $i"
  clean=$((clean + 1))
done
"$BASIN" prune --grace-period 0 --max-unused 0 >/dev/null
check_clean "after a last whole prune"
after=$(stored)
locks=$(find "$work/basin/locks" -type f 2>/dev/null | wc -l)
"$BASIN" unlock >/dev/null
left=$(find "$work/basin/locks" -type f 2>/dev/null | wc -l)
echo "prune-crash-loop: $N kills, check --read-data and restore passed after each; stored ${before} -> ${after} bytes; the killed runs left ${locks} stale locks, ${left} after basin unlock"
echo "prune-crash-loop: $clean of $N clean"
