import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's exit codes where data is missing: a stratum the index names, or a key a
/// snapshot reaches, that the basin lacks is damage (13), never "no such snapshot" (1) or a
/// fatal error (2).
@Suite("CLI: exit 13 for missing data")
struct ExitCodeCommandTests {
    let scratch: TestDirectory
    let source: String
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-exit-codes")
        source = scratch.path("source")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
    }

    /// Backs up two files into a new basin, then deletes every stratum of `lane` (so opening
    /// the basin finds the index listing grains of strata that are gone).
    func backUpAndRemove(lane: String) async throws {
        try TestFileSystem.makeDirectory(Array(source.utf8))
        try TestFileSystem.writeFile(Array((source + "/a").utf8), SplitMix64.bytes(200_000, seed: 1))
        try TestFileSystem.writeFile(Array((source + "/b").utf8), SplitMix64.bytes(3_000, seed: 2))
        _ = try await SnapshotFixture.makeLocalBasin(at: repository, backingUp: source)
        let removed = try FileManager.default.subpathsOfDirectory(atPath: repository + "/" + lane)
            .filter { $0.hasSuffix(".stratum") }.map { lane + "/" + $0 }
        try #require(!removed.isEmpty)
        for name in removed { try FileManager.default.removeItem(atPath: repository + "/" + name) }
    }

    /// The message names a key that is gone.
    func namesMissingKey(_ text: String) -> Bool {
        text.contains("no grain with key ")
    }

    @Test("restore and dump with the data strata missing: exit 13 naming the file and the missing key")
    func missingDataStratum() async throws {
        try await backUpAndRemove(lane: "data")
        let restore = try basin.run(["restore", "latest:" + source, "--target", scratch.path("out")])
        #expect(restore.status == 13, "\(restore.stderr)")
        #expect(namesMissingKey(restore.stderr) && restore.stderr.contains(scratch.path("out") + "/a:"), "\(restore.stderr)")
        let dump = try basin.run(["dump", "latest", source + "/a"])
        #expect(dump.status == 13, "\(dump.stderr)")
        #expect(namesMissingKey(dump.stderr) && dump.stderr.contains(source + "/a"), "\(dump.stderr)")
    }

    @Test("ls, restore, dump and find with the meta strata missing: exit 13 naming the missing tree")
    func missingMetaStratum() async throws {
        try await backUpAndRemove(lane: "meta")
        for arguments in [["ls", "latest"], ["restore", "latest", "--target", scratch.path("out")], ["dump", "latest", source + "/a"],
                          ["find", "a"]] {
            let result = try basin.run(arguments)
            #expect(result.status == 13, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("tree missing") && namesMissingKey(result.stderr), "\(arguments): \(result.stderr)")
        }
        // Names that are truly absent keep exit 1.
        #expect(try basin.run(["ls", "abcdef12"]).status == 1)
    }
}
