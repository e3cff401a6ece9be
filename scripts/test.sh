#!/usr/bin/env bash
# Installs what is missing, then builds and runs Basin's whole test suite, with a SeaweedFS
# S3 server (scripts/s3-server.sh) running for the S3 tests and stopped afterwards, then the
# kill -9 loops of backup resume, of prune, and of forget+prune beside a running backup (small)
# against the built binary, then every decoder fuzzed briefly, then the library example
# package (scripts/example.sh) built and run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
s3dir=$(mktemp -d /tmp/basin-s3-test.XXXXXX)
trap 'bash scripts/s3-server.sh stop "$s3dir"; rm -rf "$s3dir"' EXIT
bash scripts/s3-server.sh start "$s3dir"
# shellcheck disable=SC1091
source "$s3dir/env"
# A bound far above the suite's few minutes: a hung test fails CI instead of holding it.
timeout 3000 swift test --skip-build
bash scripts/crash-resume.sh 3 "$(swift build --show-bin-path)/basin" 48M
bash scripts/prune-crash-loop.sh 3 "$(swift build --show-bin-path)/basin" 16M
bash scripts/prune-crash-loop.sh 3 "$(swift build --show-bin-path)/basin" 16M "$RANDOM" beside-backup
# A fixed seed and budget: the same inputs every run (scripts/fuzz.sh says why).
FUZZ_SEED=1 FUZZ_RUNS=50000 bash scripts/fuzz.sh
# Last: it builds with the example as the root package in .build (the tests are done by then).
bash scripts/example.sh
