#!/usr/bin/env python3
"""Basin beside restic and borg, side by side in one run, on every path a user takes.

    compare.py --basin BIN --work DIR --out DIR [options]

Data sets (each generated once, deterministically, by scripts/mktree.py or here):
  mixed   a tree of --size bytes: small and medium text and random files, large files, copies
  small   --small-files files of 0-8 KiB (mktree.py --small)
  huge    one file of --huge bytes (mixed compressible and random 1 MiB blocks)
For each data set and round, each tool (in an order that alternates between rounds) runs a
first backup into a fresh repository, a no-change backup, and a restore onto disk (and into
a tmpfs with --tmpfs); each step starts after `sync`, and backups with the source warmed
into the page cache. Seconds and peak RSS (/usr/bin/time) are kept for every step, and the
repository's size after the two backups. With --s3, basin and restic also back up to and
restore from a SeaweedFS server (scripts/s3-server.sh; borg has no S3 backend). Every
restore is compared with its source once per data set and tool (untimed); a difference
fails the run. `basin hash` is timed against `b3sum`, one thread each, on the huge file.

Writes OUT/compare.json (every measurement and the medians), OUT/compare.md (the table) and,
when matplotlib is importable, OUT/compare-*.png charts. Ratios are speed ratios (peer's time
/ basin's time: above 1 means basin is faster) and size ratios (basin / peer: below 1 means
basin is smaller).
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "compare-password"


def run(argv, cwd=None, env=None, log=None, check=True):
    """Runs a command quietly, output to LOG; raises naming the command when it fails."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        result = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()
    if check and result.returncode != 0:
        tail = open(log, errors="replace").read()[-2000:] if log else ""
        raise SystemExit(f"compare: {' '.join(argv)} exited {result.returncode}\n{tail}")
    return result.returncode


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def tree_bytes_and_files(path):
    total = files = 0
    for root, _, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                total += os.path.getsize(full)
                files += 1
    return total, files


def warm(path):
    """Reads every file once so each tool starts from the same warm page cache."""
    run(["sh", "-c", f"cd '{path}' && tar cf - . | cat >/dev/null"])


def make_huge_file(path, size, seed=7):
    rng = random.Random(seed)
    text = (b"basin stratum grain clast lane " * 40000)[: 1 << 20]
    with open(path, "wb") as f:
        written = 0
        while written < size:
            block = rng.randbytes(1 << 20) if rng.random() < 0.5 else text[rng.randrange(64):] + text[:rng.randrange(64)]
            block = block[: min(1 << 20, size - written)]
            f.write(block)
            written += len(block)


class Tool:
    """How one backup tool initialises, backs up (from inside SOURCE, as `.`) and restores."""

    def __init__(self, name, env):
        self.name, self.env = name, env

    def init(self, repo, log): raise NotImplementedError
    def backup(self, repo, n): raise NotImplementedError
    def restore(self, repo, target): raise NotImplementedError
    def restored_root(self, target, source): return target


class Basin(Tool):
    def __init__(self, binary, env):
        super().__init__("basin", env)
        self.binary = binary

    def init(self, repo, log):
        run([self.binary, "init", "-r", repo], env=self.env, log=log)

    def backup(self, repo, n):
        return [self.binary, "backup", "-r", repo, "."]

    def restore(self, repo, target):
        return [self.binary, "restore", "-r", repo, "latest", "--target", target]

    def restored_root(self, target, source):
        return target + source


class Restic(Tool):
    def init(self, repo, log):
        run(["restic", "-r", repo, "init"], env=self.env, log=log)

    def backup(self, repo, n):
        return ["restic", "-q", "-r", repo, "backup", "."]

    def restore(self, repo, target):
        return ["restic", "-q", "-r", repo, "restore", "latest", "--target", target]


class Borg(Tool):
    def init(self, repo, log):
        run(["borg", "init", "-e", "repokey-blake2", repo], env=self.env, log=log)

    def backup(self, repo, n):
        return ["borg", "create", "--compression", "auto,zstd,3", f"{repo}::a{n}", "."]

    def restore(self, repo, target):
        # borg extracts into the working directory: the harness runs it inside TARGET.
        return ["borg", "extract", f"{repo}::a2"]


