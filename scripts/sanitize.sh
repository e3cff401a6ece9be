#!/usr/bin/env bash
# Builds and runs the whole suite under AddressSanitizer or ThreadSanitizer, each in a build
# folder of its own (.build-asan, .build-tsan), against a private SeaweedFS.
#
#   scripts/sanitize.sh address|thread [swift test arguments...]
#
# ASan: any report fails the run (halt_on_error, the default). TSan: reports are collected,
# then sorted by scripts/tsan-classify.py into those on state a `Mutex` guards and the rest.
# The toolchain's Synchronization.Mutex locks through futexes TSan does not see, so every
# access inside a `withLock` body is reported although the lock orders it
# (`scripts/tsan-classify.py --probe` shows it on a ten-line program); only the rest are findings.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh address|thread [swift test arguments...]}
shift
case "$kind" in
    address) scratch=.build-asan; export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} ;;
    thread) scratch=.build-tsan
            # Reports go to files, one per process (child `basin` processes too, whose output
            # the CLI tests capture), and do not change exit codes the tests check.
            rm -rf "$scratch/tsan-reports" && mkdir -p "$scratch/tsan-reports"
            export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0 exitcode=0 log_path=$PWD/$scratch/tsan-reports/report} ;;
    *) echo "usage: scripts/sanitize.sh address|thread [swift test arguments...]" >&2; exit 2 ;;
esac
export SWIFT_BACKTRACE=enable=no
swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
s3dir=$(mktemp -d /tmp/basin-s3-sanitize.XXXXXX)
trap 'bash scripts/s3-server.sh stop "$s3dir"; rm -rf "$s3dir"' EXIT
bash scripts/s3-server.sh start "$s3dir"
# shellcheck disable=SC1091
source "$s3dir/env"
log="$scratch/sanitize-$kind.log"
status=0
swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "$@" >"$log" 2>&1 || status=$?
grep -E "Test run with|^✘ Test" "$log" | tail -20 || true
if [[ "$kind" == thread ]]; then
    python3 scripts/tsan-classify.py "$log" "$scratch"/tsan-reports/* || status=1
else
    if grep -q "ERROR: AddressSanitizer" "$log"; then
        grep -A20 "ERROR: AddressSanitizer" "$log" | head -60
        status=1
    else
        echo "no AddressSanitizer report"
    fi
fi
echo "log: $log"
exit "$status"
