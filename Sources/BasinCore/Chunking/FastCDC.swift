/// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016; IEEE TPDS 2020).
///
/// A cut point is where a gear hash of the bytes since the chunk's start has its mask bits all
/// zero. The rules, which FORMAT.md restates and `scripts/fastcdc_reference.py` implements
/// independently:
/// - `GEAR[b]` for a byte value b is the b-th output of SplitMix64 seeded with
///   `0x626173696E2D6364` (see `FastCDC+Gear.swift`).
/// - With `bits = log2(averageSize)`, `MaskS` has `bits + 2` one-bits and `MaskL` has
///   `bits - 2` (normalization level 2). Each takes the top bits at every other position,
///   `mask(k) = Σ 1 << (63 - 2j) for j in 0..<k`: the zero padding between one-bits is the
///   paper's, and high bits depend on the last 64 bytes, so the hash window is the widest.
/// - The first `minSize` bytes are skipped (cut-point skipping). From byte index `i = minSize`
///   on, `h = (h << 1) &+ GEAR[byte[i]]` starting from `h = 0`; the chunk ends after byte `i`
///   (length `i + 1`) at the first `i` where `h & mask == 0`, with `mask = MaskS` while
///   `i < averageSize` and `MaskL` after. With no such `i` the chunk is `maxSize` long.
///
/// A cut depends only on the bytes from the chunk's start to the cut, so an edit changes only
/// the chunks around it: cutting re-synchronises at the first shared cut point after the edit.
public struct FastCDC: Sendable, Hashable {
    /// The sizes this chunker cuts with.
    public let parameters: FastCDCParameters
    /// The stricter mask used before `averageSize`; it makes short chunks rarer.
    let maskS: UInt64
    /// The looser mask used from `averageSize` on; it makes long chunks rarer.
    let maskL: UInt64

    /// Makes a chunker.
    /// - Parameter parameters: The chunk sizes; Basin's defaults unless the basin says otherwise.
    public init(parameters: FastCDCParameters = .default) {
        self.parameters = parameters
        let bits = parameters.averageSize.trailingZeroBitCount
        maskS = Self.mask(oneBits: bits + 2)
        maskL = Self.mask(oneBits: bits - 2)
    }

    /// A mask of `oneBits` bits: bit 63, 61, 59, … (at most 32 of them).
    static func mask(oneBits: Int) -> UInt64 {
        precondition((1...32).contains(oneBits), "FastCDCParameters keeps masks within 32 bits")
        var mask: UInt64 = 0
        for index in 0..<oneBits { mask |= 1 << UInt64(63 - 2 * index) }
        return mask
    }

    /// The length of the chunk that starts at the front of `bytes`.
    ///
    /// The result is final only if `bytes` holds the rest of the stream or at least `maxSize`
    /// bytes; otherwise a cut may lie beyond the bytes given (``ChunkStream`` handles that).
    /// - Parameter bytes: The bytes from the chunk's start.
    /// - Returns: The chunk's length: `bytes.count` if it is at most `minSize`, else a length in
    ///   `minSize + 1 ... min(bytes.count, maxSize)`.
    /// - Complexity: O(length of the chunk returned).
    public func cut(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count > parameters.minSize else { return bytes.count }
        let limit = min(bytes.count, parameters.maxSize)
        var state = ScanState(parameters)
        return scan(bytes, limit: limit, state: &state) ?? limit
    }

    /// The length of the chunk that starts at the front of `bytes`; see the `UnsafeRawBufferPointer` overload.
    /// - Parameter bytes: The bytes from the chunk's start.
    /// - Returns: The chunk's length.
    public func cut(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { cut($0) }
    }

    /// The lengths of all the chunks `bytes` is cut into, as if it were a whole stream.
    /// - Parameter bytes: A whole stream.
    /// - Returns: Chunk lengths in order; they sum to `bytes.count` (empty for empty input).
    /// - Complexity: O(n).
    public func chunkLengths(_ bytes: UnsafeRawBufferPointer) -> [Int] {
        var lengths: [Int] = []
        var offset = 0
        while offset < bytes.count {
            let length = cut(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            lengths.append(length)
            offset += length
        }
        return lengths
    }

    /// The lengths of all the chunks `bytes` is cut into; see the `UnsafeRawBufferPointer` overload.
    /// - Parameter bytes: A whole stream.
    /// - Returns: Chunk lengths in order; they sum to `bytes.count`.
    public func chunkLengths(_ bytes: [UInt8]) -> [Int] {
        bytes.withUnsafeBytes { chunkLengths($0) }
    }
}

extension FastCDC {
    /// Where a scan for a cut point stopped, so more bytes can resume it without rehashing.
    struct ScanState: Sendable {
        /// Index (from the chunk's start) of the next byte to hash.
        var position: Int
        /// The gear hash of the bytes from `minSize` to `position`.
        var hash: UInt64

        init(_ parameters: FastCDCParameters) {
            position = parameters.minSize
            hash = 0
        }
    }
}
