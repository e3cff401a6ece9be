import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation
import Testing

private func record(host: String = "h", paths: [String] = ["/p"], tags: [String] = []) -> SnapshotRecord {
    SnapshotRecord(time: Date(timeIntervalSince1970: 0), hostname: host, username: "u", paths: paths, tags: tags, parent: nil,
                   tree: Key(w0: 1, w1: 0, w2: 0, w3: 0), excludes: [], summary: nil, programVersion: "t")
}

@Suite("SnapshotFilter and SnapshotGrouping")
struct SnapshotFilterTests {
    @Test("hosts: any of them; an empty filter takes everything")
    func hosts() {
        let filter = SnapshotFilter(hosts: ["a", "b"])
        #expect(filter.matches(record(host: "a")) && filter.matches(record(host: "b")))
        #expect(!filter.matches(record(host: "c")))
        #expect(SnapshotFilter().isEmpty && SnapshotFilter().matches(record(host: "anything")))
    }

    @Test("tags: every tag of one of the lists, as restic's --tag a,b --tag c")
    func tags() {
        let filter = SnapshotFilter(tags: SnapshotFilter.tagLists(["a,b", "c"]))
        #expect(filter.tags == [["a", "b"], ["c"]])
        #expect(filter.matches(record(tags: ["b", "a"])))
        #expect(filter.matches(record(tags: ["c"])))
        #expect(!filter.matches(record(tags: ["a"])))
        #expect(!filter.matches(record(tags: [])))
    }

    @Test("paths: the snapshot must include all of them; trailing slashes do not matter")
    func paths() {
        let filter = SnapshotFilter(paths: ["/home/u/", "/etc"])
        #expect(filter.matches(record(paths: ["/etc", "/home/u", "/var"])))
        #expect(filter.matches(record(paths: ["/etc/", "//home/u"])))
        #expect(!filter.matches(record(paths: ["/home/u"])))
        #expect(!filter.matches(record(paths: ["/home/u/docs", "/etc"])))
    }

    @Test("criteria combine: host and tags and paths")
    func combined() {
        let filter = SnapshotFilter(hosts: ["a"], tags: [["t"]], paths: ["/p"])
        #expect(filter.matches(record(host: "a", tags: ["t"])))
        #expect(!filter.matches(record(host: "b", tags: ["t"])))
        #expect(!filter.matches(record(host: "a", paths: ["/q"], tags: ["t"])))
    }

    @Test("grouping by host and paths (the default) ignores the order of paths")
    func grouping() throws {
        func snapshot(_ number: UInt64, _ record: SnapshotRecord) -> Snapshot {
            Snapshot(id: Key(w0: number, w1: 0, w2: 0, w3: 0), record: record)
        }
        let snapshots = [snapshot(1, record(host: "b", paths: ["/x", "/y"])), snapshot(2, record(host: "a", paths: ["/y", "/x"])),
                         snapshot(3, record(host: "a", paths: ["/x", "/y"], tags: ["t"])), snapshot(4, record(host: "a"))]
        let groups = SnapshotGrouping().groups(of: snapshots)
        #expect(groups.map { $0.snapshots.map(\.id.w0).sorted() } == [[4], [2, 3], [1]])
        #expect(groups.map(\.key.description) == ["host a, paths [/p]", "host a, paths [/x, /y]", "host b, paths [/x, /y]"])
        let byTags = try SnapshotGrouping(parsing: "tags")
        #expect(byTags.groups(of: snapshots).map { $0.snapshots.map(\.id.w0).sorted() } == [[1, 2, 4], [3]])
        #expect(try SnapshotGrouping(parsing: "").groups(of: snapshots).count == 1)
        #expect(try SnapshotGrouping(parsing: "host, paths") == SnapshotGrouping())
        #expect(throws: BasinError.self) { try SnapshotGrouping(parsing: "host,colour") }
    }
}
