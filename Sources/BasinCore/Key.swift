/// A grain's key: the 32-byte (keyed) BLAKE3 of its plaintext content.
///
/// Stored as four big-endian words so that comparing keys compares their bytes in order
/// (index segments are sorted that way) and hashing them is cheap.
public struct Key: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    /// Words in byte order: word 0 holds bytes 0...7, most significant first.
    public let w0, w1, w2, w3: UInt64

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// - Returns: nil unless `bytes` holds exactly 32 bytes.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == Key.byteCount else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            words[index >> 3] = words[index >> 3] << 8 | UInt64(byte)
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// Parses 64 hex digits (either case). - Returns: nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    /// The first 8 bytes as a number: keys are uniform, so this places a key within a sorted run.
    public var prefix64: UInt64 { w0 }

    public static func < (lhs: Key, rhs: Key) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}
