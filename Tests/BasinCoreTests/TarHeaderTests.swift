@testable import BasinCore
import Testing

@Suite("TarHeader: ustar blocks and pax records")
struct TarHeaderTests {
    @Test("a pax record's length counts itself, across digit-count boundaries", arguments: [1, 2, 3, 4, 5, 90, 91, 92, 93, 94, 990, 995, 996])
    func recordLength(valueLength: Int) {
        let record = TarHeader.paxRecord(Array("path".utf8), [UInt8](repeating: 0x61, count: valueLength))
        let digits = record.prefix { $0 != 0x20 }
        #expect(Int(String(decoding: digits, as: UTF8.self)) == record.count)
        #expect(record.last == 0x0A)
    }

    @Test("pax times: nanoseconds kept, negative times counted down from zero")
    func times() {
        #expect(TarHeader.paxTime(.init(seconds: 5, nanoseconds: 0)) == "5")
        #expect(TarHeader.paxTime(.init(seconds: 1_600_000_000, nanoseconds: 1)) == "1600000000.000000001")
        #expect(TarHeader.paxTime(.init(seconds: -2, nanoseconds: 500_000_000)) == "-1.500000000")
    }

    @Test("a short ASCII entry is one ustar block with a valid checksum; others get a pax header first")
    func blocks() {
        let plain = TarHeader(path: Array("dir/file".utf8), type: .regular, size: 10).encoded()
        #expect(plain.count == 512)
        var summed = plain
        for index in 148..<156 { summed[index] = 0x20 }
        let checksum = Int(String(decoding: plain[148..<154], as: UTF8.self), radix: 8)
        #expect(checksum == summed.reduce(0) { $0 + Int($1) })
        #expect(Array(plain[257..<263]) == Array("ustar\0".utf8))

        let odd = TarHeader(path: [0x66, 0xFF], type: .regular).encoded()
        #expect(odd.count == 3 * 512 && odd[156] == UInt8(ascii: "x"))
        let body = Array(odd[512..<1024])
        let charset = TarHeader.paxRecord(Array("hdrcharset".utf8), Array("BINARY".utf8))
        let path = TarHeader.paxRecord(Array("path".utf8), [0x66, 0xFF])
        #expect(body.starts(with: charset))
        #expect(Array(body[charset.count..<(charset.count + path.count)]) == path)
    }
}
