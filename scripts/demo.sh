#!/usr/bin/env bash
# Installs what is missing, builds basin in release mode, and runs the main job on a local
# basin: hash a file as b3sum does, store files (small and chunked), read them back, compare.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product basin
BASIN=$(swift build -c release --show-bin-path)/basin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BASIN_REPOSITORY="$work/basin" BASIN_PASSWORD=demo
python3 - "$work/sample.bin" <<'PY'
import random, sys
random.seed(1)
with open(sys.argv[1], "wb") as out:
    out.write(random.randbytes(24 << 20))
PY
printf 'a small value\n' > "$work/small.txt"

echo "== basin hash agrees with b3sum"
"$BASIN" hash "$work/sample.bin"
b3sum "$work/sample.bin"

echo "== a local, encrypted basin"
"$BASIN" init
small=$("$BASIN" put "$work/small.txt")
large=$("$BASIN" put "$work/sample.bin")
again=$("$BASIN" put "$work/sample.bin")
echo "small.txt  -> $small"
echo "sample.bin -> $large (stored again: $again, nothing new written)"
"$BASIN" has "$large" && echo "has: yes"
"$BASIN" get "$large" -o "$work/restored.bin"
cmp "$work/sample.bin" "$work/restored.bin" && echo "get: restored sample.bin is identical"
"$BASIN" stats
echo "== an unencrypted basin keys values by plain BLAKE3 (= b3sum)"
BASIN_REPOSITORY="$work/plain" "$BASIN" init --no-encryption
BASIN_REPOSITORY="$work/plain" "$BASIN" put "$work/sample.bin"
