#!/usr/bin/env bash
# Basin as an embedded key/value store beside SQLite, in one run: COUNT values of 1 KiB and of
# 64 KiB put in one batch (one transaction) and one flush (commit), unencrypted and encrypted,
# then GETS random gets by key from a cold process (the basin reopened, the database reopened).
#
#   scripts/bench-kv.sh [COUNT] [GETS] [ROUNDS]     defaults: 100000 50000 1
#
# SQLite: Python's sqlite3 module, a table `(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID`,
# journal_mode=WAL, synchronous=NORMAL, keys the BLAKE3-sized SHA-256 of each value; the same
# kind of values (half text, half random; basin-kvbench's text half, another random generator). Each step starts after `sync`;
# the tools take turns going first. Prints puts/s, MB/s, gets/s and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
gets=${2:-50000}
rounds=${3:-1}
work=$(mktemp -d /var/tmp/basin-bench-kv.XXXXXX)
trap 'rm -rf "$work"' EXIT
swift build -c release --product basin-kvbench >/dev/null
bench=$(swift build -c release --show-bin-path)/basin-kvbench
results="$work/results"
: >"$results"

sqlite_step() { # put|get DB COUNT SIZE
  python3 - "$@" <<'PY'
import hashlib, json, sqlite3, sys, time
operation, path, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import random
WORDS = b"basin stratum grain clast lane key value backup restore "
M = (1 << 64) - 1
TEXT = WORDS * (size // len(WORDS) + 2)
def value(index):
    # Half text from an index-dependent offset, half random: the kind of value basin-kvbench
    # stores (the same text half; another generator for the random half, which compresses alike).
    offset = (index * 7919) % len(WORDS)
    return TEXT[offset:offset + size // 2] + random.Random(index).randbytes(size - size // 2)
if operation == "put":
    # Generating values in Python is slow: make them before the clock starts, as basin-kvbench does.
    values = [value(i) for i in range(count)]
    keys = [hashlib.sha256(v).digest() for v in values]
    start = time.monotonic()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID")
    with db:
        db.executemany("INSERT OR IGNORE INTO kv VALUES (?, ?)", zip(keys, values))
    db.close()
    open(path + ".keys", "wb").write(b"".join(keys))
    print(json.dumps({"operation": "put", "seconds": time.monotonic() - start, "count": count, "bytes": count * size}))
else:
    stored = open(path + ".keys", "rb").read()
    keys = [stored[i:i + 32] for i in range(0, len(stored), 32)]
    state, chosen = 0x6b766265_6e6368, []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & M
        chosen.append(keys[(state >> 33) % len(keys)])
    start = time.monotonic()
    db = sqlite3.connect(path)
    opened = time.monotonic()
    total = 0
    for key in chosen:
        total += len(db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()[0])
    print(json.dumps({"operation": "get", "seconds": time.monotonic() - opened, "open_seconds": opened - start,
                      "count": count, "bytes": total}))
PY
}

for round in $(seq 1 "$rounds"); do
  for size in 1024 65536; do
    for mode in plain encrypted; do
      flag=""; [ "$mode" = plain ] || flag="--encrypted"
      order=(basin sqlite); [ $((round % 2)) -eq 1 ] || order=(sqlite basin)
      for tool in "${order[@]}"; do
        place="$work/$tool-$size-$mode-$round"
        if [ "$tool" = sqlite ] && [ "$mode" = encrypted ]; then continue; fi
        sync
        if [ "$tool" = basin ]; then out=$("$bench" put "$place" "$count" "$size" $flag); else out=$(sqlite_step put "$place" "$count" "$size"); fi
        echo "$tool $size $mode $round $out" >>"$results"
        sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
        if [ "$tool" = basin ]; then out=$("$bench" get "$place" "$gets" $flag); else out=$(sqlite_step get "$place" "$gets" "$size"); fi
        echo "$tool $size $mode $round $out" >>"$results"
        echo "$tool $size $mode $round size $(du -sb "$place" | cut -f1)" >>"$results"
        rm -rf "$place" "$place.keys" "$place"-*
      done
    done
  done
done

python3 - "$results" "$count" "$gets" <<'PY'
import json, statistics, sys
rows = {}
sizes = {}
for line in open(sys.argv[1]):
    tool, size, mode, rnd, rest = line.split(" ", 4)
    if rest.startswith("size "):
        sizes[(tool, size, mode)] = int(rest.split()[1]); continue
    record = json.loads(rest)
    rows.setdefault((tool, size, mode, record["operation"]), []).append(record)
def median(key, field):
    return statistics.median(r[field] for r in rows[key])
print(f"{sys.argv[2]} values put in one batch, {sys.argv[3]} random gets from a reopened store (cold process, page cache dropped when root)")
print(f"{'store':<22} {'value':>6} {'puts/s':>10} {'MB/s':>8} {'gets/s':>10} {'open s':>7} {'on disk MB':>11}")
for (tool, size, mode, op) in sorted(k for k in rows if k[3] == "put"):
    put = median((tool, size, mode, "put"), "seconds")
    get = median((tool, size, mode, "get"), "seconds")
    opened = median((tool, size, mode, "get"), "open_seconds")
    count = rows[(tool, size, mode, "put")][0]["count"]; gets = rows[(tool, size, mode, "get")][0]["count"]
    label = f"{tool} ({mode})" if tool == "basin" else tool
    print(f"{label:<22} {int(size) // 1024:>4}Ki {count / put:>10.0f} {count * int(size) / 1e6 / put:>8.1f} {gets / get:>10.0f} {opened:>7.2f} {sizes[(tool, size, mode)] / 1e6:>11.1f}")
for size in sorted({k[1] for k in rows}):
    for mode in ("plain", "encrypted"):
        if ("basin", size, mode, "put") in rows and ("sqlite", size, "plain", "put") in rows:
            p = median(("sqlite", size, "plain", "put"), "seconds") / median(("basin", size, mode, "put"), "seconds")
            g = median(("sqlite", size, "plain", "get"), "seconds") / median(("basin", size, mode, "get"), "seconds")
            print(f"{int(size) // 1024} KiB, basin {mode} / sqlite: put {p:.2f}x, get {g:.2f}x")
PY
