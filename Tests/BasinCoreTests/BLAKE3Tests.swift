import Foundation
import BasinTestSupport
import Testing
@testable import BasinCore

/// The official vectors (Vectors/blake3/test_vectors.json beside this file) and `b3sum` on
/// random inputs, for every kernel this machine runs.
@Suite struct BLAKE3Tests {
    // MARK: - Official test vectors

    struct Vectors: Decodable {
        struct Case: Decodable, CustomTestStringConvertible {
            let input_len: Int
            let hash: String
            let keyed_hash: String
            let derive_key: String
            var testDescription: String { "input_len \(input_len)" }
        }
        let key: String
        let context_string: String
        let cases: [Case]
    }

    struct VectorsUnavailable: Error, CustomStringConvertible {
        let path: String
        let cause: any Error
        var description: String { "cannot load the BLAKE3 test vectors \(path): \(cause)" }
    }

    /// The file in the repository, next to this source file.
    static let vectorsURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Vectors/blake3/test_vectors.json")

    /// The vectors, read once; a missing or malformed file is an error every vector test
    /// throws (so it fails, never skips).
    static let loadedVectors: Result<Vectors, VectorsUnavailable> = Result {
        try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: vectorsURL))
    }.mapError { VectorsUnavailable(path: vectorsURL.path, cause: $0) }

    static func vectors() throws -> Vectors { try loadedVectors.get() }

    /// The vectors' input: bytes 0, 1, ..., 250, 0, 1, ...
    static func vectorInput(_ length: Int) -> [UInt8] {
        (0..<length).map { UInt8($0 % 251) }
    }

    static func bytes(hex: String) -> [UInt8] {
        let utf8 = Array(hex.utf8)
        return stride(from: 0, to: utf8.count, by: 2).map { UInt8(String(decoding: utf8[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }

    /// The three modes' hashers, on `kernel`.
    static func hashers(_ kernel: BLAKE3Kernel, _ vectors: Vectors) -> [(mode: String, hasher: BLAKE3Hasher)] {
        [("hash", BLAKE3Hasher().using(kernel)),
         ("keyed_hash", BLAKE3Hasher(key: Array(vectors.key.utf8)).using(kernel)),
         ("derive_key", BLAKE3Hasher(deriveKeyContext: vectors.context_string).using(kernel))]
    }

    static func expected(_ testCase: Vectors.Case, mode: String) -> [UInt8] {
        switch mode {
        case "hash": bytes(hex: testCase.hash)
        case "keyed_hash": bytes(hex: testCase.keyed_hash)
        default: bytes(hex: testCase.derive_key)
        }
    }

    @Test func vectorsFileIsComplete() throws {
        let vectors = try Self.vectors()
        let lengths = vectors.cases.map(\.input_len)
        #expect(lengths.count >= 22 && lengths.first == 0 && lengths.last == 102_400)
        #expect(vectors.cases.allSatisfy { $0.hash.count == 262 && $0.keyed_hash.count == 262 && $0.derive_key.count == 262 })
    }

    @Test(arguments: BLAKE3Kernel.supported)
    func officialVectorsInOneUpdate(kernel: BLAKE3Kernel) throws {
        let vectors = try Self.vectors()
        for testCase in vectors.cases {
            let input = Self.vectorInput(testCase.input_len)
            for (mode, start) in Self.hashers(kernel, vectors) {
                var hasher = start
                hasher.update(input)
                let expected = Self.expected(testCase, mode: mode)
                #expect(hasher.finalize(length: 131) == expected, "\(mode) of \(testCase.input_len) bytes")
                #expect(hasher.finalize() == Array(expected[..<32]), "\(mode) of \(testCase.input_len) bytes")
                for length in [0, 1, 31, 33, 63, 64, 65, 100] {
                    #expect(hasher.finalize(length: length) == Array(expected[..<length]),
                            "\(mode) of \(testCase.input_len) bytes, \(length)-byte prefix")
                }
                for seek in [1, 31, 32, 64, 65, 130] {
                    #expect(hasher.finalize(length: 131 - seek, seek: UInt64(seek)) == Array(expected[seek...]),
                            "\(mode) of \(testCase.input_len) bytes, seek \(seek)")
                }
            }
        }
    }

    @Test(arguments: BLAKE3Kernel.supported, [[1], [7, 64, 1], [63, 65, 1023], [1024, 3, 1025], [4096, 1, 2048, 31744]])
    func officialVectorsInOddSplits(kernel: BLAKE3Kernel, splits: [Int]) throws {
        let vectors = try Self.vectors()
        for testCase in vectors.cases {
            let input = Self.vectorInput(testCase.input_len)
            for (mode, start) in Self.hashers(kernel, vectors) {
                var hasher = start
                var offset = 0
                var turn = 0
                while offset < input.count {
                    let take = min(splits[turn % splits.count], input.count - offset)
                    hasher.update(Array(input[offset..<offset + take]))
                    offset += take
                    turn += 1
                }
                #expect(hasher.finalize(length: 131) == Self.expected(testCase, mode: mode),
                        "\(mode) of \(testCase.input_len) bytes in pieces of \(splits)")
            }
        }
    }

    @Test func oneShotFunctionsMatchVectors() throws {
        let vectors = try Self.vectors()
        let key = Array(vectors.key.utf8)
        for testCase in vectors.cases {
            let input = Self.vectorInput(testCase.input_len)
            #expect(BLAKE3.hash(input) == Array(Self.bytes(hex: testCase.hash)[..<32]))
            #expect(BLAKE3.hash(input, threads: 2) == Array(Self.bytes(hex: testCase.hash)[..<32]))
            #expect(BLAKE3.keyedHash(key: key, input) == Array(Self.bytes(hex: testCase.keyed_hash)[..<32]))
            #expect(BLAKE3.deriveKey(context: vectors.context_string, material: input)
                    == Array(Self.bytes(hex: testCase.derive_key)[..<32]))
            input.withUnsafeBytes { raw in
                #expect(BLAKE3.hash(raw) == Array(Self.bytes(hex: testCase.hash)[..<32]))
                #expect(BLAKE3.keyedHash(key: key, raw) == Array(Self.bytes(hex: testCase.keyed_hash)[..<32]))
                #expect(BLAKE3.deriveKey(context: vectors.context_string, material: raw)
                        == Array(Self.bytes(hex: testCase.derive_key)[..<32]))
            }
        }
    }

    // MARK: - Random inputs against b3sum

    static let lengths = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3072, 4096, 8191, 8192, 16385,
                          31744, 102_400, (1 << 20) + 1, (4 << 20) + 1025, (9 << 20) - 77]
    static let key = Array("basin test key: 32 bytes exactly".utf8)
    static let context = "Basin BLAKE3Tests 2025-01-01 derive-key context ✓"

    /// `length` bytes from a generator seeded with `seed`.
    static func randomBytes(_ length: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: length)
        for index in stride(from: 0, to: length, by: 8) {
            let word = generator.next()
            for offset in 0..<min(8, length - index) {
                bytes[index + offset] = UInt8(truncatingIfNeeded: word >> (8 * offset))
            }
        }
        return bytes
    }

    /// Runs `b3sum --no-names ARGUMENTS FILE` (with `standardInput` on its stdin) and decodes
    /// the hex it prints.
    static func b3sum(_ arguments: [String], file: URL, standardInput: [UInt8] = []) throws -> [UInt8] {
        let directory = file.deletingLastPathComponent()
        let stdinFile = directory.appendingPathComponent("stdin-\(UUID().uuidString)")
        try Data(standardInput).write(to: stdinFile)
        defer { try? FileManager.default.removeItem(at: stdinFile) }
        let result = try TestProcess.run("/usr/bin/env", ["b3sum", "--no-names"] + arguments + [file.path], standardInput: stdinFile.path)
        try #require(result.status == 0, "b3sum \(arguments) failed; is b3sum installed (scripts/setup.sh)?")
        return bytes(hex: String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("BLAKE3Tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Feeds `input` to `hasher` in pieces whose sizes come from a seeded generator.
    static func updateInRandomPieces(_ hasher: inout BLAKE3Hasher, _ input: [UInt8], seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var offset = 0
        while offset < input.count {
            let sizes = [1, 63, 64, 65, 1000, 1024, 4097, 65536, 300_000]
            let take = min(sizes[Int(generator.next() % UInt64(sizes.count))], input.count - offset)
            input[offset..<offset + take].withUnsafeBytes { hasher.update($0) }
            offset += take
        }
    }

    @Test(arguments: lengths)
    func matchesB3sum(length: Int) throws {
        let input = Self.randomBytes(length, seed: UInt64(length) &+ 0x5EED)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("input")
        try Data(input).write(to: file)

        let expected: [(mode: String, start: BLAKE3Hasher, bytes: [UInt8])] = [
            ("hash", BLAKE3Hasher(), try Self.b3sum(["--length", "200"], file: file)),
            ("keyed", BLAKE3Hasher(key: Self.key), try Self.b3sum(["--keyed", "--length", "64"], file: file, standardInput: Self.key)),
            ("derive-key", BLAKE3Hasher(deriveKeyContext: Self.context),
             try Self.b3sum(["--derive-key", Self.context, "--length", "33"], file: file)),
        ]
        #expect(BLAKE3.hash(input) == Array(expected[0].bytes[..<32]))
        #expect(BLAKE3.keyedHash(key: Self.key, input) == Array(expected[1].bytes[..<32]))
        #expect(BLAKE3.deriveKey(context: Self.context, material: input) == Array(expected[2].bytes[..<32]))
        for kernel in BLAKE3Kernel.supported {
            for (mode, start, bytes) in expected {
                var whole = start.using(kernel)
                whole.update(input)
                #expect(whole.finalize(length: bytes.count) == bytes, "\(mode), \(kernel), one update")
                var pieces = start.using(kernel)
                Self.updateInRandomPieces(&pieces, input, seed: UInt64(length))
                #expect(pieces.finalize(length: bytes.count) == bytes, "\(mode), \(kernel), random pieces")
                var threaded = start.using(kernel)
                input.withUnsafeBytes { threaded.update($0, threads: 3) }
                #expect(threaded.finalize(length: bytes.count) == bytes, "\(mode), \(kernel), 3 threads")
            }
        }
    }

    // MARK: - Properties

    @Test(arguments: [0, 1, 1024, 1025, 262_144, (1 << 20) + 1, (2 << 20) + 3 * 1024 + 5])
    func multiThreadedEqualsSingleThreaded(length: Int) {
        let input = Self.randomBytes(length, seed: 7 &* UInt64(length))
        let single = BLAKE3.hash(input)
        for threads in [-1, 0, 2, 3, 4, 8] {
            #expect(BLAKE3.hash(input, threads: threads) == single, "\(threads) threads")
        }
        // Threads after a partial chunk, and on subtrees that do not start at chunk 0.
        var hasher = BLAKE3Hasher()
        hasher.update(Array(input.prefix(1500)))
        input.dropFirst(1500).withUnsafeBytes { hasher.update($0, threads: 4) }
        #expect(hasher.finalize() == single)
    }

    @Test(arguments: [0, 5, 1024, 5000, 70_000])
    func extendedOutputSeekIsASliceOfLongerOutput(length: Int) {
        var hasher = BLAKE3Hasher(deriveKeyContext: Self.context)
        hasher.update(Self.randomBytes(length, seed: 99))
        let full = hasher.finalize(length: 1500)
        #expect(Array(full[..<32]) == hasher.finalize())
        for (seek, count) in [(0, 1500), (1, 63), (63, 2), (64, 64), (65, 700), (640, 1), (1000, 500), (1499, 1)] {
            #expect(hasher.finalize(length: count, seek: UInt64(seek)) == Array(full[seek..<seek + count]),
                    "seek \(seek), \(count) bytes")
            var buffer = [UInt8](repeating: 0xAA, count: count)
            buffer.withUnsafeMutableBytes { hasher.finalize(into: $0, seek: UInt64(seek)) }
            #expect(buffer == Array(full[seek..<seek + count]), "into a buffer: seek \(seek), \(count) bytes")
        }
        // Output block counters past 2^32 (the counter's high word).
        let far: UInt64 = (1 << 38) + 17
        let tail = hasher.finalize(length: 100, seek: far)
        #expect(hasher.finalize(length: 30, seek: far + 70) == Array(tail[70...]))
        #expect(tail != Array(full[..<100]))
    }

    @Test func hasherIsAValueType() {
        var original = BLAKE3Hasher()
        original.update(Array("abc".utf8))
        var fork = original
        fork.update(Array("def".utf8))
        #expect(original.finalize() == BLAKE3.hash(Array("abc".utf8)))
        #expect(fork.finalize() == BLAKE3.hash(Array("abcdef".utf8)))
    }

    @Test func selectedKernelIsTheBestSupportedOne() {
        #expect(BLAKE3Kernel.supported.first == .portable)
        #expect(BLAKE3Kernel.selected == BLAKE3Kernel.supported.last)
        #expect(BLAKE3Hasher().kernel == BLAKE3Kernel.selected)
    }
}