class Harness:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.out = os.path.abspath(args.out)
        self.measurements = []  # dicts: dataset, place, tool, step, round, seconds, rss_kib
        self.sizes = []         # dicts: dataset, place, tool, round, bytes
        self.verified = set()
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(self.out, exist_ok=True)
        self.log = os.path.join(self.work, "commands.log")
        env = dict(os.environ)
        env.update(BASIN_PASSWORD=PASSWORD, RESTIC_PASSWORD=PASSWORD, BORG_PASSPHRASE=PASSWORD,
                   RESTIC_CACHE_DIR=os.path.join(self.work, "restic-cache"),
                   BORG_BASE_DIR=os.path.join(self.work, "borg-base"),
                   BORG_RELOCATED_REPO_ACCESS_IS_OK="yes", BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK="yes")
        self.env = env
        tools = {"basin": Basin(os.path.abspath(args.basin), env), "restic": Restic("restic", env),
                 "borg": Borg("borg", env)}
        self.tools = [tools[name] for name in args.tools.split(",")]
        self.tmpfs = None

    # -- steps -------------------------------------------------------------------------
    def timed(self, dataset, place, tool, step, rnd, argv, cwd, warm_source=None):
        run(["sync"])
        if warm_source:
            warm(warm_source)
        rss_file = os.path.join(self.work, "rss")
        start = time.monotonic()
        run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv, cwd=cwd, env=self.env, log=self.log)
        seconds = time.monotonic() - start
        rss = int(open(rss_file).read().split()[-1])
        self.measurements.append(dict(dataset=dataset, place=place, tool=tool.name, step=step,
                                      round=rnd, seconds=seconds, rss_kib=rss))
        print(f"  {dataset:<6} {place:<5} {tool.name:<6} {step:<15} #{rnd}  {seconds:8.2f} s  {rss / 1024:7.0f} MB",
              flush=True)

    def verify(self, dataset, tool, source, restored):
        key = (dataset, tool.name)
        if key in self.verified:
            return
        result = subprocess.run(["diff", "-r", "--no-dereference", source, restored],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise SystemExit(f"compare: {tool.name} restored {dataset} differently:\n"
                             + result.stdout.decode(errors="replace")[:2000])
        self.verified.add(key)

    def restore_step(self, dataset, place, tool, rnd, repo, source, into, step):
        target = os.path.join(into, f"{tool.name}-{dataset}-{rnd}")
        os.makedirs(target)
        self.timed(dataset, place, tool, step, rnd, tool.restore(repo, target), cwd=target)
        self.verify(dataset, tool, source, tool.restored_root(target, source))
        # Restores onto disk stay until the run ends. On an ext4 without a journal, creating
        # files in the half minute after a large delete walks the inode tables for inodes
        # deleted "recently" (ext4's recently_deleted), so a restore timed right after
        # another's tree was removed pays for that removal, and the faster a tool is, the
        # more it pays. tmpfs has no such cost and little room: delete there at once.
        if into == self.tmpfs:
            shutil.rmtree(target)

    def one_tool(self, dataset, source, tool, rnd, place, repo):
        tool.init(repo, self.log)
        self.timed(dataset, place, tool, "backup", rnd, tool.backup(repo, 1), cwd=source, warm_source=source)
        self.timed(dataset, place, tool, "no-change", rnd, tool.backup(repo, 2), cwd=source, warm_source=source)
        if place == "local":
            self.sizes.append(dict(dataset=dataset, place=place, tool=tool.name, round=rnd,
                                   bytes=int(subprocess.check_output(["du", "-sb", repo]).split()[0])))
        disk = os.path.join(self.work, "restores")
        os.makedirs(disk, exist_ok=True)
        self.restore_step(dataset, place, tool, rnd, repo, source, disk, "restore (disk)")
        if self.tmpfs:
            self.restore_step(dataset, place, tool, rnd, repo, source, self.tmpfs, "restore (tmpfs)")
        if place == "local":
            shutil.rmtree(repo)

    def dataset(self, name, source):
        size, files = tree_bytes_and_files(source)
        print(f"{name}: {size / 2**20:.0f} MiB in {files} files", flush=True)
        self.dataset_info[name] = dict(bytes=size, files=files)
        for rnd in range(1, self.args.rounds + 1):
            order = self.tools if rnd % 2 else list(reversed(self.tools))
            for tool in order:
                self.one_tool(name, source, tool, rnd, "local", os.path.join(self.work, f"repo-{tool.name}"))
            if self.args.s3:
                for tool in [t for t in order if t.name in ("basin", "restic")]:
                    bucket = f"{tool.name}-{name}-{rnd}"
                    repo = f"s3:{self.s3_endpoint}/{bucket}" + ("/repo" if tool.name == "basin" else "")
                    self.one_tool(name, source, tool, rnd, "s3", repo)

    def hash_rows(self, path):
        if not shutil.which("b3sum"):
            return
        basin = self.tools[0] if self.tools[0].name == "basin" else None
        if basin is None:
            return
        for rnd in range(1, self.args.rounds + 1):
            runs = [("basin", [basin.binary, "hash", "--num-threads", "1", path]),
                    ("b3sum", ["b3sum", "--num-threads", "1", path])]
            for label, argv in (runs if rnd % 2 else list(reversed(runs))):
                run(["cat", path], log=None)
                start = time.monotonic()
                run(argv, log=self.log)
                seconds = time.monotonic() - start
                self.measurements.append(dict(dataset="huge", place="local", tool=label, step="hash, 1 thread",
                                              round=rnd, seconds=seconds, rss_kib=0))
                print(f"  huge   local {label:<6} hash, 1 thread   #{rnd}  {seconds:8.2f} s", flush=True)

    # -- the run -----------------------------------------------------------------------
    def start_s3(self):
        server = os.path.join(self.work, "s3-server")
        env = dict(self.env)
        for var, port in (("BASIN_S3_PORT", 8760), ("BASIN_S3_MASTER_PORT", 9760),
                          ("BASIN_S3_VOLUME_PORT", 8460), ("BASIN_S3_FILER_PORT", 8860)):
            env.setdefault(var, str(port))
        run(["bash", os.path.join(HERE, "s3-server.sh"), "start", server], env=env, log=self.log)
        values = {}
        for line in open(os.path.join(server, "env")):
            line = line.strip().removeprefix("export ")
            if "=" in line:
                key, value = line.split("=", 1)
                values[key] = value.strip("'\"")
        self.s3_endpoint = values["BASIN_TEST_S3_ENDPOINT"]
        self.env.update(AWS_ACCESS_KEY_ID=values["BASIN_TEST_S3_ACCESS_KEY"],
                        AWS_SECRET_ACCESS_KEY=values["BASIN_TEST_S3_SECRET_KEY"], AWS_DEFAULT_REGION="us-east-1")
        return server, env

    def main(self):
        args = self.args
        self.dataset_info = {}
        server = None
        if args.tmpfs:
            self.tmpfs = os.path.join(self.work, "tmpfs")
            os.makedirs(self.tmpfs, exist_ok=True)
            run(["mount", "-t", "tmpfs", "-o", "size=16g", "tmpfs", self.tmpfs])
        try:
            if args.s3:
                server, server_env = self.start_s3()
            sets = []
            if args.size != "0":
                sets.append(("mixed", ["make", "--size", args.size, "--seed", "1"]))
            if args.small_files > 0:
                sets.append(("small", ["make", "--small", "--files", str(args.small_files),
                                       "--size", str(args.small_files * 4096), "--seed", "2"]))
            for name, generate in sets:
                source = os.path.join(self.work, f"source-{name}")
                if not os.path.isdir(source):
                    run([sys.executable, os.path.join(HERE, "mktree.py"), generate[0], source] + generate[1:],
                        log=self.log)
                self.dataset(name, source)
            if args.huge != "0":
                source = os.path.join(self.work, "source-huge")
                if not os.path.isdir(source):
                    os.makedirs(source)
                    make_huge_file(os.path.join(source, "huge.bin"), parse_size(args.huge))
                self.dataset("huge", source)
                self.hash_rows(os.path.join(source, "huge.bin"))
        finally:
            if server:
                run(["bash", os.path.join(HERE, "s3-server.sh"), "stop", server], env=server_env, check=False)
            if self.tmpfs:
                run(["umount", self.tmpfs], check=False)
        self.report()

    # -- the report --------------------------------------------------------------------
    def medians(self):
        table = {}
        for m in self.measurements:
            key = (m["dataset"], m["place"], m["step"])
            table.setdefault(key, {}).setdefault(m["tool"], []).append(m)
        result = {}
        for key, tools in table.items():
            result[key] = {tool: dict(seconds=statistics.median(x["seconds"] for x in rows),
                                      rss_mb=max(x["rss_kib"] for x in rows) / 1024) for tool, rows in tools.items()}
        return result

    def report(self):
        medians = self.medians()
        peers = [t.name for t in self.tools if t.name != "basin"]
        lines = ["| data set | where | step | " + " | ".join(t.name for t in self.tools)
                 + " | " + " | ".join(f"{p} / basin" for p in peers) + " | peak RSS basin / "
                 + " / ".join(peers) + " MB |",
                 "|---" * (4 + len(self.tools) + len(peers)) + "|"]
        for (dataset, place, step), tools in medians.items():
            if step.startswith("hash"):
                continue
            cells = [f"{tools[t.name]['seconds']:.2f} s" if t.name in tools else "–" for t in self.tools]
            ratios = [f"{tools[p]['seconds'] / tools['basin']['seconds']:.2f}×"
                      if p in tools and "basin" in tools else "–" for p in peers]
            rss = " / ".join(f"{tools[t.name]['rss_mb']:.0f}" if t.name in tools else "–" for t in self.tools)
            lines.append(f"| {dataset} | {place} | {step} | " + " | ".join(cells) + " | "
                         + " | ".join(ratios) + f" | {rss} |")
        sizes = {}
        for s in self.sizes:
            sizes.setdefault(s["dataset"], {}).setdefault(s["tool"], []).append(s["bytes"])
        for dataset, tools in sizes.items():
            cells = [f"{statistics.median(tools[t.name]) / 1e6:.1f} MB" if t.name in tools else "–" for t in self.tools]
            ratios = [f"{statistics.median(tools['basin']) / statistics.median(tools[p]):.3f} (basin/{p})"
                      if p in tools and "basin" in tools else "–" for p in peers]
            lines.append(f"| {dataset} | local | repository | " + " | ".join(cells) + " | " + " | ".join(ratios) + " | |")
        hashes = medians.get(("huge", "local", "hash, 1 thread"))
        if hashes and "basin" in hashes and "b3sum" in hashes:
            lines.append(f"\n`basin hash` {hashes['basin']['seconds']:.2f} s, `b3sum` {hashes['b3sum']['seconds']:.2f} s "
                         f"(one thread each): {hashes['b3sum']['seconds'] / hashes['basin']['seconds']:.2f}× b3sum")
        info = ", ".join(f"{name}: {v['bytes'] / 2**20:.0f} MiB in {v['files']} files"
                         for name, v in self.dataset_info.items())
        header = (f"Data sets: {info}. Medians of {self.args.rounds} round(s); speed ratios are the peer's "
                  f"time over basin's (above 1: basin faster).\n")
        text = header + "\n" + "\n".join(lines) + "\n"
        print("\n" + text)
        open(os.path.join(self.out, "compare.md"), "w").write(text)
        json.dump(dict(datasets=self.dataset_info, rounds=self.args.rounds, measurements=self.measurements,
                       repository_sizes=self.sizes,
                       medians=[dict(dataset=k[0], place=k[1], step=k[2], tools=v) for k, v in medians.items()]),
                  open(os.path.join(self.out, "compare.json"), "w"), indent=2)
        self.charts(medians)

    def charts(self, medians):
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("compare: matplotlib is not installed; no charts", file=sys.stderr)
            return
        datasets = sorted({k[0] for k in medians})
        for dataset in datasets:
            rows = [(f"{place}\n" + step.replace(" (", "\n("), tools) for (d, place, step), tools in medians.items()
                    if d == dataset and not step.startswith("hash")]
            if not rows:
                continue
            fig, (ax_time, ax_rss) = plt.subplots(1, 2, figsize=(13, 4.5))
            width = 0.8 / len(self.tools)
            for i, tool in enumerate(self.tools):
                xs = [j + i * width for j in range(len(rows))]
                ax_time.bar(xs, [tools.get(tool.name, {}).get("seconds", 0) for _, tools in rows], width, label=tool.name)
                ax_rss.bar(xs, [tools.get(tool.name, {}).get("rss_mb", 0) for _, tools in rows], width, label=tool.name)
            for ax, title in ((ax_time, "seconds (lower is better)"), (ax_rss, "peak RSS, MB (lower is better)")):
                ax.set_xticks([j + width * (len(self.tools) - 1) / 2 for j in range(len(rows))])
                ax.set_xticklabels([label for label, _ in rows], fontsize=7)
                ax.set_title(title)
                ax.legend()
            info = self.dataset_info.get(dataset, {})
            fig.suptitle(f"{dataset}: {info.get('bytes', 0) / 2**20:.0f} MiB in {info.get('files', 0)} files")
            fig.tight_layout()
            fig.savefig(os.path.join(self.out, f"compare-{dataset}.png"), dpi=90)
            plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--basin", required=True, help="the basin binary (a release build)")
    parser.add_argument("--work", required=True, help="scratch directory: sources, repositories, restores")
    parser.add_argument("--out", required=True, help="where compare.json, compare.md and the charts go")
    parser.add_argument("--tools", default="basin,restic,borg", help="comma-separated, basin first")
    parser.add_argument("--size", default="1G", help="mixed tree size (0: leave it out)")
    parser.add_argument("--small-files", type=int, default=100_000, help="files in the small-file tree (0: leave it out)")
    parser.add_argument("--huge", default="2G", help="size of the one-file data set (0: leave it out)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--s3", action="store_true", help="also back up to and restore from SeaweedFS (basin, restic)")
    parser.add_argument("--tmpfs", action="store_true", help="also restore into a tmpfs (needs root)")
    Harness(parser.parse_args()).main()


if __name__ == "__main__":
    main()
