import BasinTestSupport
import Foundation
import Testing

/// `basin restore` and `basin dump`, run as a user runs them, on basins built by hand.
@Suite("CLI: restore, dump")
struct RestoreCommandTests {
    let scratch: TestDirectory
    let source: String
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-restore")
        source = scratch.path("source")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
    }

    /// A generated tree backed up into a new local basin; returns the snapshot id.
    func backUp() async throws -> String {
        var options = TreeGenerator.Options()
        options.largeFileSizes = [900_000]
        _ = try TreeGenerator.generate(at: source, options: options)
        return try await SnapshotFixture.makeLocalBasin(at: repository, backingUp: source)
    }

    func expectEqual(_ restored: String, _ options: TreeComparer.Options = .init()) throws {
        let differences = try TreeComparer.compare(source: source, restored: restored, options: options)
        #expect(differences.isEmpty, "\(differences.map(\.description).joined(separator: "\n"))")
    }

    @Test("restore SNAPSHOT:PATH gives back the tree; --json summarizes; --verify checks every file")
    func restore() async throws {
        let id = try await backUp()
        let target = scratch.path("out")
        let result = try basin.run(["restore", "latest:" + source, "--target", target, "--verify"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("restored ") && result.output.contains("verified "))
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        try expectEqual(target)

        let json = try basin.run(["restore", String(id.prefix(10)) + ":" + source + "/nested", "--target", scratch.path("json"), "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(object["snapshot"] as? String == id)
        #expect(summary["files"] as? Int == 3 && summary["hardLinks"] as? Int == 0 && summary["directories"] as? Int == 2)
        #expect((summary["failures"] as? [Any])?.isEmpty == true)
    }

    @Test("an existing target file: exit 2 naming it, nothing overwritten; --overwrite replaces it")
    func overwrite() async throws {
        _ = try await backUp()
        let target = scratch.path("out")
        #expect(try basin.run(["restore", "latest:" + source, "--target", target]).status == 0)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: target + "/plain.txt"))
        let refused = try basin.run(["restore", "latest:" + source, "--target", target])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("would overwrite") && refused.stderr.contains(target + "/"), "\(refused.stderr)")
        #expect(FileManager.default.contents(atPath: target + "/plain.txt") == Data("changed".utf8))
        let replaced = try basin.run(["restore", "latest:" + source, "--target", target, "--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        // The target existed, so it keeps its own metadata.
        var options = TreeComparer.Options()
        options.compareRoots = false
        try expectEqual(target, options)
    }

    @Test("--include and --exclude select what is restored")
    func patterns() async throws {
        _ = try await backUp()
        let target = scratch.path("out")
        let result = try basin.run(["restore", "latest:" + source, "--target", target, "--include", "/**/nested", "--include", "*.txt",
                                    "--exclude", "b"])
        #expect(result.status == 0, "\(result.stderr)")
        let paths = Set(try TestFileSystem.paths(below: Array(target.utf8)).map { String(decoding: $0, as: UTF8.self) })
        #expect(paths == ["nested", "nested/a", "nested/a/sibling", "nested/a/hard2", "plain.txt"])
        let bad = try basin.run(["restore", "latest", "--target", target, "--include", "[oops"])
        #expect(bad.status == 64 && bad.stderr.contains("[oops"), "\(bad.stderr)")
    }

    @Test("a damaged grain: exit 13, the file named on stderr, the other files restored; dump of it exits 13 naming it")
    func damaged() async throws {
        try TestFileSystem.makeDirectory(Array(source.utf8))
        let victim = SplitMix64.bytes(200_000, seed: 5)
        try TestFileSystem.writeFile(Array((source + "/victim").utf8), victim)
        try TestFileSystem.writeFile(Array((source + "/fine").utf8), SplitMix64.bytes(200_000, seed: 6))
        _ = try await SnapshotFixture.makeLocalBasin(at: repository, backingUp: source)
        _ = try SnapshotFixture.damage(victim, inLocalBasin: repository)
        let target = scratch.path("out")
        let result = try basin.run(["restore", "latest:" + source, "--target", target])
        #expect(result.status == 13)
        #expect(result.stderr.contains(target + "/victim"), "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: target + "/fine") == Data(SplitMix64.bytes(200_000, seed: 6)))
        #expect(!FileManager.default.fileExists(atPath: target + "/victim"))
        let dump = try basin.run(["dump", "latest", source + "/victim"])
        #expect(dump.status == 13 && dump.stderr.contains(source + "/victim"), "\(dump.stderr)")
    }

    @Test("unknown snapshots and paths exit 1")
    func notFound() async throws {
        _ = try await backUp()
        #expect(try basin.run(["restore", "abcdef12", "--target", scratch.path("x")]).status == 1)
        #expect(try basin.run(["restore", "latest:/no/such/path", "--target", scratch.path("x")]).status == 1)
        #expect(try basin.run(["dump", "latest", "/no/such/path"]).status == 1)
    }

    @Test("dump writes a file's bytes, and a directory as a tar archive GNU tar extracts to an equal tree")
    func dump() async throws {
        _ = try await backUp()
        let file = try basin.run(["dump", "latest", source + "/large/big0.bin"])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdout == (try TestFileSystem.readFile(Array((source + "/large/big0.bin").utf8))))
        let archive = try basin.run(["dump", "latest", source])
        #expect(archive.status == 0, "\(archive.stderr)")
        let archivePath = scratch.path("dump.tar")
        try TestFileSystem.writeFile(Array(archivePath.utf8), archive.stdout)
        let out = scratch.path("extracted")
        try TestFileSystem.makeDirectory(Array(out.utf8))
        let tar = try TestProcess.extract(archivePath, into: out)
        #expect(tar.status == 0, "\(tar.errors)")
        try expectEqual(out + "/source")
    }

    @Test("a sparse file is restored with its holes: same bytes, fewer blocks allocated; --verify passes")
    func sparse() async throws {
        try TestFileSystem.makeDirectory(Array(source.utf8))
        let data = SplitMix64.bytes(100_000, seed: 8)
        let path = source + "/sparse"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(data)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 8 << 20)
        try handle.write(contentsOf: Data(data))
        try handle.truncate(atOffset: 32 << 20)  // ends in a hole
        try handle.close()
        _ = try await SnapshotFixture.makeLocalBasin(at: repository, backingUp: source)
        let target = scratch.path("out")
        let result = try basin.run(["restore", "latest:" + source, "--target", target, "--verify"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: target + "/sparse") == FileManager.default.contents(atPath: path))
        var info = stat()
        #expect(stat(target + "/sparse", &info) == 0)
        #expect(info.st_size == 32 << 20)
        #expect(Int(info.st_blocks) * 512 < 1 << 20, "\(info.st_blocks) blocks allocated for 2 × 100 kB of data")
    }
}
