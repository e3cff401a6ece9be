#!/usr/bin/env bash
# Basin beside restic and borg on the same data, in one run: backup, no-change backup and
# restore, locally and on S3 (SeaweedFS), a mixed tree, many small files and one huge file,
# with peak memory and repository size; prints the table with ratios, writes JSON and charts.
#
#   scripts/compare.sh [OPTIONS]        options go to scripts/compare.py (see --help there):
#                                       --size 1G --small-files 100000 --huge 2G --rounds 2 --s3 --tmpfs
#
# Installs what is missing (restic, borgbackup, time, b3sum, matplotlib, SeaweedFS), builds
# basin in release mode, and writes results to $COMPARE_OUT (default compare-results/; use
# docs/compare to refresh the README's charts). Scratch data goes to $COMPARE_WORK (default a
# new folder under /var/tmp), removed afterwards unless COMPARE_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
need=()
command -v restic >/dev/null || need+=(restic)
command -v borg >/dev/null || need+=(borgbackup)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "compare: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import matplotlib' 2>/dev/null || { echo "compare: installing matplotlib (pip)" >&2; pip install -q matplotlib; }
swift build -c release --product basin
basin=$(swift build -c release --show-bin-path)/basin
out=${COMPARE_OUT:-compare-results}
work=${COMPARE_WORK:-$(mktemp -d /var/tmp/basin-compare.XXXXXX)}
[ "${COMPARE_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
python3 scripts/compare.py --basin "$basin" --work "$work" --out "$out" "$@"
