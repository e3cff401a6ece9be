/// The fixed part of a grain frame (docs/FORMAT.md, "Grain frame").
///
/// ```
/// 0  u32 xxh32 of bytes 4..<length     4  u32 length of the whole frame
/// 8  u8  kind    9  u8 flags           10 key (32 bytes)
/// 42 u32 plain length                   46 payload (length - 46 bytes)
/// ```
public struct GrainFrameHeader: Equatable, Sendable {
    public static let size = 46
    /// Frame lengths are stored in 28 bits in index segments.
    public static let maxFrameLength = (1 << 28) - 1
    /// Flag bit 0: the payload was compressed with zstd before sealing.
    public static let compressedFlag: UInt8 = 1

    public var length: UInt32
    public var kind: GrainKind
    public var flags: UInt8
    public var key: Key
    public var plainLength: UInt32

    public init(length: UInt32, kind: GrainKind, flags: UInt8, key: Key, plainLength: UInt32) {
        self.length = length
        self.kind = kind
        self.flags = flags
        self.key = key
        self.plainLength = plainLength
    }

    public var isCompressed: Bool { flags & Self.compressedFlag != 0 }

    /// Bytes 4..<46 of the frame (everything but the checksum).
    func encodedAfterChecksum() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.write(length)
        writer.write(kind.rawValue)
        writer.write(flags)
        writer.write(bytes: key.bytes)
        writer.write(plainLength)
        return writer.bytes
    }

    /// Associated data of the grain's AEAD seal: binds the payload to its stratum, key, kind,
    /// flags and plain length, so a grain can be neither altered nor moved unnoticed.
    public static func associatedData(stratumID: UInt64, kind: GrainKind, flags: UInt8, key: Key, plainLength: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: 46)
        writer.write(stratumID)
        writer.write(kind.rawValue)
        writer.write(flags)
        writer.write(bytes: key.bytes)
        writer.write(plainLength)
        return writer.bytes
    }

    /// Parses a frame's fixed part and checks its xxh32 over the whole frame.
    ///
    /// - Parameters:
    ///   - frame: the whole frame (header and payload), exactly `length` bytes.
    ///   - offset: where the frame starts in its stratum, for error offsets.
    /// - Throws: `CodecError` when the frame is short, its length field disagrees with the
    ///   bytes given, its checksum fails, or its kind or flags are unknown.
    public static func decode(frame: [UInt8], offset: Int) throws(CodecError) -> GrainFrameHeader {
        try decode(frame: frame[...], offset: offset)
    }

    /// ``decode(frame:offset:)`` of a frame inside a larger buffer (a range read of many frames),
    /// without copying it out.
    public static func decode(frame: ArraySlice<UInt8>, offset: Int) throws(CodecError) -> GrainFrameHeader {
        var reader = ByteReader(Array(frame.prefix(size)), baseOffset: offset)
        let checksum = try reader.readUInt32()
        let length = try reader.readUInt32()
        guard length >= size, Int(length) == frame.count else {
            throw .lengthOverflow(offset: offset + 4, value: UInt64(length))
        }
        let actual = XXH32.hash(frame.dropFirst(4))
        guard checksum == actual else { throw .checksumMismatch(offset: offset) }
        let kindByte = try reader.readUInt8()
        guard let kind = GrainKind(rawValue: kindByte) else { throw .invalidValue(offset: offset + 8, field: "grain kind") }
        let flags = try reader.readUInt8()
        guard flags & ~compressedFlag == 0 else { throw .invalidValue(offset: offset + 9, field: "grain flags") }
        let key = Key(bytes: try reader.readBytes(32))!
        let plainLength = try reader.readUInt32()
        // No writer makes a plaintext longer than a frame; refusing larger claims keeps a
        // damaged or hostile header from having a reader allocate gigabytes to decompress into.
        guard plainLength <= maxFrameLength else { throw .lengthOverflow(offset: offset + 42, value: UInt64(plainLength)) }
        return GrainFrameHeader(length: length, kind: kind, flags: flags, key: key, plainLength: plainLength)
    }

    /// Reads only the checksum and length of a frame starting at `bytes[0]`, for scanning.
    public static func peekLength(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= 8 else { return nil }
        let base = bytes.startIndex + 4
        let length = UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16 | UInt32(bytes[base + 3]) << 24
        return Int(length)
    }
}
