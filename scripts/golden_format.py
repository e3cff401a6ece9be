#!/usr/bin/env python3
"""Writes the golden files of Basin's format from docs/FORMAT.md alone.

An independent implementation of the byte layouts the tests pin: it is written from the
spec, not from the Swift code, so a golden file it produces and the code agreeing on it
means both follow the document. Run it after a deliberate format change (and change
FORMAT.md first); the tests only read the committed files and never need Python.

    pip install cryptography blake3 xxhash
    python3 scripts/golden_format.py            # rewrites Tests/BasinCoreTests/Golden/
    python3 scripts/golden_format.py --check    # exits 1 when a committed file differs

Fixed test-only inputs stand in for the random ones (salts, nonces, keys, ids), as FORMAT.md's
appendix does: every file here is the same on every run.
"""

import argparse
import json
import os
import struct
import sys

import blake3
import xxhash
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "BasinCoreTests", "Golden")

# Test-only inputs (FORMAT.md, Appendix A and the golden files it names).
STRATUM_ID = 0x0123456789ABCDEF
STRATUM_SALT = bytes(range(32))
MASTER_KEY = bytes(range(0x80, 0xA0))
ID_KEY = bytes(range(0xA0, 0xC0))
VALUES = [b"hello basin\n", b"grain two"]
OBJECT_SALT = bytes(range(0x40, 0x60))
KEY_FILE_SALT = bytes(range(0x20, 0x40))
KEY_FILE_NONCE = bytes(range(0x60, 0x6C))
PASSWORD = "correct horse basin"

ALGORITHMS = {"none": 0, "chacha20-poly1305": 1, "aes-256-gcm": 2}
KIND_BLOB, KIND_SNAPSHOT, KIND_INDEX = 1, 4, 15


def xxh32(data):
    return xxhash.xxh32_intdigest(data, seed=0)


def content_key(value, algorithm):
    """§0: BLAKE3 of the plaintext; keyed with the id-key in an encrypted basin."""
    if algorithm == "none":
        return blake3.blake3(value).digest()
    return blake3.blake3(value, key=ID_KEY).digest()


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def aead(algorithm, key):
    return ChaCha20Poly1305(key) if algorithm == "chacha20-poly1305" else AESGCM(key)


# §4: strata


def stratum_header(algorithm, lane=0):
    head = b"BSNSTRAT" + struct.pack("<HBB", 1, lane, ALGORITHMS[algorithm]) + bytes(4)
    head += struct.pack("<Q", STRATUM_ID) + STRATUM_SALT
    return head + struct.pack("<I", xxh32(head)) + bytes(4)


def grain_frame(algorithm, offset, kind, key, plain, payload_key):
    flags = 0  # §4.2: compressed only when zstd saves 1/64 of the size; values this short never are
    payload = plain
    if algorithm != "none":
        nonce = bytes(4) + struct.pack("<Q", offset)
        associated = struct.pack("<QBB", STRATUM_ID, kind, flags) + key + struct.pack("<I", len(plain))
        payload = aead(algorithm, payload_key).encrypt(nonce, plain, associated)
    length = 46 + len(payload)
    body = struct.pack("<IBB", length, kind, flags) + key + struct.pack("<I", len(plain)) + payload
    return struct.pack("<I", xxh32(body)) + body


def stratum(algorithm):
    payload_key = hkdf(MASTER_KEY, STRATUM_SALT, b"basin stratum payload v1")
    out = stratum_header(algorithm)
    entries = []
    for value in VALUES:
        key = content_key(value, algorithm)
        frame = grain_frame(algorithm, len(out), KIND_BLOB, key, value, payload_key)
        entries.append(key + struct.pack("<BBIII", KIND_BLOB, 0, len(out), len(frame), len(value)))
        out += frame
    index_plain = struct.pack("<I", len(entries)) + b"".join(entries)
    index_offset = len(out)
    index = grain_frame(algorithm, index_offset, KIND_INDEX, bytes(32), index_plain, payload_key)
    out += index
    footer = struct.pack("<QIIQ", index_offset, len(index), len(entries), STRATUM_ID)
    return out + footer + struct.pack("<I", xxh32(footer)) + b"BSNF"


# §3: key files


def key_file():
    n, r, p = 1 << 15, 8, 1
    wrapping = Scrypt(salt=KEY_FILE_SALT, length=32, n=n, r=r, p=p).derive(PASSWORD.encode())
    sealed = ChaCha20Poly1305(wrapping).encrypt(KEY_FILE_NONCE, MASTER_KEY + ID_KEY, b"basin key file v1")
    document = {
        "version": 1,
        "created": "2026-12-06T12:00:00Z",
        "hostname": "golden-host",
        "username": "golden",
        "kdf": "scrypt",
        "kdfParameters": {"n": n, "r": r, "p": p},
        "salt": KEY_FILE_SALT.hex(),
        "algorithm": "chacha20-poly1305",
        "nonce": KEY_FILE_NONCE.hex(),
        "sealedKeys": sealed.hex(),
    }
    return (json.dumps(document, sort_keys=True, indent=2) + "\n").encode()


