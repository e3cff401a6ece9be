import Testing
@testable import BasinCore

@Suite("Byte reader and writer")
struct ByteReaderTests {
    @Test("integers and varints round-trip little-endian")
    func roundTrip() throws {
        var writer = ByteWriter()
        writer.write(UInt8(0xAB))
        writer.write(UInt16(0x1234))
        writer.write(UInt32(0xDEAD_BEEF))
        writer.write(UInt64(0x0102_0304_0506_0708))
        writer.write(Int64(-2))
        for value: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] { writer.writeVarint(value) }
        writer.writeLengthPrefixed([9, 8, 7])
        #expect(Array(writer.bytes[1...2]) == [0x34, 0x12])
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readUInt8() == 0xAB)
        #expect(try reader.readUInt16() == 0x1234)
        #expect(try reader.readUInt32() == 0xDEAD_BEEF)
        #expect(try reader.readUInt64() == 0x0102_0304_0506_0708)
        #expect(try reader.readInt64() == -2)
        for value: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] { #expect(try reader.readVarint() == value) }
        #expect(try reader.readLengthPrefixed() == [9, 8, 7])
        #expect(reader.isAtEnd)
    }

    @Test("reading past the end throws with the offset, never traps")
    func pastTheEnd() throws {
        var reader = ByteReader([1, 2, 3], baseOffset: 100)
        #expect(throws: CodecError.truncated(offset: 100, needed: 1)) { try reader.readUInt32() }
        _ = try reader.readUInt16()
        #expect(throws: CodecError.truncated(offset: 102, needed: 7)) { try reader.readUInt64() }
        #expect(throws: CodecError.self) { try reader.readBytes(-1) }
        var lengths = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: CodecError.lengthOverflow(offset: 0, value: 0xFFFF_FFFF)) { try lengths.readLength() }
        var overlong = ByteReader([UInt8](repeating: 0xFF, count: 11))
        #expect(throws: CodecError.self) { try overlong.readVarint() }
    }

    @Test("keys parse hex and order by bytes")
    func keys() throws {
        let low = try #require(Key(hex: String(repeating: "0", count: 63) + "1"))
        let high = try #require(Key(hex: "F" + String(repeating: "0", count: 63)))
        #expect(low < high)
        #expect(high.hex == "f" + String(repeating: "0", count: 63))
        #expect(Key(hex: "xyz") == nil)
        #expect(Key(hex: String(repeating: "g", count: 64)) == nil)
        #expect(Key(bytes: high.bytes) == high)
    }
}
