import BasinSnapshots
import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about backup's exclude options and diff's `T` and `U` markers
/// (`--metadata`).
@Suite("CLI promises: backup excludes, diff --metadata and type changes")
struct BrowsePromiseTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-browse-promises")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "TZ": "UTC"])
        #expect(try basin.run(["init", "--no-encryption"]).status == 0)
    }

    @Test("-e/--exclude (case-sensitive), --iexclude (ignoring case) and --exclude-file leave out what matches, and are recorded")
    func excludes() throws {
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source + "/cache", withIntermediateDirectories: true)
        for name in ["a.txt", "b.log", "C.LOG", "cache/x", "notes.md"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: source + "/" + name))
        }
        let excludeFile = scratch.path("excludes")
        try Data("# build output\n\ncache\n".utf8).write(to: URL(fileURLWithPath: excludeFile))

        func backedUp(_ flags: [String]) throws -> Set<String> {
            let backup = try basin.run(["backup", source] + flags)
            #expect(backup.status == 0, "\(flags): \(backup.stderr)")
            let ls = try basin.run(["ls", "latest", source, "--recursive"])
            return Set(ls.output.split(separator: "\n").filter { $0.hasPrefix(source + "/") }.map { String($0.dropFirst(source.count + 1)) })
        }
        let everything: Set<String> = ["a.txt", "b.log", "C.LOG", "cache", "cache/x", "notes.md"]
        #expect(try backedUp([]) == everything)
        #expect(try backedUp(["--exclude", "*.log"]) == everything.subtracting(["b.log"]))
        #expect(try backedUp(["-e", "*.log", "-e", "notes.md"]) == everything.subtracting(["b.log", "notes.md"]))
        #expect(try backedUp(["--iexclude", "*.log"]) == everything.subtracting(["b.log", "C.LOG"]))
        #expect(try backedUp(["--exclude-file", excludeFile]) == everything.subtracting(["cache", "cache/x"]))

        let listed = try basin.run(["snapshots", "--json", "latest"])
        let snapshot = try #require((try JSONSerialization.jsonObject(with: Data(listed.stdout)) as? [[String: Any]])?.first)
        #expect(snapshot["excludes"] as? [String] == ["cache"], "\(snapshot)")

        let missing = try basin.run(["backup", source, "--exclude-file", scratch.path("absent")])
        #expect(missing.status == 64 && missing.stderr.contains("cannot read the exclude file \(scratch.path("absent"))"), "\(missing.stderr)")
    }

    @Test("diff: T for a changed type (old removed, new added, a directory's content listed); U for metadata alone, only with --metadata")
    func typeAndMetadataChanges() async throws {
        let repository = try await SnapshotFixture.localRepository(at: self.repository, create: false)
        typealias Node = SnapshotRepository.FixtureNode
        let before: [Node] = [.directory("d", [.file("a.txt", Array("same".utf8)), .file("b", Array("file".utf8))])]
        let after: [Node] = [.directory("d", [.file("a.txt", Array("same".utf8), mode: 0o600),
                                              .directory("b", [.file("inner", Array("in".utf8))])])]
        let first = try await repository.saveFixtureSnapshot(before, time: utc("2024-03-01T10:00:00Z"), paths: ["/d"])
        let second = try await repository.saveFixtureSnapshot(after, time: utc("2024-03-02T10:00:00Z"), paths: ["/d"])

        func changes(_ extra: [String]) throws -> [String] {
            let result = try basin.run(["diff", first.shortID, second.shortID] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            return result.output.split(separator: "\n").map(String.init).filter { $0.count > 5 && $0.dropFirst(1).hasPrefix("    /") }
        }
        #expect(try changes([]) == ["T    /d/b/", "+    /d/b/inner"])
        #expect(try changes(["--metadata"]) == ["U    /d/a.txt", "T    /d/b/", "+    /d/b/inner"])
        let statistics = try basin.run(["diff", first.shortID, second.shortID]).output
        #expect(statistics.contains("Files:            1 new,     1 removed,     0 changed"), "\(statistics)")
        #expect(statistics.contains("Dirs:             1 new,     0 removed"), "\(statistics)")
    }

    @Test("find: a pattern with / exits 64 naming it; -s picks a snapshot, -l lists as ls --long; ls of a path not in the snapshot exits 1")
    func findAndLsForms() async throws {
        let repository = try await SnapshotFixture.localRepository(at: self.repository, create: false)
        let first = try await repository.saveFixtureSnapshot(SnapshotCommandTests.tree("one"), time: utc("2024-03-01T10:00:00Z"))
        let second = try await repository.saveFixtureSnapshot(SnapshotCommandTests.tree("two"), time: utc("2024-03-02T10:00:00Z"))
        let slash = try basin.run(["find", "docs/a.txt"])
        #expect(slash.status == 64 && slash.stderr.contains("docs/a.txt"), "\(slash.stderr)")
        let picked = try basin.run(["find", "a.txt", "-s", first.shortID, "-l"])
        #expect(picked.status == 0, "\(picked.stderr)")
        #expect(picked.output.contains("snapshot \(first.shortID)") && !picked.output.contains(second.shortID), "\(picked.output)")
        #expect(picked.output.contains("-rw-r--r--") && picked.output.contains("/home/u/docs/a.txt"), "\(picked.output)")
        let missing = try basin.run(["ls", "latest", "/home/u/nothing"])
        #expect(missing.status == 1 && missing.stderr.contains("/home/u/nothing"), "\(missing.stderr)")
    }
}