# §7: sealed objects


def sealed_object(name, plain, algorithm):
    out = b"BSNOBJ" + bytes([1, ALGORITHMS[algorithm]]) + OBJECT_SALT
    if algorithm == "none":
        out += plain
    else:
        key = hkdf(MASTER_KEY, OBJECT_SALT, b"basin object v1")
        out += aead(algorithm, key).encrypt(bytes(12), plain, name.encode())
    return out + struct.pack("<I", xxh32(out))


def record_json(document):
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def snapshot_ref(algorithm):
    """§9: the ref of a snapshot whose record is fixed; its name is the snapshot grain's key."""
    record = record_json({
        "version": 1,
        "time": "2026-11-26T01:02:03.123456789Z",
        "hostname": "golden-host",
        "username": "golden",
        "paths": ["/home/golden"],
        "tags": ["daily"],
        "tree": content_key(b"a tree", algorithm).hex(),
        "excludes": ["*.tmp"],
        "parent": content_key(b"a parent", algorithm).hex(),
        "summary": {"filesNew": 1, "filesChanged": 2, "filesUnmodified": 3, "directories": 4, "otherEntries": 5,
                    "bytesRead": 6000, "bytesAdded": 700, "bytesStored": 800, "totalBytes": 9000,
                    "durationSeconds": 1.5, "errors": 0},
        "programVersion": "golden 1",
    })
    name = "snapshots/" + content_key(record, algorithm).hex()
    return name, sealed_object(name, record, algorithm)


def lock(algorithm):
    """§10."""
    name = "locks/0123456789abcdef"
    record = record_json({
        "version": 1,
        "hostname": "golden-host",
        "pid": 4242,
        "username": "golden",
        "operation": "backup",
        "exclusive": False,
        "time": "2026-11-26T01:02:03.123Z",
        "refreshed": "2026-11-26T01:07:03.456Z",
    })
    return name, sealed_object(name, record, algorithm)


def condemnation(algorithm):
    """§11."""
    name = "condemned/fedcba9876543210"
    record = record_json({
        "version": 1,
        "time": "2026-11-26T01:02:03.123Z",
        "hostname": "golden-host",
        "strata": [
            {"lane": "data", "id": "0123456789abcdef", "size": 1048576},
            {"lane": "meta", "id": "00000000000000ff", "size": 4096},
        ],
    })
    return name, sealed_object(name, record, algorithm)


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def root_record(algorithm):
    """§13: one operation of each opcode; the time in the name equals the time inside."""
    time = 1_795_654_923_123_456_789
    first, second = content_key(b"stored value", algorithm), content_key(b"named value", algorithm)
    name_text = "photos/2026 é".encode()
    plain = b"BSROOT" + bytes([1]) + struct.pack("<q", time) + bytes([0]) + varint(4)
    plain += bytes([1]) + first
    plain += bytes([3]) + varint(len(name_text)) + name_text + second
    plain += bytes([2]) + second
    plain += bytes([4]) + varint(len(b"old")) + b"old"
    name = "roots/" + struct.pack(">Q", time).hex() + bytes(range(0x10, 0x28)).hex()
    return name, sealed_object(name, plain, algorithm)


def hex_lines(data):
    return "".join(data[at:at + 32].hex() + "\n" for at in range(0, len(data), 32))


def golden_files():
    files = {}
    for algorithm, label in [("none", "plain"), ("chacha20-poly1305", "chacha20-poly1305"), ("aes-256-gcm", "aes-256-gcm")]:
        files[f"stratum-{label}.hex"] = hex_lines(stratum(algorithm))
        for kind, make in [("snapshot-ref", snapshot_ref), ("lock", lock), ("condemnation", condemnation), ("root-record", root_record)]:
            name, sealed = make(algorithm)
            # The object's name first (it is the associated data), then its bytes.
            files[f"{kind}-{label}.hex"] = f"# {name}\n" + hex_lines(sealed)
    files["keyfile.json"] = key_file().decode()
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing them")
    arguments = parser.parse_args()
    differing = []
    for name, text in sorted(golden_files().items()):
        path = os.path.join(GOLDEN, name)
        if arguments.check:
            try:
                with open(path, encoding="utf-8") as file:
                    same = file.read() == text
            except FileNotFoundError:
                same = False
            if not same:
                differing.append(name)
        else:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
            print(f"wrote {os.path.relpath(path)}")
    if differing:
        print("differs from the spec's bytes: " + ", ".join(differing), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
