import Foundation
import Testing
@testable import BasinCore

/// The official vectors (../shared/testdata/blake3/test_vectors.json, found by walking up
/// from this file) and `b3sum` on random inputs, for every kernel this machine runs.
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

    static let vectors: Vectors = {
        let relative = "shared/testdata/blake3/test_vectors.json"
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(relative)
            if let data = try? Data(contentsOf: candidate) {
                do {
                    return try JSONDecoder().decode(Vectors.self, from: data)
                } catch {
                    fatalError("cannot decode \(candidate.path): \(error)")
                }
            }
            directory.deleteLastPathComponent()
        }
        fatalError("no \(relative) in any directory above \(#filePath)")
    }()

    /// The vectors' input: bytes 0, 1, ..., 250, 0, 1, ...
    static func vectorInput(_ length: Int) -> [UInt8] {
        (0..<length).map { UInt8($0 % 251) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> [UInt8] {
        let utf8 = Array(hex.utf8)
        return stride(from: 0, to: utf8.count, by: 2).map { UInt8(String(decoding: utf8[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }

    /// The three modes' hashers, on `kernel`.
    static func hashers(_ kernel: BLAKE3Kernel) -> [(mode: String, hasher: BLAKE3Hasher)] {
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

    @Test func vectorsFileIsComplete() {
        let lengths = Self.vectors.cases.map(\.input_len)
        #expect(lengths.count >= 22 && lengths.first == 0 && lengths.last == 102_400)
        #expect(Self.vectors.cases.allSatisfy { $0.hash.count == 262 && $0.keyed_hash.count == 262 && $0.derive_key.count == 262 })
    }

    @Test(arguments: BLAKE3Kernel.supported)
    func officialVectorsInOneUpdate(kernel: BLAKE3Kernel) {
        for testCase in Self.vectors.cases {
            let input = Self.vectorInput(testCase.input_len)
            for (mode, start) in Self.hashers(kernel) {
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
    func officialVectorsInOddSplits(kernel: BLAKE3Kernel, splits: [Int]) {
        for testCase in Self.vectors.cases {
            let input = Self.vectorInput(testCase.input_len)
            for (mode, start) in Self.hashers(kernel) {
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

    @Test func oneShotFunctionsMatchVectors() {
        let key = Array(Self.vectors.key.utf8)
        for testCase in Self.vectors.cases {
            let input = Self.vectorInput(testCase.input_len)
            #expect(BLAKE3.hash(input) == Array(Self.bytes(hex: testCase.hash)[..<32]))
            #expect(BLAKE3.hash(input, threads: 2) == Array(Self.bytes(hex: testCase.hash)[..<32]))
            #expect(BLAKE3.keyedHash(key: key, input) == Array(Self.bytes(hex: testCase.keyed_hash)[..<32]))
            #expect(BLAKE3.deriveKey(context: Self.vectors.context_string, material: input)
                    == Array(Self.bytes(hex: testCase.derive_key)[..<32]))
            input.withUnsafeBytes { raw in
                #expect(BLAKE3.hash(raw) == Array(Self.bytes(hex: testCase.hash)[..<32]))
                #expect(BLAKE3.keyedHash(key: key, raw) == Array(Self.bytes(hex: testCase.keyed_hash)[..<32]))
                #expect(BLAKE3.deriveKey(context: Self.vectors.context_string, material: raw)
                        == Array(Self.bytes(hex: testCase.derive_key)[..<32]))
            }
        }
    }
}
