/// The fixed-size end of every stratum (docs/FORMAT.md, "Stratum footer").
///
/// ```
/// 0  u64 offset of the index grain's frame     8  u32 length of that frame
/// 12 u32 number of grains before it            16 u64 stratum id
/// 24 u32 xxh32 of bytes 0..<24                 28 "BSNF"
/// ```
public struct StratumFooter: Equatable, Sendable {
    public static let size = 32
    public static let magic: [UInt8] = Array("BSNF".utf8)

    public var indexOffset: UInt64
    public var indexLength: UInt32
    public var grainCount: UInt32
    public var stratumID: UInt64

    public init(indexOffset: UInt64, indexLength: UInt32, grainCount: UInt32, stratumID: UInt64) {
        self.indexOffset = indexOffset
        self.indexLength = indexLength
        self.grainCount = grainCount
        self.stratumID = stratumID
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.write(indexOffset)
        writer.write(indexLength)
        writer.write(grainCount)
        writer.write(stratumID)
        writer.write(XXH32.hash(writer.bytes))
        writer.write(bytes: Self.magic)
        return writer.bytes
    }

    /// - Parameters:
    ///   - bytes: the last 32 bytes of a stratum.
    ///   - offset: where they start in the stratum, for error offsets.
    ///   - stratumSize: the stratum's total size: the index grain must lie before the footer.
    public static func decode(_ bytes: [UInt8], offset: Int, stratumSize: Int) throws(CodecError) -> StratumFooter {
        var reader = ByteReader(bytes, baseOffset: offset)
        let indexOffset = try reader.readUInt64()
        let indexLength = try reader.readUInt32()
        let grainCount = try reader.readUInt32()
        let stratumID = try reader.readUInt64()
        let checksum = try reader.readUInt32()
        guard try reader.readBytes(4) == magic else { throw .badMagic(offset: offset + 28) }
        guard checksum == XXH32.hash(Array(bytes[0..<24])) else { throw .checksumMismatch(offset: offset + 24) }
        // The index offset comes from the bytes: subtract it from the footer's offset rather
        // than add the length to it, which could overflow.
        guard offset >= 0, indexOffset >= UInt64(StratumHeader.size), indexOffset <= UInt64(offset),
              UInt64(offset) - indexOffset == UInt64(indexLength),
              offset + size == stratumSize
        else { throw .lengthOverflow(offset: offset, value: indexOffset) }
        return StratumFooter(indexOffset: indexOffset, indexLength: indexLength, grainCount: grainCount, stratumID: stratumID)
    }
}
