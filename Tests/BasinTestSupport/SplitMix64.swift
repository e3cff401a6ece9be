/// SplitMix64 (Steele, Lea, Flood 2014; Vigna's reference `splitmix64.c`): a tiny seeded
/// generator, so every "random" test input is reproducible from the seed a test prints.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes: successive outputs, each written little-endian.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        // Words first, then one reinterpretation: far faster than appending bytes in debug builds.
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices { words[index] = next().littleEndian }
        return words.withUnsafeBytes { Array($0.prefix(count)) }
    }

    /// `count` bytes from a fresh generator seeded with `seed`.
    public static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return generator.bytes(count)
    }
}
