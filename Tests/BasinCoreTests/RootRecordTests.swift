import BasinTestSupport
import Testing
@testable import BasinCore

@Suite("Root records: codec and fold (docs/FORMAT.md §13)")
struct RootRecordTests {
    static let a = Key(bytes: [UInt8](repeating: 0xaa, count: 32))!
    static let b = Key(bytes: [UInt8](repeating: 0xbb, count: 32))!

    static let sample = RootRecord(time: 1_700_000_000_123_456_789, operations: [
        .addKey(a), .removeKey(b), .setName("photos/2024/π.jpg", a), .removeName("old"),
    ])

    @Test("encodes as FORMAT.md §13 lays it out, and decodes back")
    func golden() throws {
        let tiny = RootRecord(time: 0x0102, isCheckpoint: true, operations: [.setName("n", Self.a), .removeName("n")])
        let expected = CoreTestSupport.bytes(hex: """
            4253524f4f54 01 0201000000000000 01 02
            03 01 6e \(String(repeating: "aa", count: 32))
            04 01 6e
            """)
        #expect(tiny.encoded() == expected)
        #expect(try RootRecord.decode(expected) == tiny)
        #expect(try RootRecord.decode(Self.sample.encoded()) == Self.sample)
    }

    @Test("every truncation and every flipped byte either decodes or throws a CodecError: never traps")
    func badInput() throws {
        let bytes = Self.sample.encoded()
        for length in 0..<bytes.count {
            #expect(throws: CodecError.self) { try RootRecord.decode(Array(bytes[..<length])) }
        }
        #expect(throws: CodecError.self) { try RootRecord.decode(bytes + [0]) }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            var mutated = bytes
            let index = Int(rng.next() % UInt64(bytes.count))
            mutated[index] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            _ = try? RootRecord.decode(mutated)
        }
        // A count far beyond the bytes, unknown flags, a negative time, a bad opcode, bad UTF-8.
        let header = Array(RootRecord.magic) + [1] + [UInt8](repeating: 0, count: 8)
        #expect(throws: CodecError.lengthOverflow(offset: 16, value: 1000)) { try RootRecord.decode(header + [0, 0xe8, 0x07]) }
        #expect(throws: CodecError.invalidValue(offset: 15, field: "flags")) { try RootRecord.decode(header + [2, 0]) }
        #expect(throws: CodecError.invalidValue(offset: 7, field: "time")) {
            try RootRecord.decode(Array(RootRecord.magic) + [1] + [UInt8](repeating: 0xff, count: 8) + [0, 0])
        }
        #expect(throws: CodecError.invalidValue(offset: 17, field: "operation")) { try RootRecord.decode(header + [0, 1, 9, 0]) }
        #expect(throws: CodecError.invalidValue(offset: 18, field: "name")) { try RootRecord.decode(header + [0, 1, 4, 1, 0xff]) }
        #expect(throws: CodecError.invalidValue(offset: 18, field: "name")) { try RootRecord.decode(header + [0, 1, 4, 0]) }
        #expect(throws: CodecError.unsupportedVersion(offset: 6, version: 2)) {
            try RootRecord.decode(Array(RootRecord.magic) + [2] + [UInt8](repeating: 0, count: 10))
        }
    }

    @Test("the fold: operations in order, the later mapping of a name wins, a checkpoint starts afresh")
    func fold() {
        var state = RootState()
        state.apply(RootRecord(time: 1, operations: [.addKey(Self.a), .addKey(Self.b), .setName("x", Self.a), .setName("y", Self.b)]))
        state.apply(RootRecord(time: 2, operations: [.removeKey(Self.a), .setName("x", Self.b), .removeName("y")]))
        #expect(state == RootState(keys: [Self.b], names: ["x": Self.b]))
        #expect(state.liveKeys == [Self.b])
        let checkpoint = RootRecord(time: 2, isCheckpoint: true, operations: state.operations)
        var replayed = RootState(keys: [Self.a], names: ["z": Self.a])
        replayed.apply(checkpoint)
        #expect(replayed == state)
        // Records already in a checkpoint applied again after it change nothing.
        replayed.apply(RootRecord(time: 2, operations: [.removeKey(Self.a), .setName("x", Self.b), .removeName("y")]))
        #expect(replayed == state)
    }

    @Test("names are listed sorted by their UTF-8 bytes, by prefix")
    func prefixScan() {
        let state = RootState(names: ["b/2": Self.a, "a": Self.b, "b/1": Self.b, "b": Self.a, "é": Self.a, "c": Self.b])
        #expect(state.names(prefix: "b").map(\.name) == ["b", "b/1", "b/2"])
        #expect(state.names(prefix: "").map(\.name) == ["a", "b", "b/1", "b/2", "c", "é"])
        #expect(state.names(prefix: "b/1").map(\.key) == [Self.b])
        #expect(state.names(prefix: "z").isEmpty)
    }
}
