/// The chunk being filled by a ``BLAKE3Hasher``: up to 1024 bytes, compressed a block at a
/// time, always keeping the last block back (it may need the ROOT flag).
struct BLAKE3ChunkState: Sendable {
    private(set) var chainingValue: SIMD8<UInt32>
    let chunkCounter: UInt64
    let flags: UInt32
    /// Pending bytes of the current block (zero beyond `blockLength`).
    private var block = SIMD64<UInt8>()
    private var blockLength = 0
    private var blocksCompressed = 0

    init(key: SIMD8<UInt32>, chunkCounter: UInt64, flags: UInt32) {
        self.chainingValue = key
        self.chunkCounter = chunkCounter
        self.flags = flags
    }

    /// Bytes absorbed so far, 0...1024.
    var count: Int { blocksCompressed * BLAKE3.blockByteCount + blockLength }

    private var startFlag: UInt32 { blocksCompressed == 0 ? BLAKE3.chunkStart : 0 }

    /// Absorbs `bytes`.
    /// - Parameters:
    ///   - bytes: at most `1024 - count` bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= BLAKE3.chunkByteCount - count, "chunk overflow")
        var offset = 0
        while offset < bytes.count {
            if blockLength == BLAKE3.blockByteCount {
                compressPendingBlock()
            }
            let take = min(BLAKE3.blockByteCount - blockLength, bytes.count - offset)
            withUnsafeMutableBytes(of: &block) { pending in
                // SAFETY: blockLength + take <= 64 == pending.count, offset + take <= bytes.count,
                // and take > 0 so bytes.baseAddress is not nil.
                (pending.baseAddress! + blockLength).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            }
            blockLength += take
            offset += take
        }
    }

    private mutating func compressPendingBlock() {
        let words = unsafeBitCast(block, to: SIMD16<UInt32>.self)
        chainingValue = BLAKE3Compression.compress(
            chainingValue: chainingValue, block: Self.littleEndian(words), counter: chunkCounter,
            blockLength: UInt32(BLAKE3.blockByteCount), flags: flags | startFlag
        ).lowHalf
        blocksCompressed += 1
        block = SIMD64()
        blockLength = 0
    }

    /// The chunk's last compression, left for the caller to finish as a child or as the root.
    func output() -> BLAKE3Output {
        let words = unsafeBitCast(block, to: SIMD16<UInt32>.self)
        return BLAKE3Output(chainingValueIn: chainingValue, block: Self.littleEndian(words),
                            counter: chunkCounter, blockLength: UInt32(blockLength),
                            flags: flags | startFlag | BLAKE3.chunkEnd)
    }

    private static func littleEndian(_ words: SIMD16<UInt32>) -> SIMD16<UInt32> {
        #if _endian(big)
        var words = words
        for index in words.indices { words[index] = words[index].byteSwapped }
        return words
        #else
        return words
        #endif
    }
}
