import BasinCore
import BasinSnapshots
import BasinTestSupport
import Testing

/// Snapshot refs against the golden files `scripts/golden_format.py` writes from
/// docs/FORMAT.md (§7, §9): the record a ref holds decodes to what the spec put in it.
@Suite("Snapshot refs: golden bytes written from the spec")
struct SnapshotRefGoldenTests {
    @Test("each golden snapshot ref holds the record the spec describes", arguments: GoldenFile.algorithms.map(\.algorithm))
    func snapshotRecord(algorithm: PayloadAlgorithm) throws {
        let (name, plain) = try GoldenFile.openSealed("snapshot-ref", algorithm)
        let record = try SnapshotRecord.decode(plain)
        let keys = GoldenFile.keyFunction(algorithm)
        #expect(record.version == 1 && record.hostname == "golden-host" && record.username == "golden")
        #expect(record.time == "2026-11-26T01:02:03.123456789Z")
        #expect(record.paths == ["/home/golden"] && record.tags == ["daily"] && record.excludes == ["*.tmp"])
        #expect(record.treeKey == keys.key(of: Array("a tree".utf8)))
        #expect(record.parent == keys.key(of: Array("a parent".utf8)).hex)
        #expect(record.programVersion == "golden 1")
        let summary = try #require(record.summary)
        #expect([summary.filesNew, summary.filesChanged, summary.filesUnmodified, summary.directories, summary.otherEntries,
                 summary.errors] == [1, 2, 3, 4, 5, 0])
        #expect([summary.bytesRead, summary.bytesAdded, summary.bytesStored, summary.totalBytes] == [6000, 700, 800, 9000])
        #expect(summary.durationSeconds == 1.5)
        // The ref's name is the snapshot's id: the key of its snapshot grain, which holds the same record.
        #expect(name == SnapshotRepository.folder + keys.key(of: plain).hex)
        #expect(try SnapshotRecord.decode(record.encoded()) == record)
    }
}
