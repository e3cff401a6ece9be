#!/usr/bin/env bash
# Stores the same large file on the same SeaweedFS S3 server with `basin put` and with
# `restic backup`, in one run, and prints each one's throughput and their ratio.
#
#   scripts/bench-s3.sh [SIZE]        SIZE of the input, default 512M
#
# The input is a tar of /work/shared/bench/mkdataset.py's mixed tree (text, source-like files,
# incompressible and compressible large files, duplicates) when that script is there, random
# bytes otherwise. Both tools encrypt and compress with their defaults (basin: ChaCha20-Poly1305,
# zstd 3; restic: AES-256, zstd auto). The server is a private one (scripts/s3-server.sh, ports
# from BASIN_S3_*_PORT, default 8333…) started and stopped here. Needs a release build of basin
# (built when missing: swift build -c release --product basin).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-512M}
work=$(mktemp -d /tmp/basin-bench-s3.XXXXXX)
server="$work/server"
cleanup() { bash scripts/s3-server.sh stop "$server" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

basin=.build/release/basin
[ -x "$basin" ] || swift build -c release --product basin
command -v restic >/dev/null || { echo "bench-s3: restic is not installed" >&2; exit 1; }

input="$work/input.tar"
dataset=${BASIN_BENCH_DATASET:-/work/shared/bench/mkdataset.py}
if [ -f "$dataset" ]; then
  python3 "$dataset" make "$work/tree" --size "$size" --seed 1 >/dev/null
  tar -cf "$input" -C "$work/tree" .
  rm -rf "$work/tree"
  what="mixed data set (mkdataset.py, tar)"
else
  head -c "$(python3 -c "import sys; u={'K':1<<10,'M':1<<20,'G':1<<30}; s=sys.argv[1].upper(); print(int(float(s[:-1])*u[s[-1]]) if s[-1] in u else int(s))" "$size")" /dev/urandom >"$input"
  what="random bytes"
fi
bytes=$(stat -c %s "$input")

bash scripts/s3-server.sh start "$server" >/dev/null
# shellcheck disable=SC1091
source "$server/env"
export AWS_ACCESS_KEY_ID=$BASIN_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BASIN_TEST_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
endpoint=$BASIN_TEST_S3_ENDPOINT
cat "$input" >/dev/null  # both tools read it from the page cache

now() { date +%s.%N; }
stored() { # bytes under s3://BUCKET
  aws --endpoint-url "$endpoint" s3 ls --recursive --summarize "s3://$1/" | awk '/Total Size/ {print $3}'
}

export BASIN_PASSWORD=bench-password RESTIC_PASSWORD=bench-password
"$basin" init -r "s3:$endpoint/basin-bench/repo" >/dev/null
start=$(now)
"$basin" put -r "s3:$endpoint/basin-bench/repo" "$input" >/dev/null
basin_time=$(python3 -c "print($(now) - $start)")

# The same put into a local directory: what the store's pipeline alone costs.
"$basin" init -r "$work/local" >/dev/null
start=$(now)
"$basin" put -r "$work/local" "$input" >/dev/null
local_time=$(python3 -c "print($(now) - $start)")
rm -rf "$work/local"

restic -q -r "s3:$endpoint/restic-bench" init >/dev/null
start=$(now)
restic -q -r "s3:$endpoint/restic-bench" backup "$input" >/dev/null
restic_time=$(python3 -c "print($(now) - $start)")

python3 - "$bytes" "$basin_time" "$restic_time" "$(stored basin-bench)" "$(stored restic-bench)" "$what" "$local_time" <<'EOF'
import sys
size, basin, restic, basin_stored, restic_stored, what = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
local = float(sys.argv[7])
mb = size / 1e6
print(f"input: {size / 2**20:.0f} MiB of {what}; SeaweedFS S3 on 127.0.0.1")
print(f"basin put      {basin:7.2f} s  {mb / basin:7.1f} MB/s  stored {basin_stored / 2**20:7.1f} MiB")
print(f"  (local dir   {local:7.2f} s  {mb / local:7.1f} MB/s: the store's pipeline without S3)")
print(f"restic backup  {restic:7.2f} s  {mb / restic:7.1f} MB/s  stored {restic_stored / 2**20:7.1f} MiB")
print(f"throughput ratio basin/restic: {restic / basin:.2f}x")
EOF
