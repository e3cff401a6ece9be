import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about `basin restore` into a target that already holds things:
/// what is refused and with which exit code, what `--overwrite` replaces and what never.
@Suite("CLI promises: restore's target rules and exit codes")
struct RestorePromiseTests {
    let scratch: TestDirectory
    let source: String
    let repository: String
    let target: String
    let basin: CLIRunner

    /// A source of `docs/a.txt`, `docs/b.txt` and `top.txt`, backed up.
    init() async throws {
        scratch = try TestDirectory("cli-restore-rules")
        source = scratch.path("source")
        repository = scratch.path("repo")
        target = scratch.path("target")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
        try FileManager.default.createDirectory(atPath: source + "/docs", withIntermediateDirectories: true)
        for (name, text) in [("docs/a.txt", "alpha"), ("docs/b.txt", "beta"), ("top.txt", "top")] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: source + "/" + name))
        }
        _ = try await SnapshotFixture.makeLocalBasin(at: repository, backingUp: source)
    }

    func write(_ text: String, at relative: String) throws {
        let path = target + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: target + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func restore(_ extra: [String] = []) throws -> CLIRunner.Result {
        try basin.run(["restore", "latest:" + source, "--target", target] + extra)
    }

    @Test("an existing directory is merged into: what it held stays, the snapshot's entries are added, exit 0")
    func mergeIntoDirectories() throws {
        try write("mine", at: "docs/mine.txt")
        let result = try restore()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(read("docs/mine.txt") == "mine" && read("docs/a.txt") == "alpha" && read("top.txt") == "top")
    }

    @Test("without --overwrite, any existing entry: exit 2 naming it (and how many more), nothing written")
    func refusedWithoutOverwrite() async throws {
        try write("old a", at: "docs/a.txt")
        try write("old b", at: "docs/b.txt")
        try write("old top", at: "top.txt")
        try FileManager.default.removeItem(atPath: target + "/docs/b.txt")
        let one = try restore()
        #expect(one.status == 2, "\(one.stderr)")
        #expect(one.stderr.contains("restore would overwrite \(target)/") && one.stderr.contains("nothing was restored"), "\(one.stderr)")
        #expect(one.stderr.contains("docs/a.txt") && one.stderr.contains("top.txt"), "\(one.stderr)")
        #expect(read("docs/a.txt") == "old a" && read("top.txt") == "old top" && read("docs/b.txt") == nil, "something was written")

        // More than three conflicts: three named, the rest counted.
        for index in 0..<5 { try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/many\(index)")) }
        let many = scratch.path("many-repo")
        _ = try await SnapshotFixture.makeLocalBasin(at: many, backingUp: source)
        for index in 0..<5 { try write("y", at: "many\(index)") }
        let counted = try CLIRunner(environment: ["BASIN_REPOSITORY": many]).run(["restore", "latest:" + source, "--target", target])
        #expect(counted.status == 2 && counted.stderr.contains("more; nothing was restored"), "\(counted.stderr)")
    }

    @Test("--overwrite replaces existing files, never a non-empty directory (exit 2 naming it, the rest restored)")
    func overwriteRules() throws {
        try write("old a", at: "docs/a.txt")
        // Where the snapshot has the file top.txt, the target has a non-empty directory.
        try write("keep me", at: "top.txt/inside")
        let result = try restore(["--overwrite"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(target + "/top.txt"), "\(result.stderr)")
        #expect(read("top.txt/inside") == "keep me", "a non-empty directory was replaced")
        #expect(read("docs/a.txt") == "alpha" && read("docs/b.txt") == "beta", "the files were not replaced or restored")
    }

    @Test("a target that is a file: exit 64 naming it; an unknown snapshot 1, a path not in it 1")
    func targetAndNames() throws {
        let file = scratch.path("a-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let notDirectory = try basin.run(["restore", "latest", "--target", file])
        #expect(notDirectory.status == 64 && notDirectory.stderr.contains("the target \(file) exists and is not a directory"),
                "\(notDirectory.stderr)")
        let unknown = try basin.run(["restore", "abcdef12", "--target", target])
        #expect(unknown.status == 1 && unknown.stderr.contains("abcdef12"), "\(unknown.stderr)")
        let noPath = try basin.run(["restore", "latest:" + source + "/nope", "--target", target])
        #expect(noPath.status == 1 && noPath.stderr.contains(source + "/nope"), "\(noPath.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target), "a failed restore created the target")
    }

    @Test("a target whose disk fills: exit 14 naming the file not written, which is removed; every other file is restored whole or named",
          CIPrecondition.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullTarget() async throws {
        try #require(getuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let large = scratch.path("large")
        try FileManager.default.createDirectory(atPath: large, withIntermediateDirectories: true)
        try Data(SplitMix64.bytes(3 << 20, seed: 11)).write(to: URL(fileURLWithPath: large + "/big"))
        try Data("fits".utf8).write(to: URL(fileURLWithPath: large + "/small"))
        let largeRepository = scratch.path("large-repo")
        _ = try await SnapshotFixture.makeLocalBasin(at: largeRepository, backingUp: large)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try #require(try runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", target]).status == 0, "mount -t tmpfs failed")
        defer { _ = try? runTool("/bin/umount", [target]) }
        let result = try CLIRunner(environment: ["BASIN_REPOSITORY": largeRepository])
            .run(["restore", "latest:" + large, "--target", target + "/out"])
        #expect(result.status == 14, "\(result.stderr)")
        #expect(result.stderr.contains("cannot write \(target)/out/big") && result.stderr.contains("No space left on device"), "\(result.stderr)")
        #expect(read("out/big") == nil, "a file that could not be written is left behind")
        // Files are written side by side: the small one fits when it lands before the large one
        // fills the disk, and meets a full disk after; either way it is whole or named, never cut.
        let small = read("out/small")
        #expect(small == "fits" || (small == nil && result.stderr.contains("cannot write \(target)/out/small")),
                "small: \(small ?? "absent"); \(result.stderr)")
    }
}
