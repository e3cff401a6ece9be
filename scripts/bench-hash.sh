#!/usr/bin/env bash
# Compares `basin hash` (release build) with `b3sum` on a 1 GiB random file held in the page
# cache: single-threaded (--num-threads 1) and multi-threaded (default: one thread per core),
# best of 3 runs each, all in one run of this script. Prints GB/s (10^9 bytes/s) and the
# ratios basin/b3sum. Usage: bash scripts/bench-hash.sh [SIZE_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v b3sum >/dev/null || bash scripts/setup.sh
size_mib=${1:-1024}
swift build -c release --product basin >&2
basin="$(swift build -c release --show-bin-path)/basin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
input="$work/input.bin"
head -c "$((size_mib << 20))" /dev/urandom > "$input"
cat "$input" > /dev/null  # warm the page cache
bytes=$(stat -c %s "$input")

if [ "$("$basin" hash "$input")" != "$(b3sum "$input")" ]; then
  echo "bench-hash: basin and b3sum disagree on $input" >&2
  exit 1
fi

# Prints the best wall-clock time of 3 runs of the command, in nanoseconds.
best_of_3() {
  local best=0 start elapsed
  for _ in 1 2 3; do
    start=$(date +%s%N)
    "$@" > /dev/null
    elapsed=$(( $(date +%s%N) - start ))
    if [ "$best" -eq 0 ] || [ "$elapsed" -lt "$best" ]; then best=$elapsed; fi
  done
  echo "$best"
}

basin_1=$(best_of_3 "$basin" hash --num-threads 1 "$input")
b3sum_1=$(best_of_3 b3sum --num-threads 1 "$input")
basin_n=$(best_of_3 "$basin" hash "$input")
b3sum_n=$(best_of_3 b3sum "$input")

awk -v bytes="$bytes" -v cores="$(nproc)" -v a1="$basin_1" -v b1="$b3sum_1" -v an="$basin_n" -v bn="$b3sum_n" 'BEGIN {
  printf "%d MiB in the page cache, %d cores, best of 3 (GB/s = 10^9 bytes/s)\n", bytes / 1048576, cores
  printf "%-22s %10s %10s %14s\n", "", "basin", "b3sum", "basin/b3sum"
  printf "%-22s %10.2f %10.2f %14.2f\n", "1 thread (GB/s)", bytes / a1, bytes / b1, b1 / a1
  printf "%-22s %10.2f %10.2f %14.2f\n", "all cores (GB/s)", bytes / an, bytes / bn, bn / an
}'
