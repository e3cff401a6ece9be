/// Where one grain lives: the stratum holding it, its frame's place and kind there, and the
/// length of its plaintext.
///
/// Index segments store entries in 52 bytes each (docs/FORMAT.md, "Index segments"): the key,
/// the stratum id, the frame offset, the frame length and kind packed into one u32 (length in
/// the low 28 bits, kind in the high 4), and the plain length. An entry is a hint, not a
/// proof: whoever reads the grain checks its key and AEAD tag. A key several strata hold has
/// an entry for each copy.
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
    /// Bytes of the grain's plaintext.
    public var plainLength: UInt32

    /// Makes an entry; the segment encoder rejects a `length` or `kind` that does not fit its field.
    /// - Parameters:
    ///   - key: The grain's key.
    ///   - stratum: The id of the stratum holding the grain.
    ///   - offset: Offset of the grain's frame in the stratum.
    ///   - length: Length of the grain's frame (at most ``maxLength``).
    ///   - kind: The grain's kind (at most ``maxKind``).
    ///   - plainLength: Bytes of the grain's plaintext.
    public init(key: Key, stratum: UInt64, offset: UInt32, length: UInt32, kind: UInt8, plainLength: UInt32) {
        self.key = key
        self.stratum = stratum
        self.offset = offset
        self.length = length
        self.kind = kind
        self.plainLength = plainLength
    }

    /// The order of entries in a segment: by key, then stratum, then offset.
    public static func precedes(_ a: IndexEntry, _ b: IndexEntry) -> Bool {
        if a.key != b.key { return a.key < b.key }
        return a.stratum != b.stratum ? a.stratum < b.stratum : a.offset < b.offset
    }

    /// Whether two entries name the same copy: same key, stratum and offset.
    public func isSameCopy(as other: IndexEntry) -> Bool {
        key == other.key && stratum == other.stratum && offset == other.offset
    }
}
