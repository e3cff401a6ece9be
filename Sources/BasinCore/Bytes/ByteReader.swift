/// Reads little-endian integers and byte runs from a buffer, front to back.
///
/// Reading past the end throws ``CodecError/truncated(offset:needed:)``; it never traps.
/// Offsets reported in errors are relative to the start of `bytes` plus `baseOffset`, so a
/// reader over a slice of a stratum can report positions in the stratum.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var position: Int
    public let end: Int
    /// Added to positions in errors.
    public let baseOffset: Int

    public init(_ bytes: [UInt8], baseOffset: Int = 0) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
        self.baseOffset = baseOffset
    }

    /// Bytes left to read.
    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }
    /// The current position as reported in errors.
    public var absolutePosition: Int { baseOffset + position }

    private func require(_ count: Int) throws(CodecError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(offset: baseOffset + position, needed: max(0, count - remaining))
        }
    }

    public mutating func readUInt8() throws(CodecError) -> UInt8 {
        try require(1)
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func readUInt16() throws(CodecError) -> UInt16 {
        UInt16(truncatingIfNeeded: try readLittleEndian(2))
    }

    public mutating func readUInt32() throws(CodecError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readLittleEndian(4))
    }

    public mutating func readUInt64() throws(CodecError) -> UInt64 {
        try readLittleEndian(8)
    }

    public mutating func readInt64() throws(CodecError) -> Int64 {
        Int64(bitPattern: try readLittleEndian(8))
    }

    /// Reads an unsigned LEB128 integer (at most 10 bytes).
    public mutating func readVarint() throws(CodecError) -> UInt64 {
        let start = absolutePosition
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8()
            if shift == 63 && byte > 1 { throw .lengthOverflow(offset: start, value: result) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .lengthOverflow(offset: start, value: result) }
        }
    }

    /// Reads a varint that must fit `limit` (inclusive), as a length or count.
    public mutating func readLength(limit: Int = Int(Int32.max)) throws(CodecError) -> Int {
        let start = absolutePosition
        let value = try readVarint()
        guard value <= UInt64(limit) else { throw .lengthOverflow(offset: start, value: value) }
        return Int(value)
    }

    public mutating func readBytes(_ count: Int) throws(CodecError) -> [UInt8] {
        try require(count)
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// Reads a varint length, then that many bytes.
    public mutating func readLengthPrefixed(limit: Int = Int(Int32.max)) throws(CodecError) -> [UInt8] {
        try readBytes(try readLength(limit: limit))
    }

    public mutating func skip(_ count: Int) throws(CodecError) {
        try require(count)
        position += count
    }

    /// Throws unless every byte has been consumed.
    public func expectEnd(field: String = "trailing bytes") throws(CodecError) {
        guard isAtEnd else { throw .invalidValue(offset: absolutePosition, field: field) }
    }

    private mutating func readLittleEndian(_ width: Int) throws(CodecError) -> UInt64 {
        try require(width)
        var value: UInt64 = 0
        for index in 0..<width {
            value |= UInt64(bytes[position + index]) << (8 * UInt64(index))
        }
        position += width
        return value
    }
}
