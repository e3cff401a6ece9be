#!/usr/bin/env python3
"""Basin's sample-tree generator: deterministic directory trees to back up, and changes to them.

    mktree.py make   DIR [--size 128M] [--seed 1] [--files N] [--small]
    mktree.py mutate DIR [--seed 2] [--fraction 0.05]
    mktree.py digest DIR

make     writes a new tree of about SIZE bytes into DIR (which must not exist): many small and
         medium files, most of them text-like (compressible) and some random (incompressible),
         a few large files (random, log-like text, and zero-heavy images), copies of earlier
         files under other names (for deduplication), nested directories, symlinks (to a
         file, to a directory, dangling), a hard link, empty files and directories, and
         files with modes 0755 and 0600. --files N makes exactly N small and medium files
         (their mean size follows from SIZE); --small leaves out the large files and the
         copies, for trees of many small files.
mutate   changes the tree as a day of work would: rewrites regions inside about FRACTION of
         its files, appends to some, replaces a few whole, deletes a few and adds a few (in
         existing directories and in a new one). Prints what it did.
digest   prints one line per entry (path, type, mode, and for files size, SHA-256 and
         mtime; for links the target), sorted: two trees are equal when their digests are.

The same arguments always give the same names, bytes, modes and modification times (Python 3
standard library only), so runs can be compared and failures replayed.
"""
import argparse
import hashlib
import math
import os
import random
import stat
import sys

EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z, the generated tree's "now"
DAY = 86_400
MIB = 1 << 20

SYLLABLES = ("ba", "sin", "stra", "tum", "grain", "clast", "lane", "ke", "ro", "dor", "mi", "vel",
             "an", "ti", "co", "lu", "re", "pa", "no", "sed", "ix", "or", "quo", "tem")
TOKENS = ("the", "a", "of", "to", "and", "in", "is", "for", "with", "on", "at", "by", "from", "=",
          "{", "}", "(", ")", "->", "//", "#", "let", "var", "return", "if", "else", "0", "1", "42",
          "ERROR", "WARN", "INFO", "DEBUG", "true", "false", "nil", "self", "path", "key", "value")
TEXT_EXTENSIONS = (".txt", ".md", ".swift", ".json", ".csv", ".conf", ".html", ".py")
RANDOM_EXTENSIONS = (".jpg", ".zip", ".gz", ".bin")


def parse_size(text):
    """`128M`, `1G`, `512KiB`, `4096` -> bytes."""
    value = text.strip().upper()
    for suffix in ("IB", "B"):
        if value.endswith(suffix) and len(value) > len(suffix):
            value = value[: -len(suffix)]
            break
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(value[-1:], 1)
    if scale != 1:
        value = value[:-1]
    try:
        return int(float(value) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 128M, 1G, 4096)")


class Content:
    """Seeded content: text-like bytes (words on lines) and random bytes, from one generator."""

    def __init__(self, rng):
        self.rng = rng
        words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(600)]
        vocabulary = words + list(TOKENS) * 6
        self.lines = []
        for _ in range(4096):
            indent = " " * (4 * rng.randint(0, 3))
            body = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(2, 14)))
            self.lines.append((indent + body + "\n").encode())
        self.mean_line = sum(map(len, self.lines)) / len(self.lines)

    def text(self, n):
        """n bytes of text; a numbered line now and then keeps two files from being equal."""
        out = []
        size = 0
        while size < n:
            picks = self.rng.choices(self.lines, k=int(min(n - size, 256 << 10) / self.mean_line) + 1)
            picks.append(b"%d %016x\n" % (size, self.rng.getrandbits(64)))
            block = b"".join(picks)
            out.append(block)
            size += len(block)
        return b"".join(out)[:n]

    def random(self, n):
        return self.rng.randbytes(n)

    def image(self, n):
        """A disk-image-like file: runs of zeros between random blocks (compresses about 2:1)."""
        out = []
        size = 0
        while size < n:
            block = 64 << 10
            out.append(bytes(block) if self.rng.random() < 0.5 else self.rng.randbytes(block))
            size += block
        return b"".join(out)[:n]

    def like(self, path, n):
        """Content of the kind `path`'s extension suggests."""
        if path.endswith(RANDOM_EXTENSIONS):
            return self.random(n)
        if path.endswith(".img"):
            return self.image(n)
        return self.text(n)


def symlink(target, path):
    os.symlink(target, path)
    os.utime(path, (EPOCH, EPOCH), follow_symlinks=False)


