import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

@Suite("SnapshotFinder: find")
struct SnapshotFinderTests {
    static let shared: Node = .directory("shared", [
        .file("report.txt", content("r")), .directory("sub", [.file("Report.md", content("R")), .file("x", content("x"))]),
    ])
    static let copy: [Node] = [.file("note.txt", content("n"))]

    static let first: [Node] = [.directory("home", [.directory("u", [
        shared, .directory("copy1", copy), .directory("copy2", copy), .file("a.txt", content("a")),
    ])])]
    static let second: [Node] = [.directory("home", [.directory("u", [
        shared, .directory("copy1", copy), .file("b.txt", content("b")), .file("report.txt", content("new")),
    ])])]

    func snapshots() async throws -> (TestBasin, Snapshot, Snapshot) {
        let basin = try await TestBasin.make()
        let one = try await basin.repository.saveFixtureSnapshot(Self.first, time: utc("2024-03-01T00:00:00Z"))
        let two = try await basin.repository.saveFixtureSnapshot(Self.second, time: utc("2024-03-02T00:00:00Z"))
        return (try await basin.reopened(), one, two)
    }

    func paths(_ patterns: [String], ignoringCase: Bool = false, in snapshots: [Snapshot], source: some TreeSource) async throws -> [[String]] {
        var finder = SnapshotFinder(source: source, patterns: try patterns.map { try NamePattern($0, ignoringCase: ignoringCase) })
        var found: [[String]] = []
        for snapshot in snapshots { found.append(try await finder.find(in: snapshot).map(\.displayPath)) }
        return found
    }

    @Test("matches in tree order, in identical subtrees at every path they occur")
    func matches() async throws {
        let (basin, one, two) = try await snapshots()
        #expect(try await paths(["note.txt"], in: [one, two], source: basin.repository) == [
            ["/home/u/copy1/note.txt", "/home/u/copy2/note.txt"], ["/home/u/copy1/note.txt"],
        ])
        #expect(try await paths(["report*"], ignoringCase: true, in: [two, one], source: basin.repository) == [
            ["/home/u/report.txt", "/home/u/shared/report.txt", "/home/u/shared/sub/Report.md"],
            ["/home/u/shared/report.txt", "/home/u/shared/sub/Report.md"],
        ])
        #expect(try await paths(["report*"], in: [one], source: basin.repository) == [["/home/u/shared/report.txt"]])
        #expect(try await paths(["s*"], in: [one], source: basin.repository) == [["/home/u/shared", "/home/u/shared/sub"]])
        #expect(try await paths(["a.txt", "b.txt"], in: [one, two], source: basin.repository) == [["/home/u/a.txt"], ["/home/u/b.txt"]])
        #expect(try await paths(["nothing"], in: [one, two], source: basin.repository) == [[], []])
    }

    @Test("each distinct tree is searched once across snapshots")
    func memoized() async throws {
        let (basin, one, two) = try await snapshots()
        let source = CountingTreeSource(basin.repository)
        var finder = SnapshotFinder(source: source, patterns: [try NamePattern("*.md")])
        let firstFound = try await finder.find(in: one)
        // First snapshot: /, home, u, shared, shared/sub and one tree for copy1 and copy2.
        #expect(source.loads.count == 6)
        let secondFound = try await finder.find(in: two)
        // Second: only its own /, home and u are new.
        #expect(source.loads.count == 9 && Set(source.loads).count == 9 && finder.treesSearched == 9)
        #expect(firstFound.map(\.displayPath) == ["/home/u/shared/sub/Report.md"])
        #expect(secondFound.map(\.displayPath) == ["/home/u/shared/sub/Report.md"])
        #expect(secondFound.first?.entry.size == 1)
        // Searching again loads nothing.
        _ = try await finder.find(in: one)
        #expect(source.loads.count == 9)
    }
}
