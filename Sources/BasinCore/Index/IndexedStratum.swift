/// What an index segment records about each stratum it covers (docs/FORMAT.md, "Index
/// segments"): enough to plan a prune, check the basin's structure and sum up `stats` from
/// the index lane alone, without reading the stratum (which may sit in cold storage).
///
/// Stored in 32 bytes: id u64, size u64, plain bytes u64, grain count u32, lane u8, flags u8
/// (bit 0: the grains were found by scanning, the footer or index grain being damaged), two
/// reserved zero bytes.
public struct IndexedStratum: Hashable, Sendable {
    /// Bytes per record in a segment.
    public static let encodedSize = 32
    /// Flag bit 0: indexed by scanning.
    static let scannedFlag: UInt8 = 1

    /// The stratum's id.
    public var id: UInt64
    /// Its lane (data or meta).
    public var lane: Lane
    /// Bytes of the stratum object as stored.
    public var size: Int
    /// Bytes of its grains' plaintext together.
    public var plainBytes: Int
    /// Its grains (the index grain excluded).
    public var grainCount: Int
    /// True when its footer or index grain was damaged and its grains were found by scanning.
    public var scanned: Bool

    /// - Parameters:
    ///   - id: The stratum's id.
    ///   - lane: Its lane.
    ///   - size: Bytes of the stratum object.
    ///   - plainBytes: Bytes of its grains' plaintext together.
    ///   - grainCount: Its grains, the index grain excluded.
    ///   - scanned: Whether its grains were found by scanning.
    public init(id: UInt64, lane: Lane, size: Int, plainBytes: Int, grainCount: Int, scanned: Bool = false) {
        self.id = id
        self.lane = lane
        self.size = size
        self.plainBytes = plainBytes
        self.grainCount = grainCount
        self.scanned = scanned
    }

    /// The record of a stratum holding `entries`.
    public init(id: UInt64, lane: Lane, size: Int, entries: [StratumEntry], scanned: Bool = false) {
        self.init(id: id, lane: lane, size: size, plainBytes: entries.reduce(0) { $0 + Int($1.plainLength) },
                  grainCount: entries.count, scanned: scanned)
    }

    func write(to writer: inout ByteWriter) {
        writer.write(id)
        writer.write(UInt64(size))
        writer.write(UInt64(plainBytes))
        writer.write(UInt32(truncatingIfNeeded: grainCount))
        writer.write(lane.rawValue)
        writer.write(scanned ? Self.scannedFlag : 0)
        writer.write(UInt16(0))
    }

    /// Decodes a record; `offset` is its place in the segment, for errors.
    static func read(from reader: inout ByteReader, offset: Int) throws(CodecError) -> IndexedStratum {
        let id = try reader.readUInt64()
        let size = try reader.readUInt64()
        let plainBytes = try reader.readUInt64()
        let grains = try reader.readUInt32()
        let laneValue = try reader.readUInt8()
        let flags = try reader.readUInt8()
        try reader.skip(2)
        guard let lane = Lane(rawValue: laneValue), lane != .index else { throw .invalidValue(offset: offset + 28, field: "lane") }
        // Sizes come from disk: bound them so they fit an Int on any platform we build for.
        let limit = UInt64(Int.max / 2)
        guard size <= limit else { throw .lengthOverflow(offset: offset + 8, value: size) }
        guard plainBytes <= limit else { throw .lengthOverflow(offset: offset + 16, value: plainBytes) }
        return IndexedStratum(id: id, lane: lane, size: Int(size), plainBytes: Int(plainBytes), grainCount: Int(grains),
                              scanned: flags & scannedFlag != 0)
    }
}