def write(path, data, mtime, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    os.utime(path, (mtime, mtime))


class Tree:
    """The directories of a tree being made, and names unique within each."""

    def __init__(self, root, rng):
        self.root = root
        self.rng = rng
        self.dirs = [root]
        self.depth = {root: 0}
        self.used = {root: set()}

    def name(self, parent, stem, extension=""):
        while True:
            candidate = stem + extension
            if candidate not in self.used[parent]:
                self.used[parent].add(candidate)
                return os.path.join(parent, candidate)
            stem += "-" + "".join(self.rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(2))

    def word(self):
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(1, 3)))

    def grow(self, count, max_depth=6):
        """Adds `count` directories, each under a random existing one not deeper than max_depth."""
        for _ in range(count):
            parent = self.rng.choice([d for d in self.dirs[-64:] + self.dirs[:8] if self.depth[d] < max_depth])
            path = self.name(parent, self.word())
            os.mkdir(path)
            self.dirs.append(path)
            self.depth[path] = self.depth[parent] + 1
            self.used[path] = set()

    def file(self, stem, extension):
        return self.name(self.rng.choice(self.dirs), stem, extension)


def file_sizes(rng, budget, count, cap, mean):
    """Sizes of the small and medium files: log-normal (many small, a long tail), capped.

    With a count, exactly that many files whose sizes average budget / count; without one,
    files of about `mean` bytes until the budget is spent.
    """
    sigma = 1.4
    target = budget / count if count else mean
    mu = math.log(max(target, 1)) - sigma * sigma / 2
    sizes = []
    spent = 0
    while (len(sizes) < count) if count else (spent < budget):
        size = min(cap, int(rng.lognormvariate(mu, sigma)))
        if rng.random() < 0.01:
            size = 0
        sizes.append(size)
        spent += size
    return sizes


