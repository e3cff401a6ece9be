#!/usr/bin/env python3
"""Sorts ThreadSanitizer reports from a test log into those on state a Mutex guards and the rest.

    tsan-classify.py LOG...   prints the counts, then the source lines of every other report
    tsan-classify.py --probe  builds and runs a ten-line program whose only shared state is a
                              Mutex, to show whether this toolchain's TSan sees Mutex at all

Swift's Synchronization.Mutex on Linux locks through futex system calls, which this toolchain's
TSan does not model, so accesses inside `withLock` bodies are reported as races although the
lock orders them. A report counts as Mutex-guarded when every access in it runs inside a
closure that takes the guarded state inout (the body of a `withLock`). Exits 1 when any other
report is found.
"""
import os, re, subprocess, sys, tempfile

PROBE = """import Synchronization
import Dispatch
final class Box: Sendable { let state = Mutex<[Int: Int]>([:]) }
let box = Box()
DispatchQueue.concurrentPerform(iterations: 8) { i in
    for j in 0..<2000 { box.state.withLock { $0[j % 64, default: 0] += i } }
}
print(box.state.withLock { $0.count })
"""

def probe():
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "main.swift")
        open(source, "w").write(PROBE)
        subprocess.run(["swiftc", "-O", "-sanitize=thread", source, "-o", os.path.join(folder, "probe")], check=True)
        run = subprocess.run([os.path.join(folder, "probe")], capture_output=True, text=True, env={**os.environ, "TSAN_OPTIONS": "exitcode=0"})
        reports = run.stderr.count("WARNING: ThreadSanitizer")
        print(f"a program whose only shared state is a Mutex: {reports} TSan reports "
              f"({'TSan does not see Mutex here' if reports else 'TSan sees Mutex'})")

# A closure taking its state inout: `withLock { state in ... }` bodies (inout parameter `z`,
# closure marker `XEfU`), including throwing ones and tuple states.
GUARDED_BODY = re.compile(r"z\w*XEfU")

def classify(paths):
    reports = []
    for path in (p for p in paths if os.path.isfile(p)):
        log = open(path, errors="replace").read()
        reports += re.split(r"\n(?=\s*WARNING: ThreadSanitizer)", log)[1:]
    other = []
    for report in reports:
        accesses = re.split(r"\n\s*(?:Previous|Location is)", report)[:2]
        stacks = [re.findall(r"#\d+ (\S+)", access)[:8] for access in accesses]
        if not all(any(GUARDED_BODY.search(frame) for frame in stack) for stack in stacks if stack):
            other.append(report)
    print(f"{len(reports)} TSan reports: {len(reports) - len(other)} on state a Mutex guards, {len(other)} other")
    for report in other:
        lines = [re.findall(r"(\w+\.swift:\d+)", access)[:3] for access in re.split(r"\n\s*(?:Previous|Location is)", report)[:2]]
        print("  other:", " / ".join(", ".join(line) for line in lines))
    return 1 if other else 0

if __name__ == "__main__":
    if sys.argv[1:] == ["--probe"]:
        probe()
    elif len(sys.argv) >= 2:
        sys.exit(classify(sys.argv[1:]))
    else:
        sys.exit(__doc__)
