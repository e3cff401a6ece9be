/// Where the regions of one index segment lie, from its validated header.
///
/// A segment (docs/FORMAT.md, "Index segments") is a 64-byte header, `entryCount` entries of 52
/// bytes sorted by key, `strataCount` covered-stratum records of 32 bytes, and an 8-byte
/// trailer (xxh32 of entries and strata, then "BSIX"). All integers are little-endian.
public struct IndexSegmentLayout: Hashable, Sendable {
    /// Number of entries.
    public let entryCount: Int
    /// Number of covered-stratum records.
    public let strataCount: Int

    /// Byte range of the entries.
    public var entriesRange: Range<Int> {
        IndexSegmentCodec.headerSize..<IndexSegmentCodec.headerSize + entryCount * IndexSegmentCodec.entryWidth
    }
    /// Byte range of the covered-stratum records.
    public var strataRange: Range<Int> {
        entriesRange.upperBound..<entriesRange.upperBound + strataCount * IndexedStratum.encodedSize
    }
    /// Byte range the trailer checksum covers: entries and strata together.
    public var checksummedRange: Range<Int> { entriesRange.lowerBound..<strataRange.upperBound }
    /// Offset of the trailer.
    public var trailerOffset: Int { strataRange.upperBound }
    /// The size the segment must have.
    public var totalSize: Int { trailerOffset + IndexSegmentCodec.trailerSize }

    /// Validates a segment's header and trailer magic against its size; does not read the
    /// entries or check the trailer checksum (see ``IndexSegmentCodec/verify(_:layout:)``).
    /// - Parameters:
    ///   - header: The segment's first 64 bytes (fewer if the segment is shorter).
    ///   - trailer: The segment's last 8 bytes (fewer if the segment is shorter).
    ///   - totalSize: The segment's size in bytes.
    /// - Throws: ``CodecError``: `.truncated` for a segment shorter than its header or its
    ///   counts, `.badMagic` (offset 0, or the trailer magic's offset), `.unsupportedVersion`
    ///   (offset 8), `.checksumMismatch` (offset 32, the header checksum), `.invalidValue` for
    ///   a wrong entry width or trailing bytes, `.lengthOverflow` for counts that cannot fit in
    ///   memory. Reserved bytes are ignored.
    public init(header: [UInt8], trailer: [UInt8], totalSize: Int) throws(CodecError) {
        typealias Codec = IndexSegmentCodec
        guard totalSize >= Codec.headerSize, header.count >= Codec.headerSize else {
            throw .truncated(offset: min(totalSize, header.count), needed: Codec.headerSize - min(totalSize, header.count))
        }
        var reader = ByteReader(Array(header.prefix(Codec.headerSize)))
        guard try reader.readBytes(8) == Codec.magic else { throw .badMagic(offset: 0) }
        let version = try reader.readUInt16()
        guard version == Codec.version else { throw .unsupportedVersion(offset: 8, version: Int(version)) }
        guard SegmentChecksum.of(Array(header[0..<32])) == Self.readUInt32(header, at: 32) else {
            throw .checksumMismatch(offset: 32)
        }
        guard try reader.readUInt16() == Codec.entryWidth else { throw .invalidValue(offset: 10, field: "entry width") }
        try reader.skip(4)  // reserved: written as zero, ignored on read (FORMAT.md, "Compatibility"), as are bytes 36..<64
        let entryCount = try reader.readUInt64()
        let strataCount = try reader.readUInt64()
        // Counts come from disk: bound them before any arithmetic so none can overflow.
        let limit = UInt64(Int.max / 64)
        guard entryCount <= limit / UInt64(Codec.entryWidth) else { throw .lengthOverflow(offset: 16, value: entryCount) }
        guard strataCount <= limit / UInt64(IndexedStratum.encodedSize) else { throw .lengthOverflow(offset: 24, value: strataCount) }
        self.entryCount = Int(entryCount)
        self.strataCount = Int(strataCount)

        if totalSize < self.totalSize {
            throw .truncated(offset: totalSize, needed: self.totalSize - totalSize)
        }
        guard totalSize == self.totalSize else { throw .invalidValue(offset: self.totalSize, field: "trailing bytes") }
        guard trailer.count == Codec.trailerSize, Array(trailer[4..<8]) == Codec.trailerMagic else {
            throw .badMagic(offset: totalSize - 4)
        }
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { value, index in value | UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
    }
}
