#!/usr/bin/env bash
# Installs what is missing, builds basin in release mode, and runs the main job on a local
# basin: back up a sample tree, change it, back it up again, list snapshots, restore, compare.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product basin
BASIN=$(swift build -c release --show-bin-path)/basin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BASIN_REPOSITORY="$work/basin" BASIN_PASSWORD=demo

echo "== a sample tree (scripts/mktree.py, 128 MiB)"
python3 scripts/mktree.py make "$work/sample" --size 128M --seed 1 >/dev/null
du -sh "$work/sample" | cut -f1

echo "== basin init: a local, encrypted basin"
"$BASIN" init
echo "== basin backup"
"$BASIN" backup "$work/sample"
echo "== change a few files, back up again: unchanged files are not read"
python3 scripts/mktree.py mutate "$work/sample" --seed 2 --fraction 0.02 >/dev/null
"$BASIN" backup "$work/sample"
echo "== basin snapshots"
"$BASIN" snapshots
echo "== basin diff of the two snapshots (summary)"
"$BASIN" diff "$("$BASIN" snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["short_id"])')" latest | tail -4
echo "== basin restore latest, then compare with the source"
"$BASIN" restore latest --target "$work/restored" --verify
diff -r --no-dereference "$work/sample" "$work/restored$work/sample" && echo "restored tree is identical to the source"
echo "== basin stats"
"$BASIN" stats
echo "== basin hash agrees with b3sum"
file=$(find "$work/sample" -type f -size +1M | head -1)
"$BASIN" hash "$file"
b3sum "$file"
