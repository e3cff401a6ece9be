import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

@Suite("TreeDiffer: diff")
struct TreeDifferTests {
    /// A subtree both snapshots share: four trees that a diff must never load.
    static let big: Node = .directory("big", (0..<3).map { number in
        .directory("d\(number)", (0..<4).map { .file("f\($0)", content("\(number)-\($0)", repeating: 10)) })
    })

    static func home(_ entries: [Node]) -> [Node] {
        [.directory("home", [.directory("u", entries)])]
    }

    static let before = home([
        .directory("docs", [.file("a.txt", content("one")), .file("b.txt", content("two")), .file("gone.txt", content("bye"))]),
        big,
        .symlink("link", target: "a"),
        .file("thing", content("x")),
        .file("meta.txt", content("m")),
        .directory("olddir", [.file("x", content("xx")), .directory("sub", [.file("y", content("yyy"))])]),
    ])

    static let after = home([
        .directory("docs", [.file("a.txt", content("ONE!")), .file("b.txt", content("two")), .file("new.txt", content("new"))]),
        big,
        .symlink("link", target: "b"),
        .directory("thing", [.file("inner.txt", content("in"))]),
        .file("meta.txt", content("m"), mode: 0o600),
        .directory("newdir", [.file("z", content("zz"))]),
    ])

    func snapshots() async throws -> (TestBasin, Snapshot, Snapshot) {
        let basin = try await TestBasin.make()
        let first = try await basin.repository.saveFixtureSnapshot(Self.before, time: utc("2024-03-01T00:00:00Z"))
        let second = try await basin.repository.saveFixtureSnapshot(Self.after, time: utc("2024-03-02T00:00:00Z"))
        return (try await basin.reopened(), first, second)
    }

    @Test("every kind of change, in path order, directories with a trailing slash")
    func changes() async throws {
        let (basin, first, second) = try await snapshots()
        var lines: [String] = []
        let summary = try await TreeDiffer(source: basin.repository).diff(first, second) { change in
            lines.append("\(change.kind.rawValue) \(change.displayPath)")
        }
        #expect(lines == [
            "M /home/u/docs/a.txt", "- /home/u/docs/gone.txt", "+ /home/u/docs/new.txt",
            "M /home/u/link", "U /home/u/meta.txt",
            "+ /home/u/newdir/", "+ /home/u/newdir/z",
            "- /home/u/olddir/", "- /home/u/olddir/sub/", "- /home/u/olddir/sub/y", "- /home/u/olddir/x",
            "T /home/u/thing/", "+ /home/u/thing/inner.txt",
        ])
        var expected = DiffSummary()
        expected.filesAdded = 3          // new.txt, newdir/z, thing/inner.txt
        expected.filesRemoved = 4        // gone.txt, olddir/x, olddir/sub/y, the file thing
        expected.filesChanged = 1        // a.txt
        expected.directoriesAdded = 2    // newdir, the directory thing
        expected.directoriesRemoved = 2  // olddir, olddir/sub
        expected.othersChanged = 1       // link
        expected.typeChanged = 1
        expected.metadataChanged = 1
        expected.bytesAdded = 3 + 2 + 2 + 4      // new.txt, z, inner.txt, a.txt's new content
        expected.bytesRemoved = 3 + 2 + 3 + 1 + 3 // gone.txt, x, y, thing, a.txt's old content
        #expect(summary == expected)
    }

    @Test("identical subtrees are skipped by key, never loaded")
    func skipsIdenticalSubtrees() async throws {
        let (basin, first, second) = try await snapshots()
        let source = CountingTreeSource(basin.repository)
        _ = try await TreeDiffer(source: source).diff(first, second) { _ in }
        // Both sides of /, /home, /home/u, /home/u/docs; then newdir, thing (after),
        // olddir and olddir/sub (before). Not big nor any of its three subdirectories.
        #expect(source.loads.count == 12)
        let bigKey = try await basin.repository.storeFixture(Self.big.children)
        #expect(!source.loads.contains(bigKey))
        #expect(Set(source.loads).count == 12)
    }

    @Test("a snapshot against itself: no change, no tree loaded")
    func identical() async throws {
        let (basin, first, _) = try await snapshots()
        let source = CountingTreeSource(basin.repository)
        var count = 0
        let summary = try await TreeDiffer(source: source).diff(first, first) { _ in count += 1 }
        #expect(summary.isEmpty && count == 0 && source.loads.isEmpty)
    }

    @Test("the reverse diff mirrors additions and removals")
    func reverse() async throws {
        let (basin, first, second) = try await snapshots()
        let differ = TreeDiffer(source: basin.repository)
        var forward: [String: TreeChange.Kind] = [:]
        var backward: [String: TreeChange.Kind] = [:]
        let there = try await differ.diff(first, second) { forward[$0.displayPath] = $0.kind }
        let back = try await differ.diff(second, first) { backward[$0.displayPath] = $0.kind }
        #expect((there.filesAdded, there.filesRemoved, there.bytesAdded) == (back.filesRemoved, back.filesAdded, back.bytesRemoved))
        for (path, kind) in forward where kind == .added { #expect(backward[path] == .removed, "\(path)") }
        // A type change back lists the old directory's contents as removed, with the old type's path.
        #expect(backward["/home/u/thing"] == .typeChanged)
        #expect(backward["/home/u/thing/inner.txt"] == .removed)
    }

    @Test("metadata of a directory whose content is unchanged: U only, nothing below")
    func directoryMetadata() async throws {
        let basin = try await TestBasin.make()
        let docs: [Node] = [.file("a", content("a"))]
        let first = try await basin.repository.saveFixtureSnapshot([.directory("d", docs)], time: Date())
        let second = try await basin.repository.saveFixtureSnapshot([.directory("d", docs, mtime: 5)], time: Date())
        let source = CountingTreeSource(basin.repository)
        var changes: [TreeChange] = []
        let summary = try await TreeDiffer(source: source).diff(first, second) { changes.append($0) }
        #expect(changes.map(\.kind) == [.metadata] && changes.first?.displayPath == "/d/")
        #expect(summary.metadataChanged == 1 && source.loads.count == 2)
    }
}
