import BasinBackend
import BasinCore
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Condemnation records as prune reads them back: whole records round-trip; a record naming a
/// stratum that cannot exist is damaged (its strata are then never deleted), never a trap.
@Suite struct CondemnationRecordTests {
    private func recordJSON(lane: String = "data", id: String = "00000000000000ff", size: String = "4096") -> [UInt8] {
        Array(#"{"hostname":"h","strata":[{"id":"\#(id)","lane":"\#(lane)","size":\#(size)}],"time":"2026-12-06T08:00:00.000Z","version":1}"#.utf8)
    }

    @Test func aWholeRecordRoundTrips() throws {
        let record = try CondemnationRecord.decode(recordJSON(), name: "condemned/a")
        #expect(record.strata.map(\.lane) == ["data"] && record.strata.map(\.id) == ["00000000000000ff"])
        #expect(record.stratumIDs == [0xff])
        #expect(record.bytes == 4096)
        #expect(try CondemnationRecord.decode(record.encoded(), name: "condemned/a") == record)
    }

    @Test(arguments: [
        ("-1", "size -1"), ("9223372036854775807", "size 9223372036854775807"), ("1099511627777", "size 1099511627777"),
    ])
    func anImpossibleSizeIsDamage(size: String, message: String) async {
        await expectBasinError(.corrupted, naming: "condemned/b") {
            try CondemnationRecord.decode(recordJSON(size: size), name: "condemned/b")
        }
        await expectBasinError(.corrupted, naming: message) {
            try CondemnationRecord.decode(recordJSON(size: size), name: "condemned/b")
        }
    }

    @Test(arguments: [("index", "00000000000000ff"), ("data", "ff"), ("meta", "00000000000000FF"), ("data", "000000000000000g")])
    func anImpossibleStratumNameIsDamage(lane: String, id: String) async {
        await expectBasinError(.corrupted, naming: "condemned/c") {
            try CondemnationRecord.decode(recordJSON(lane: lane, id: id), name: "condemned/c")
        }
    }

    @Test func sumsOfManyLargeRecordsSaturate() throws {
        let largest = try CondemnationRecord.decode(recordJSON(size: String(CondemnationRecord.maxStratumSize)), name: "condemned/d")
        let many = Array(repeating: largest, count: 1 << 23)
        #expect(CondemnationRecord.bytes(of: many) == Int.max)
        #expect(CondemnationRecord.bytes(of: [largest, largest]) == 2 * CondemnationRecord.maxStratumSize)
    }
}
