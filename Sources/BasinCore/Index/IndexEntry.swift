/// Where one grain lives: the stratum holding it, and its frame's place and kind there.
///
/// Index segments store entries in 48 bytes each (docs/FORMAT.md, "Index segment"): the key,
/// the stratum id, the frame offset, and the frame length and kind packed into one u32 (length
/// in the low 28 bits, kind in the high 4). An entry is a hint, not a proof: whoever reads the
/// grain checks its key and AEAD tag.
public struct IndexEntry: Hashable, Sendable {
    /// The largest frame length an entry can hold (28 bits).
    public static let maxLength: UInt32 = (1 << 28) - 1
    /// The largest grain kind an entry can hold (4 bits).
    public static let maxKind: UInt8 = 15

    /// The grain's key.
    public var key: Key
    /// The id of the stratum holding the grain.
    public var stratum: UInt64
    /// Offset of the grain's frame from the start of the stratum.
    public var offset: UInt32
    /// Length of the grain's frame, at most ``maxLength``.
    public var length: UInt32
    /// The grain's kind, at most ``maxKind``.
    public var kind: UInt8

    /// Makes an entry; the segment encoder rejects a `length` or `kind` that does not fit its field.
    /// - Parameters:
    ///   - key: The grain's key.
    ///   - stratum: The id of the stratum holding the grain.
    ///   - offset: Offset of the grain's frame in the stratum.
    ///   - length: Length of the grain's frame (at most ``maxLength``).
    ///   - kind: The grain's kind (at most ``maxKind``).
    public init(key: Key, stratum: UInt64, offset: UInt32, length: UInt32, kind: UInt8) {
        self.key = key
        self.stratum = stratum
        self.offset = offset
        self.length = length
        self.kind = kind
    }

    /// One past the frame's last byte, computed without overflow (offset and length are both 32-bit).
    public var frameEnd: UInt64 { UInt64(offset) + UInt64(length) }
}
