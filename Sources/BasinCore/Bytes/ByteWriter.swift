/// Appends little-endian integers and byte runs to a growing buffer.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: UInt16) { writeLittleEndian(UInt64(value), width: 2) }
    public mutating func write(_ value: UInt32) { writeLittleEndian(UInt64(value), width: 4) }
    public mutating func write(_ value: UInt64) { writeLittleEndian(value, width: 8) }
    public mutating func write(_ value: Int64) { writeLittleEndian(UInt64(bitPattern: value), width: 8) }

    public mutating func write<Bytes: Sequence>(bytes other: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: other)
    }

    /// Writes an unsigned LEB128 integer.
    public mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Writes a varint length, then the bytes.
    public mutating func writeLengthPrefixed<Bytes: Collection>(_ other: Bytes) where Bytes.Element == UInt8 {
        writeVarint(UInt64(other.count))
        bytes.append(contentsOf: other)
    }

    /// Overwrites 4 bytes at `offset` with `value`, little-endian (for back-patched fields).
    public mutating func patch(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    private mutating func writeLittleEndian(_ value: UInt64, width: Int) {
        for index in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }
}
