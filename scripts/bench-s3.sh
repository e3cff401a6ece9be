#!/usr/bin/env bash
# Backs up the same directory tree to the same SeaweedFS S3 server with `basin backup` and with
# `restic backup`, in one run, and prints each one's time, throughput, stored bytes and the
# throughput ratio.
#
#   scripts/bench-s3.sh [SIZE] [ROUNDS]   SIZE of the tree (default 512M), ROUNDS (default 1)
#
# The tree is scripts/mktree.py's mixed sample tree (`make DIR --size SIZE --seed 1`: small and
# medium text and random files, a few large files, copies, nested directories, links).
# Each round backs it up into fresh repositories (new buckets), basin and restic taking turns
# going first, and the ratio of the median times closes the run (the machine is shared and
# noisy: use 3 rounds for a figure to quote). Both tools encrypt and compress with their
# defaults (basin: ChaCha20-Poly1305, zstd 3; restic: AES-256, zstd auto).
#
# Environment:
#   BENCH_S3_PUT=1     also store a tar of the tree as one file: `basin put` and `restic backup` of it
#   BENCH_S3_LOCAL=1   also back the tree up into a local directory: the store without S3
#   BASIN_BENCH_DATASET  another generator with mktree.py's `make DIR --size SIZE --seed N`
#   BENCH_S3_BASELINE=PATH  also back up with this other basin binary (e.g. a copy of the
#                      release build before a change), in every round: before and after in one run
#
# The server is a private one (scripts/s3-server.sh, ports from BASIN_S3_*_PORT, default
# 8333…) started and stopped here. Needs a release build of basin (built when missing:
# swift build -c release --product basin).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-512M}
rounds=${2:-1}
work=$(mktemp -d /tmp/basin-bench-s3.XXXXXX)
server="$work/server"
cleanup() { bash scripts/s3-server.sh stop "$server" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

basin=$(pwd)/.build/release/basin
[ -x "$basin" ] || swift build -c release --product basin
command -v restic >/dev/null || { echo "bench-s3: restic is not installed" >&2; exit 1; }
command -v aws >/dev/null || { echo "bench-s3: the aws CLI is not installed (pip install awscli)" >&2; exit 1; }
dataset=${BASIN_BENCH_DATASET:-$(pwd)/scripts/mktree.py}
[ -f "$dataset" ] || { echo "bench-s3: $dataset is missing" >&2; exit 1; }

tree="$work/tree"
python3 "$dataset" make "$tree" --size "$size" --seed 1 >/dev/null
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
files=$(find "$tree" -type f | wc -l)
# Both tools read the tree from the page cache (GNU tar skips reading when writing to /dev/null).
find "$tree" -type f -exec cat {} + >/dev/null

bash scripts/s3-server.sh start "$server" >/dev/null
# shellcheck disable=SC1091
source "$server/env"
export AWS_ACCESS_KEY_ID=$BASIN_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BASIN_TEST_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
export BASIN_PASSWORD=bench-password RESTIC_PASSWORD=bench-password
endpoint=$BASIN_TEST_S3_ENDPOINT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$(now)"; }
stored() { # bytes under s3://BUCKET
  aws --endpoint-url "$endpoint" s3 ls --recursive --summarize "s3://$1/" | awk '/Total Size/ {print $3}'
}
results="$work/results"
: >"$results"

run_basin() { # round [binary label]
  local binary=${2:-$basin} label=${3:-basin}
  local bucket="$label-bench-$1" start
  "$binary" init -r "s3:$endpoint/$bucket/repo" >/dev/null
  start=$(now)
  (cd "$tree" && "$binary" backup -r "s3:$endpoint/$bucket/repo" . >/dev/null)
  echo "$label $1 $(since "$start") $(stored "$bucket")" >>"$results"
}

run_restic() { # round
  local repo="s3:$endpoint/restic-bench-$1" start
  restic -q -r "$repo" init >/dev/null
  start=$(now)
  (cd "$tree" && restic -q -r "$repo" backup . >/dev/null)
  echo "restic $1 $(since "$start") $(stored "restic-bench-$1")" >>"$results"
}

baseline=${BENCH_S3_BASELINE:-}
run_baseline() { [ -z "$baseline" ] || run_basin "$1" "$baseline" baseline; }
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then
    run_basin "$round"; run_restic "$round"; run_baseline "$round"
  else
    run_baseline "$round"; run_restic "$round"; run_basin "$round"
  fi
done

if [ "${BENCH_S3_PUT:-0}" = 1 ]; then
  tar -cf "$work/input.tar" -C "$tree" .
  cat "$work/input.tar" >/dev/null
  "$basin" init -r "s3:$endpoint/basin-put/repo" >/dev/null
  start=$(now)
  "$basin" put -r "s3:$endpoint/basin-put/repo" "$work/input.tar" >/dev/null
  echo "put 1 $(since "$start") $(stored basin-put) $(stat -c %s "$work/input.tar")" >>"$results"
  restic -q -r "s3:$endpoint/restic-put" init >/dev/null
  start=$(now)
  restic -q -r "s3:$endpoint/restic-put" backup "$work/input.tar" >/dev/null
  echo "restic-put 1 $(since "$start") $(stored restic-put) $(stat -c %s "$work/input.tar")" >>"$results"
  rm -f "$work/input.tar"
fi

if [ "${BENCH_S3_LOCAL:-0}" = 1 ]; then
  "$basin" init -r "$work/local" >/dev/null
  start=$(now)
  (cd "$tree" && "$basin" backup -r "$work/local" . >/dev/null)
  echo "local 1 $(since "$start") $(du -sb "$work/local" | cut -f1)" >>"$results"
  rm -rf "$work/local"
fi

python3 - "$bytes" "$files" "$results" <<'EOF'
import statistics, sys
size, files = int(sys.argv[1]), int(sys.argv[2])
rows = [line.split() for line in open(sys.argv[3])]
mb = size / 1e6
print(f"input: {size / 2**20:.0f} MiB in {files} files (mktree.py --seed 1); SeaweedFS S3 on 127.0.0.1")
def line(label, seconds, stored, bytes=size):
    print(f"{label:<22} {seconds:7.2f} s  {bytes / 1e6 / seconds:7.1f} MB/s  stored {stored / 2**20:7.1f} MiB")
for tool, rnd, seconds, stored, *rest in rows:
    label = {"basin": "basin backup", "restic": "restic backup", "baseline": "baseline backup",
             "put": "basin put (tar)", "restic-put": "restic backup (tar)", "local": "basin backup (local)"}[tool]
    line(f"{label} #{rnd}" if tool in ("basin", "restic", "baseline") else label, float(seconds), int(stored),
         int(rest[0]) if rest else size)
basin = statistics.median(float(r[2]) for r in rows if r[0] == "basin")
restic = statistics.median(float(r[2]) for r in rows if r[0] == "restic")
print(f"median: basin {basin:.2f} s ({mb / basin:.1f} MB/s), restic {restic:.2f} s ({mb / restic:.1f} MB/s)")
print(f"throughput ratio basin/restic: {restic / basin:.2f}x")
baseline = [float(r[2]) for r in rows if r[0] == "baseline"]
if baseline:
    base = statistics.median(baseline)
    print(f"baseline: median {base:.2f} s ({mb / base:.1f} MB/s), ratio baseline/restic {restic / base:.2f}x; basin/baseline {base / basin:.2f}x")
EOF