def make(root, size, seed, files, small):
    if os.path.lexists(root):
        sys.exit(f"mktree: {root} exists; make writes a new tree")
    rng = random.Random(f"mktree make {seed}")
    content = Content(rng)
    os.makedirs(root)
    tree = Tree(root, rng)

    large_share, copy_share = (0.0, 0.0) if small else (0.40, 0.10)
    sizes = file_sizes(rng, size * (1 - large_share - copy_share), files,
                       cap=(64 << 10) if small else 2 * MIB, mean=(3 << 10) if small else (12 << 10))
    tree.grow(max(3, len(sizes) // 24))

    made = []
    for i, n in enumerate(sizes):
        extension = rng.choice(RANDOM_EXTENSIONS) if rng.random() < 0.2 else rng.choice(TEXT_EXTENSIONS)
        path = tree.file(f"{tree.word()}-{i:05d}", extension)
        write(path, content.like(path, n), EPOCH - rng.randrange(365 * DAY))
        made.append(path)

    # A few large files: at most 8, each an equal-ish share of 40% of the size.
    large_budget = int(size * large_share)
    count = min(8, max(1, large_budget // (16 * MIB))) if large_budget >= MIB else 0
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    for i, weight in enumerate(weights):
        n = int(large_budget * weight / sum(weights))
        extension = (".bin", ".log", ".img")[i % 3]
        path = tree.file(f"large-{i:02d}", extension)
        with open(path, "wb") as f:
            for start in range(0, n, 8 * MIB):
                f.write(content.like(path, min(8 * MIB, n - start)))
        os.utime(path, (EPOCH - rng.randrange(30 * DAY),) * 2)
        made.append(path)

    # Copies of earlier files under other names and in other directories (deduplication).
    copy_budget = int(size * copy_share)
    for i in range(10_000):
        if copy_budget <= 0 or not made:
            break
        original = rng.choice(made)
        n = os.path.getsize(original)
        if n > copy_budget:
            copy_budget -= max(1, copy_budget // 8)  # too big: try a smaller one, and end
            continue
        with open(original, "rb") as f:
            data = f.read()
        path = tree.file("copy-of-" + os.path.basename(original), "")
        write(path, data, EPOCH - rng.randrange(DAY))
        copy_budget -= n

    # The cases every backup tool must get right.
    edge = tree.name(root, "edge")
    os.makedirs(os.path.join(edge, "empty-dir", "empty-inside"))
    write(os.path.join(edge, "empty-file"), b"", EPOCH)
    write(os.path.join(edge, "run.sh"), b"#!/bin/sh\necho sample tree\n", EPOCH, 0o755)
    write(os.path.join(edge, "secret.key"), content.random(32), EPOCH, 0o600)
    symlink("run.sh", os.path.join(edge, "link-to-file"))
    symlink("empty-dir", os.path.join(edge, "link-to-dir"))
    symlink("/nonexistent/basin-sample", os.path.join(edge, "dangling-link"))
    if made:
        symlink(os.path.relpath(made[-1], edge), os.path.join(edge, "link-far-away"))
        os.link(made[0], os.path.join(edge, "hard-link-to-first-file"))
    for i in range(3):
        directory = rng.choice(tree.dirs[1:] or [root])
        neighbours = sorted(tree.used[directory])
        if neighbours:
            symlink(rng.choice(neighbours), tree.name(directory, f"link-{i}"))

    for path, _, _ in os.walk(root):
        os.utime(path, (EPOCH, EPOCH))
    print(f"mktree: {len(made)} files, {len(tree.dirs)} directories in {root}")


def regular_files(root):
    """The tree's regular files outside edge/ that have one link, sorted (stable across runs)."""
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if os.path.relpath(directory, root).split(os.sep)[0] == "edge":
            continue
        for name in filenames:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
                found.append(path)
    return sorted(found)


def mutate(root, seed, fraction):
    if not os.path.isdir(root):
        sys.exit(f"mktree: {root} is not a directory")
    rng = random.Random(f"mktree mutate {seed}")
    content = Content(rng)
    files = regular_files(root)
    if not files:
        sys.exit(f"mktree: no files to change in {root}")
    mtime = EPOCH + seed * DAY
    count = min(len(files), max(1, round(len(files) * fraction)))
    chosen = rng.sample(files, count)
    done = {"edited": 0, "appended": 0, "replaced": 0, "deleted": 0, "added": 0}
    touched_dirs = set()

    for path in chosen:
        n = os.path.getsize(path)
        action = rng.choices(("edited", "appended", "replaced"), weights=(5, 4, 1))[0]
        if action == "edited" and n > 0:
            with open(path, "rb") as f:
                data = f.read()
            at = rng.randrange(n)
            cut = rng.randint(0, min(n - at, 16 << 10))
            data = data[:at] + content.like(path, rng.randint(1, 16 << 10)) + data[at + cut:]
            write(path, data, mtime)
        elif action == "replaced":
            write(path, content.like(path, max(1, int(n * rng.uniform(0.5, 1.5)))), mtime)
        else:
            action = "appended"
            with open(path, "ab") as f:
                f.write(content.like(path, rng.randint(1, 64 << 10)))
            os.utime(path, (mtime, mtime))
        done[action] += 1

    others = sorted(set(files) - set(chosen))
    for path in rng.sample(others, min(len(others), max(1, count // 10))):
        os.remove(path)
        touched_dirs.add(os.path.dirname(path))
        done["deleted"] += 1

    directories = sorted({os.path.dirname(p) for p in files})
    added_dir = os.path.join(root, f"added-{seed}")
    os.makedirs(added_dir, exist_ok=True)
    for i in range(max(1, count // 10)):
        directory = added_dir if i % 2 == 0 else rng.choice(directories)
        extension = rng.choice(TEXT_EXTENSIONS + RANDOM_EXTENSIONS[:1])
        path = os.path.join(directory, f"new-{seed}-{i:04d}{extension}")
        write(path, content.like(path, rng.randint(0, 256 << 10)), mtime)
        touched_dirs.add(directory)
        done["added"] += 1
    touched_dirs.add(root)
    for directory in touched_dirs:
        if os.path.isdir(directory):
            os.utime(directory, (mtime, mtime))
    print("mktree: " + " ".join(f"{k}={v}" for k, v in done.items()))


def digest(root):
    base = os.fsencode(root)
    lines = []
    for directory, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            relative = os.path.relpath(path, base)
            mode = f"{stat.S_IMODE(st.st_mode):o}"
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    while block := f.read(MIB):
                        h.update(block)
                what = f"file {mode} {st.st_size} {h.hexdigest()} {int(st.st_mtime)}"
            elif stat.S_ISLNK(st.st_mode):
                what = "link " + os.readlink(path).hex()
            elif stat.S_ISDIR(st.st_mode):
                what = f"dir {mode}"
            else:
                what = f"other {mode}"
            lines.append(f"{relative.hex()} {what}\n")
    sys.stdout.write("".join(sorted(lines)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    m = commands.add_parser("make", help="write a new sample tree")
    m.add_argument("dir")
    m.add_argument("--size", type=parse_size, default=parse_size("128M"))
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--files", type=int, default=0, help="exactly this many small and medium files")
    m.add_argument("--small", action="store_true", help="small files only: no large files, no copies")
    u = commands.add_parser("mutate", help="change a tree made by make")
    u.add_argument("dir")
    u.add_argument("--seed", type=int, default=2)
    u.add_argument("--fraction", type=float, default=0.05)
    d = commands.add_parser("digest", help="one line per entry, to compare trees")
    d.add_argument("dir")
    args = parser.parse_args()
    if args.command == "make":
        if args.size < 0 or args.files < 0:
            parser.error("--size and --files must not be negative")
        make(args.dir, args.size, args.seed, args.files, args.small)
    elif args.command == "mutate":
        if not 0 <= args.fraction <= 1:
            parser.error("--fraction must be between 0 and 1")
        mutate(args.dir, args.seed, args.fraction)
    else:
        digest(args.dir)


if __name__ == "__main__":
    main()
