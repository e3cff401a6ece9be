#!/usr/bin/env bash
# Fuzzes Basin's decoders with libFuzzer (Fuzz/BasinFuzz, docs/ARCHITECTURE.md "Fuzzing").
#
#   scripts/fuzz.sh [SECONDS] [DECODER...]   each decoder (default: all) for SECONDS (default 30)
#   scripts/fuzz.sh --write-seeds            rewrites the seed corpora Fuzz/Corpus/ from the encoders
#
# FUZZ_RUNS=N runs each decoder for N inputs instead of SECONDS, and FUZZ_SEED=S fixes
# libFuzzer's random seed: together they make a run repeatable, as CI needs (a red CI must
# mean the change broke something, not that this run's dice found an old bug). Without them
# each run explores afresh: run it long and often beside the work.
#
# Builds the harness with the fuzzer and address sanitizers into .build-fuzz (apart from normal
# builds), then runs each decoder on a temporary copy of its seed corpus, so runs never change
# the repository. Prints executions, exec/s and the result per decoder; exits 1 when any
# decoder crashed (a trap, a sanitizer report, a timeout or too much memory), leaving the
# crashing inputs and logs in the folder it names.
set -euo pipefail
cd "$(dirname "$0")/.."

# The benchmark plugin's helper tools print link errors under these flags; the build still succeeds.
BASIN_FUZZ=1 swift build -c debug --scratch-path .build-fuzz --product BasinFuzz \
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
fuzzer=.build-fuzz/debug/BasinFuzz
# libFuzzer reports traps itself; Swift's backtracer would only add an ASan report of its own.
export SWIFT_BACKTRACE=enable=no

if [[ "${1:-}" == "--write-seeds" ]]; then
    rm -rf Fuzz/Corpus
    BASIN_FUZZ_WRITE_SEEDS=Fuzz/Corpus "$fuzzer"
    echo "seeds written: $(find Fuzz/Corpus -type f | wc -l) files, $(du -sk Fuzz/Corpus | cut -f1) KiB"
    exit 0
fi

seconds=${1:-30}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [DECODER...] | --write-seeds" >&2; exit 2; }
shift || true
declare -A maxLength
while read -r name length; do maxLength[$name]=$length; done < <(BASIN_FUZZ_LIST=1 "$fuzzer")
decoders=("$@")
if [[ ${#decoders[@]} -eq 0 ]]; then
    mapfile -t decoders < <(BASIN_FUZZ_LIST=1 "$fuzzer" | cut -d' ' -f1)
fi
for name in "${decoders[@]}"; do
    [[ -n "${maxLength[$name]:-}" ]] || { echo "unknown decoder '$name'; known: ${!maxLength[*]}" >&2; exit 2; }
done

work=$(mktemp -d /tmp/basin-fuzz.XXXXXX)
failed=()
printf '%-16s %12s %10s  %s\n' decoder executions exec/s result
for name in "${decoders[@]}"; do
    mkdir -p "$work/$name/corpus" "$work/$name/crashes"
    cp Fuzz/Corpus/"$name"/* "$work/$name/corpus/"
    status=0
    budget=(-max_total_time="$seconds")
    [[ -n "${FUZZ_RUNS:-}" ]] && budget=(-runs="$FUZZ_RUNS")
    [[ -n "${FUZZ_SEED:-}" ]] && budget+=(-seed="$FUZZ_SEED")
    BASIN_FUZZ_DECODER="$name" "$fuzzer" "${budget[@]}" -max_len="${maxLength[$name]}" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$name/crashes/" \
        "$work/$name/corpus" > "$work/$name/log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name/log")
    if [[ $status -eq 0 ]]; then
        result=ok
    else
        result="CRASH (exit $status): $(ls "$work/$name/crashes" | head -1)"
        failed+=("$name")
        # The report names the trap and the stack; CI keeps only what is printed.
        grep -v "^#\|^INFO\|^stat::" "$work/$name/log" | tail -40 | sed "s/^/    $name: /" >&2
    fi
    printf '%-16s %12s %10s  %s\n' "$name" "${executions:-?}" "${rate:-?}" "$result"
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "crashes in: ${failed[*]}; inputs and logs under $work/<decoder>/" >&2
    exit 1
fi
rm -rf "$work"
