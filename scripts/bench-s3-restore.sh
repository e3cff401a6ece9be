#!/usr/bin/env bash
# Restores the same tree from the same SeaweedFS S3 server with `basin restore` and with
# `restic restore`, in one run, and prints each one's time, the GET requests it made (counted
# by scripts/s3-request-counter.py in a separate, untimed run) and the ratios.
#
#   scripts/bench-s3-restore.sh [SIZE] [ROUNDS]   SIZE of the tree (default 256M), ROUNDS (default 3)
#
# Environment:
#   BENCH_TREE=DIR          restore a backup of this directory instead of a generated tree
#   BENCH_S3_BASELINE=PATH  also restore with this other basin binary (before and after in one run)
#   BENCH_RESTORE_TMPFS=1   restore into a tmpfs (needs root) instead of a folder on disk
#
# Each step starts after `sync`; tools take turns going first. Both back up with their
# defaults (encrypted, zstd). Needs restic, the aws CLI and a release build of basin (built
# when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-256M}
rounds=${2:-3}
work=$(mktemp -d /tmp/basin-bench-s3r.XXXXXX)
server="$work/server"
proxy_pid=""
cleanup() {
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  mountpoint -q "$work/out" 2>/dev/null && umount "$work/out"
  bash scripts/s3-server.sh stop "$server" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

basin=$(pwd)/.build/release/basin
[ -x "$basin" ] || swift build -c release --product basin
command -v restic >/dev/null || { echo "bench-s3-restore: restic is not installed" >&2; exit 1; }
command -v aws >/dev/null || { echo "bench-s3-restore: the aws CLI is not installed (pip install awscli)" >&2; exit 1; }

tree=${BENCH_TREE:-}
if [ -z "$tree" ]; then
  tree="$work/tree"
  python3 scripts/mktree.py make "$tree" --size "$size" --seed 1 >/dev/null
fi
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
files=$(find "$tree" -type f | wc -l)
mkdir -p "$work/out"
if [ "${BENCH_RESTORE_TMPFS:-0}" = 1 ]; then mount -t tmpfs -o size=16g tmpfs "$work/out"; fi

bash scripts/s3-server.sh start "$server" >/dev/null
# shellcheck disable=SC1091
source "$server/env"
export AWS_ACCESS_KEY_ID=$BASIN_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BASIN_TEST_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
export BASIN_PASSWORD=bench-password RESTIC_PASSWORD=bench-password
endpoint=$BASIN_TEST_S3_ENDPOINT
upstream_port=${endpoint##*:}
proxy_port=$((upstream_port + 7))
counts="$work/counts.json"
python3 scripts/s3-request-counter.py "$proxy_port" "$upstream_port" "$counts" &
proxy_pid=$!
proxied="http://127.0.0.1:$proxy_port"

basin_repo() { echo "s3:$1/basin-restore/repo"; }
restic_repo() { echo "s3:$1/restic-restore"; }
"$basin" init -r "$(basin_repo "$endpoint")" >/dev/null
(cd "$tree" && "$basin" backup -r "$(basin_repo "$endpoint")" . >/dev/null)
restic -q -r "$(restic_repo "$endpoint")" init >/dev/null
(cd "$tree" && restic -q -r "$(restic_repo "$endpoint")" backup . >/dev/null)
data_strata=$(aws --endpoint-url "$endpoint" s3 ls --recursive "s3://basin-restore/repo/data/" | wc -l)
restic_packs=$(aws --endpoint-url "$endpoint" s3 ls --recursive "s3://restic-restore/data/" | wc -l)

now() { date +%s.%N; }
since() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$(now)"; }
results="$work/results"
: >"$results"

restore_with() { # tool endpoint target
  case $1 in
    restic) restic -q -r "$(restic_repo "$2")" restore latest --target "$3" >/dev/null ;;
    basin) "$basin" restore -r "$(basin_repo "$2")" latest --target "$3" >/dev/null ;;
    baseline) "$BENCH_S3_BASELINE" restore -r "$(basin_repo "$2")" latest --target "$3" >/dev/null ;;
  esac
}
timed() { # tool round
  local target="$work/out/$1-$2" start
  sync
  start=$(now)
  restore_with "$1" "$endpoint" "$target"
  echo "$1 $2 $(since "$start")" >>"$results"
  diff -r --no-dereference "$tree" "$target$( [ "$1" = restic ] || echo "$tree")" >/dev/null 2>&1 || true
  rm -rf "$target"
}
tools=(basin restic)
[ -z "${BENCH_S3_BASELINE:-}" ] || tools+=(baseline)
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order=("${tools[@]}"); else order=(); for ((i=${#tools[@]}-1; i>=0; i--)); do order+=("${tools[$i]}"); done; fi
  for tool in "${order[@]}"; do timed "$tool" "$round"; done
done
# The counting run, through the proxy.
for tool in "${tools[@]}"; do
  : >"$counts"
  restore_with "$tool" "$proxied" "$work/out/count-$tool"
  target="$work/out/count-$tool"; [ "$tool" = restic ] || target="$target$tree"
  if ! diff -r --no-dereference "$tree" "$target" >/dev/null; then echo "bench-s3-restore: $tool restored a different tree" >&2; exit 1; fi
  rm -rf "$work/out/count-$tool"
  echo "$tool-requests $(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c.get("GET",0), c.get("HEAD",0), sum(v for k,v in c.items() if k.isupper()), c.get("GET data",0), c.get("GET list",0))' "$counts")" >>"$results"
done

python3 - "$bytes" "$files" "$data_strata" "$restic_packs" "$results" "${BENCH_RESTORE_TMPFS:-0}" <<'PY'
import statistics, sys
size, files, strata, packs = (int(a) for a in sys.argv[1:5])
rows = [line.split() for line in open(sys.argv[5])]
where = "a tmpfs" if sys.argv[6] == "1" else "a folder on disk"
gib = size / 2**30
print(f"input: {size / 2**20:.0f} MiB in {files} files; SeaweedFS S3 on 127.0.0.1; restores into {where}")
print(f"basin data strata: {strata}; restic data packs: {packs}")
times = {}
for tool, rnd, *rest in rows:
    if tool.endswith("-requests"):
        continue
    times.setdefault(tool, []).append(float(rest[0]))
    print(f"{tool:<9} restore #{rnd}  {float(rest[0]):7.2f} s  {size / 1e6 / float(rest[0]):7.1f} MB/s")
for tool, rnd, *rest in rows:
    if tool.endswith("-requests"):
        gets, heads, total, data, lists = int(rnd), int(rest[0]), int(rest[1]), int(rest[2]), int(rest[3])
        print(f"{tool[:-9]:<9} requests: {gets} GET ({gets / gib:.0f} per GiB; {data} of data strata/packs, {lists} listings), {heads} HEAD, {total} in all")
medians = {tool: statistics.median(values) for tool, values in times.items()}
print("median: " + ", ".join(f"{tool} {value:.2f} s" for tool, value in medians.items()))
print(f"speed ratio basin/restic: {medians['restic'] / medians['basin']:.2f}x")
if "baseline" in medians:
    print(f"baseline/restic: {medians['restic'] / medians['baseline']:.2f}x; basin/baseline: {medians['baseline'] / medians['basin']:.2f}x")
PY
