#!/usr/bin/env bash
# Builds and runs Examples/KVExample, a package of its own that depends on Basin by path and
# uses it only through `import BasinKit`: the library's public API, seen from outside.
#
# It builds in the main package's scratch path (.build) by default: the dependencies (NIO,
# AsyncHTTPClient, swift-crypto) are then not compiled a second time, only Basin's own modules
# (a dependency is compiled with other flags than a root). BASIN_EXAMPLE_SCRATCH=DIR builds
# elsewhere (a full build of the graph).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${BASIN_EXAMPLE_SCRATCH:-$PWD/.build}
swift build --package-path Examples/KVExample --scratch-path "$scratch"
"$(swift build --package-path Examples/KVExample --scratch-path "$scratch" --show-bin-path)/KVExample"
