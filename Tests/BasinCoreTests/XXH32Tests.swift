import BasinCore
import Testing

@Suite struct XXH32Tests {
    /// xxHash's sanity buffer (`tests/sanity_test_vectors.h`): byte i is the top byte of
    /// PRIME32 · PRIME64^i (mod 2^64).
    static let sanityBuffer: [UInt8] = {
        var generator: UInt64 = 2_654_435_761
        return (0..<222).map { _ in
            defer { generator &*= 11_400_714_785_074_694_797 }
            return UInt8(generator >> 56)
        }
    }()

    static let prime32: UInt32 = 2_654_435_761

    /// (length, seed, expected) from xxHash's own sanity test.
    static let sanityVectors: [(Int, UInt32, UInt32)] = [
        (0, 0, 0x02CC_5D05), (0, prime32, 0x36B7_8AE7),
        (1, 0, 0xCF65_B03E), (1, prime32, 0xB454_5AA4),
        (14, 0, 0x1208_E7E2), (14, prime32, 0x6AF1_D1FE),
        (222, 0, 0x5BD1_1DBD), (222, prime32, 0x5880_3C5F),
    ]

    @Test func sanityVectorsOneShot() {
        for (length, seed, expected) in Self.sanityVectors {
            let input = Array(Self.sanityBuffer.prefix(length))
            #expect(XXH32.hash(input, seed: seed) == expected, "length \(length) seed \(seed)")
            input.withUnsafeBytes { #expect(XXH32.hash($0, seed: seed) == expected) }
        }
    }

    @Test func sanityVectorsStreaming() {
        for (length, seed, expected) in Self.sanityVectors {
            var hasher = XXH32Hasher(seed: seed)
            for byte in Self.sanityBuffer.prefix(length) { hasher.update([byte]) }
            #expect(hasher.digest() == expected, "length \(length) seed \(seed)")
        }
    }

    @Test func textVectors() {
        #expect(XXH32.hash(Array("abc".utf8)) == 0x32D1_53FF)
        // python-xxhash's README example.
        #expect(XXH32.hash(Array("Nobody inspects the spammish repetition".utf8)) == 0xE229_3B2F)
        var hasher = XXH32Hasher()
        hasher.update(Array("Nobody inspects".utf8))
        hasher.update(Array(" the spammish repetition".utf8))
        #expect(hasher.digest() == 0xE229_3B2F)
    }

    @Test func sliceHashesItsOwnBytes() {
        let buffer = Self.sanityBuffer
        let slice = buffer[7..<21]  // nonzero start index: the slice must not hash from the base
        #expect(XXH32.hash(slice) == XXH32.hash(Array(slice)))
        #expect(XXH32.hash(slice) != XXH32.hash(Array(buffer.prefix(14))))
    }

    @Test(arguments: [1, 2, 3, 4])
    func streamingMatchesOneShotForRandomSplits(seed: UInt64) {
        var rng = CoreTestSupport.SplitMix64(seed: seed)
        for length in [0, 1, 15, 16, 17, 31, 32, 33, 100, 1000, 65_537] {
            let input = rng.bytes(length)
            let hashSeed = UInt32(truncatingIfNeeded: rng.next())
            var hasher = XXH32Hasher(seed: hashSeed)
            var offset = 0
            while offset < length {
                let piece = Int(rng.next() % 40)
                let end = min(length, offset + piece)
                hasher.update(input[offset..<end])
                offset = end
            }
            #expect(hasher.digest() == XXH32.hash(input, seed: hashSeed), "seed \(seed) length \(length)")
        }
    }

    @Test func digestDoesNotEndTheStream() {
        let input = Self.sanityBuffer
        var hasher = XXH32Hasher()
        hasher.update(input[..<100])
        #expect(hasher.digest() == XXH32.hash(input[..<100]))
        hasher.update(input[100...])
        #expect(hasher.digest() == XXH32.hash(input))
    }
}
