import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

@Suite("TreeLister: ls")
struct TreeListerTests {
    /// /home/u/{docs/{a.txt, b.txt}, link -> docs/a.txt, "odd\xff", empty/}
    static let tree: [Node] = [
        .directory("home", [
            .directory("u", [
                .directory("docs", [.file("b.txt", content("bee")), .file("a.txt", content("ay"))]),
                .symlink("link", target: "docs/a.txt"),
                Node.file("odd", content("o")).with { $0.name = Array("odd".utf8) + [0xff] },
                .directory("empty", []),
            ]),
        ]),
    ]

    func listed(_ lister: TreeLister<SnapshotRepository>, _ snapshot: Snapshot, _ path: String?, recursive: Bool) async throws -> [String] {
        var paths: [String] = []
        let components = try path.map { try SnapshotPath(parsing: Array($0.utf8)).components } ?? []
        try await lister.list(snapshot, path: components, recursive: recursive) { paths.append($0.displayPath) }
        return paths
    }

    @Test("no path: everything, depth first, names in byte order")
    func everything() async throws {
        let basin = try await TestBasin.make()
        let snapshot = try await basin.repository.saveFixtureSnapshot(Self.tree, time: Date())
        let lister = TreeLister(source: basin.repository)
        #expect(try await listed(lister, snapshot, nil, recursive: true) == [
            "/home", "/home/u", "/home/u/docs", "/home/u/docs/a.txt", "/home/u/docs/b.txt", "/home/u/empty",
            "/home/u/link", "/home/u/odd\\xff",
        ])
    }

    @Test("a directory path: itself and its entries; recursive: everything below")
    func directory() async throws {
        let basin = try await TestBasin.make()
        let snapshot = try await basin.repository.saveFixtureSnapshot(Self.tree, time: Date())
        let lister = TreeLister(source: basin.repository)
        #expect(try await listed(lister, snapshot, "/home/u", recursive: false) == [
            "/home/u", "/home/u/docs", "/home/u/empty", "/home/u/link", "/home/u/odd\\xff",
        ])
        #expect(try await listed(lister, snapshot, "/home/u/docs/", recursive: true) == [
            "/home/u/docs", "/home/u/docs/a.txt", "/home/u/docs/b.txt",
        ])
        #expect(try await listed(lister, snapshot, "/", recursive: false) == ["/home"])
        #expect(try await listed(lister, snapshot, "/home/u/odd\\xff", recursive: false) == ["/home/u/odd\\xff"])
    }

    @Test("entries carry their metadata and content keys")
    func entries() async throws {
        let basin = try await TestBasin.make()
        let snapshot = try await basin.repository.saveFixtureSnapshot(Self.tree, time: Date())
        var nodes: [SnapshotNode] = []
        try await TreeLister(source: basin.repository).list(snapshot, path: components("/home/u/docs"), recursive: false) {
            nodes.append($0)
        }
        let file = try #require(nodes.last)
        #expect(file.entry.size == 3 && file.entry.type == .file && file.entry.permissions == "-rw-r--r--")
        #expect(try await basin.repository.basin.get(try #require(file.entry.content)) == content("bee"))
        #expect(nodes.first?.entry.type == .directory)
    }

    @Test("a path not in the snapshot is notFound naming it")
    func missing() async throws {
        let basin = try await TestBasin.make()
        let snapshot = try await basin.repository.saveFixtureSnapshot(Self.tree, time: Date())
        let lister = TreeLister(source: basin.repository)
        for path in ["/home/v", "/home/u/docs/a.txt/deeper"] {
            do {
                _ = try await listed(lister, snapshot, path, recursive: false)
                Issue.record("\(path) was found")
            } catch let error as BasinError {
                #expect(error.code == .notFound && error.message.contains(snapshot.shortID), "\(error.message)")
            }
        }
    }
}
