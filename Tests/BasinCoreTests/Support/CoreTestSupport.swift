import BasinTestSupport
/// Helpers shared by the BasinCore primitive tests (namespaced to stay clear of other suites).
enum CoreTestSupport {
    /// The shared seeded generator (BasinTestSupport).
    typealias SplitMix64 = BasinTestSupport.SplitMix64

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
