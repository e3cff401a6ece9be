/// Helpers shared by the BasinCore primitive tests (namespaced to stay clear of other suites).
enum CoreTestSupport {
    /// SplitMix64 (Steele, Lea, Flood 2014; Vigna's reference `splitmix64.c`): a tiny seeded
    /// PRNG, so every "random" test input is reproducible from the seed it prints.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// `count` bytes: successive outputs, each written little-endian (the layout
        /// `scripts/fastcdc_reference.py` uses for its golden input).
        mutating func bytes(_ count: Int) -> [UInt8] {
            // Words first, then one reinterpretation: far faster than appending bytes in debug builds.
            var words = [UInt64](repeating: 0, count: (count + 7) / 8)
            for index in words.indices { words[index] = next().littleEndian }
            return words.withUnsafeBytes { Array($0.prefix(count)) }
        }
    }

    /// Bytes from hex digits (whitespace ignored); traps on malformed literals, which are ours.
    static func bytes(hex: String) -> [UInt8] {
        let digits = hex.filter { !$0.isWhitespace }.map { UInt8(String($0), radix: 16)! }
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// Text-like bytes: words from a small vocabulary, so zstd has something to find.
    static func textLike(_ count: Int, seed: UInt64) -> [UInt8] {
        let words = ["basin", "stratum", "grain", "clast", "lane", "key", "index", "seal", "open", "the", "of", "and",
                     "chunk", "snapshot", "tree", "prune", "a", "to", "backup", "restore"].map { Array($0.utf8) }
        var rng = SplitMix64(seed: seed)
        var out = [UInt8]()
        out.reserveCapacity(count + 16)
        while out.count < count {
            out.append(contentsOf: words[Int(rng.next() % UInt64(words.count))])
            out.append(rng.next() % 9 == 0 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
        }
        out.removeLast(out.count - count)
        return out
    }
}
