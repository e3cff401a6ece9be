/// A grain whose content is hashed and compressed, ready to be sealed into a stratum.
///
/// Preparing is the expensive, parallelisable part of a put; sealing into a stratum
/// (encryption and framing) happens in order, in the lane's writer.
public struct PreparedGrain: Sendable {
    public let kind: GrainKind
    public let key: Key
    public let flags: UInt8
    public let plainLength: UInt32
    /// Compressed bytes when `flags` has the compressed bit, else the plaintext.
    public let payload: [UInt8]

    public init(kind: GrainKind, key: Key, flags: UInt8, plainLength: UInt32, payload: [UInt8]) {
        self.kind = kind
        self.key = key
        self.flags = flags
        self.plainLength = plainLength
        self.payload = payload
    }

    /// Compresses `plain` with zstd at `compressionLevel` (nil: don't), keeping the compressed
    /// form only when it is smaller, so incompressible data costs nothing to read back.
    public static func prepare(kind: GrainKind, key: Key, plain: [UInt8], compressionLevel: Int32?) throws -> PreparedGrain {
        guard plain.count <= GrainFrameHeader.maxFrameLength - GrainFrameHeader.size - 16 else {
            throw CodecError.lengthOverflow(offset: 0, value: UInt64(plain.count))
        }
        if let compressionLevel, plain.count >= 64 {
            let compressed = try Zstd.compress(plain, level: compressionLevel)
            if compressed.count < plain.count - plain.count / 64 {
                return PreparedGrain(kind: kind, key: key, flags: GrainFrameHeader.compressedFlag,
                                     plainLength: UInt32(plain.count), payload: compressed)
            }
        }
        return PreparedGrain(kind: kind, key: key, flags: 0, plainLength: UInt32(plain.count), payload: plain)
    }

    /// Undoes the compression of an opened payload and checks the length.
    public static func decompress(_ payload: [UInt8], flags: UInt8, plainLength: UInt32, offset: Int) throws(CodecError) -> [UInt8] {
        guard flags & GrainFrameHeader.compressedFlag != 0 else {
            guard payload.count == Int(plainLength) else { throw .lengthOverflow(offset: offset, value: UInt64(payload.count)) }
            return payload
        }
        let plain = try Zstd.decompress(payload, maxSize: Int(plainLength))
        guard plain.count == Int(plainLength) else { throw .lengthOverflow(offset: offset, value: UInt64(plain.count)) }
        return plain
    }
}
