import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Listing snapshots, ls, diff and find read only hot lanes: never an object of `data/`.
@Suite("Browsing reads no data lane object")
struct MetaLaneOnlyTests {
    @Test("snapshots, ls, diff and find issue no read under data/")
    func noDataReads() async throws {
        let made = try await TestBasin.make()
        let big = (0..<40).map { Node.file("f\($0)", content("file \($0) ", repeating: 3000)) }
        let one = try await made.repository.saveFixtureSnapshot([.directory("home", [.directory("a", big), .file("x", content("x"))])],
                                                                time: utc("2024-03-01T00:00:00Z"))
        let two = try await made.repository.saveFixtureSnapshot([.directory("home", [.directory("a", big), .file("x", content("y"))])],
                                                                time: utc("2024-03-02T00:00:00Z"))
        let basin = try await made.reopened()
        let repository = basin.repository

        let listed = try await repository.list()
        #expect(listed.map(\.id) == [one.id, two.id])
        let latest = try await repository.resolve("latest", among: listed)
        var count = 0
        try await TreeLister(source: repository).list(latest, recursive: true) { _ in count += 1 }
        #expect(count == 43)
        let summary = try await TreeDiffer(source: repository).diff(one, two) { _ in }
        #expect(summary.filesChanged == 1)
        var finder = SnapshotFinder(source: repository, patterns: [try NamePattern("f1*")])
        #expect(try await finder.find(in: two).count == 11)

        #expect(basin.backend.calls(.read, .readRange, .stat, prefix: "data/") == 0)
        #expect(basin.backend.calls(.readRange, prefix: "meta/") > 0)
        // The counter does see data reads: reading a file's content is one.
        _ = try await repository.basin.get(try #require(try await repository.node(at: components("/home/x"), in: two).entry.content))
        #expect(basin.backend.calls(.read, .readRange, prefix: "data/") > 0)
    }
}
