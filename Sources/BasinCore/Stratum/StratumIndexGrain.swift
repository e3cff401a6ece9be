/// Where one grain lies in its stratum: an entry of the stratum's index grain
/// (docs/FORMAT.md, "Index grain").
public struct StratumEntry: Equatable, Sendable {
    public static let encodedSize = 46

    public var key: Key
    public var kind: GrainKind
    public var flags: UInt8
    /// Offset of the grain's frame from the start of the stratum.
    public var offset: UInt32
    /// Length of the whole frame.
    public var length: UInt32
    public var plainLength: UInt32

    public init(key: Key, kind: GrainKind, flags: UInt8, offset: UInt32, length: UInt32, plainLength: UInt32) {
        self.key = key
        self.kind = kind
        self.flags = flags
        self.offset = offset
        self.length = length
        self.plainLength = plainLength
    }

    /// One past the frame's last byte, computed without overflow (offset and length are both 32-bit).
    public var frameEnd: UInt64 { UInt64(offset) + UInt64(length) }
}

/// The plaintext of a stratum's index grain: a u32 count, then 46-byte entries in frame order.
public enum StratumIndexGrain {
    public static func encode(_ entries: [StratumEntry]) -> [UInt8] {
        var writer = ByteWriter(capacity: 4 + entries.count * StratumEntry.encodedSize)
        writer.write(UInt32(entries.count))
        for entry in entries {
            writer.write(bytes: entry.key.bytes)
            writer.write(entry.kind.rawValue)
            writer.write(entry.flags)
            writer.write(entry.offset)
            writer.write(entry.length)
            writer.write(entry.plainLength)
        }
        return writer.bytes
    }

    /// - Parameter limit: entries must lie before this offset (the index grain's own offset).
    public static func decode(_ plain: [UInt8], limit: UInt64) throws(CodecError) -> [StratumEntry] {
        var reader = ByteReader(plain)
        let count = Int(try reader.readUInt32())
        guard count * StratumEntry.encodedSize == reader.remaining else {
            throw .lengthOverflow(offset: 0, value: UInt64(count))
        }
        var entries: [StratumEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let at = reader.absolutePosition
            let key = Key(bytes: try reader.readBytes(32))!
            guard let kind = GrainKind(rawValue: try reader.readUInt8()), kind != .index else {
                throw .invalidValue(offset: at + 32, field: "grain kind")
            }
            let flags = try reader.readUInt8()
            let offset = try reader.readUInt32()
            let length = try reader.readUInt32()
            let plainLength = try reader.readUInt32()
            guard offset >= UInt32(StratumHeader.size), length >= UInt32(GrainFrameHeader.size),
                  UInt64(offset) + UInt64(length) <= limit
            else { throw .lengthOverflow(offset: at + 34, value: UInt64(offset)) }
            entries.append(StratumEntry(key: key, kind: kind, flags: flags, offset: offset, length: length, plainLength: plainLength))
        }
        return entries
    }
}
