#!/usr/bin/env bash
# Installs what is missing, then builds and runs Basin's whole test suite, then the kill -9
# resume loop (small) against the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build
bash scripts/crash-resume.sh 3 "$(swift build --show-bin-path)/basin" 48M
