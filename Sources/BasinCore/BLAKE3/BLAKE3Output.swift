/// The last compression of a node, kept uncompressed: as a child it gives a chaining value,
/// as the root it gives any number of output bytes (each 64-byte block one compression with
/// the ROOT flag and the block's index as counter).
struct BLAKE3Output: Sendable {
    var chainingValueIn: SIMD8<UInt32>
    var block: SIMD16<UInt32>
    var counter: UInt64
    var blockLength: UInt32
    var flags: UInt32

    /// The parent node of two children's chaining values.
    init(parentOf left: SIMD8<UInt32>, _ right: SIMD8<UInt32>, key: SIMD8<UInt32>, flags: UInt32) {
        self.init(chainingValueIn: key, block: SIMD16(lowHalf: left, highHalf: right), counter: 0,
                  blockLength: UInt32(BLAKE3.blockByteCount), flags: flags | BLAKE3.parent)
    }

    init(chainingValueIn: SIMD8<UInt32>, block: SIMD16<UInt32>, counter: UInt64, blockLength: UInt32, flags: UInt32) {
        self.chainingValueIn = chainingValueIn
        self.block = block
        self.counter = counter
        self.blockLength = blockLength
        self.flags = flags
    }

    /// The node's chaining value as a child (no ROOT flag).
    var chainingValue: SIMD8<UInt32> {
        BLAKE3Compression.compress(chainingValue: chainingValueIn, block: block, counter: counter,
                                   blockLength: blockLength, flags: flags).lowHalf
    }

    /// Output words of root block `index` (bytes `64 * index ..< 64 * index + 64` of the output).
    func rootBlock(_ index: UInt64) -> SIMD16<UInt32> {
        BLAKE3Compression.compress(chainingValue: chainingValueIn, block: block, counter: index,
                                   blockLength: blockLength, flags: flags | BLAKE3.root)
    }

    /// Writes root output bytes `seek ..< seek + output.count` into `output`.
    func writeRoot(into output: UnsafeMutableRawBufferPointer, seek: UInt64) {
        var blockIndex = seek / UInt64(BLAKE3.blockByteCount)
        var skip = Int(seek % UInt64(BLAKE3.blockByteCount))
        var written = 0
        while written < output.count {
            let bytes = BLAKE3Words.littleEndianBytes(rootBlock(blockIndex))
            let take = min(BLAKE3.blockByteCount - skip, output.count - written)
            for index in 0..<take {
                output[written + index] = bytes[skip + index]
            }
            written += take
            skip = 0
            blockIndex &+= 1
        }
    }
}
