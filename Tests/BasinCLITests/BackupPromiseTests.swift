import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about `basin backup`'s options: `-x/--one-file-system`, `--parent`,
/// `--force`, `--host` and `-n/--dry-run --json`.
@Suite("CLI promises: backup options")
struct BackupPromiseTests {
    let scratch: TestDirectory
    let repository: String
    let source: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-backup-options")
        repository = scratch.path("repo")
        source = scratch.path("source")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for (name, seed) in [("a", 1), ("b", 2), ("c", 3)] as [(String, UInt64)] {
            try Data(SplitMix64.bytes(20_000, seed: seed)).write(to: URL(fileURLWithPath: source + "/" + name))
        }
        let created = try basin.run(["init", "--no-encryption", "--chunk-sizes", "4096,16384,65536", "--stratum-size", "100000"])
        #expect(created.status == 0, "\(created.stderr)")
    }

    /// Runs `backup arguments… --json` and returns its object.
    func backUp(_ arguments: [String]) throws -> [String: Any] {
        let result = try basin.run(["backup"] + arguments + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.output)")
    }

    /// Every file below the basin with its size.
    func basinFiles() throws -> [String: Int] {
        var files: [String: Int] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: repository) {
            let attributes = try FileManager.default.attributesOfItem(atPath: repository + "/" + path)
            if attributes[.type] as? FileAttributeType == .typeRegular { files[path] = attributes[.size] as? Int }
        }
        return files
    }

    @Test("--parent compares with the snapshot named; --force reads every unchanged file again; --host is recorded and picks the parent")
    func parentForceHost() throws {
        let first = try backUp([source])
        let firstID = try #require(first["snapshot_id"] as? String)
        #expect(first["parent"] == nil && first["files_read"] as? Int == 3, "\(first)")
        let second = try backUp([source])
        let secondID = try #require(second["snapshot_id"] as? String)
        #expect(second["parent"] as? String == firstID && second["files_read"] as? Int == 0, "\(second)")

        // --parent names the snapshot compared with (here the older one), by prefix too.
        let third = try backUp([source, "--parent", String(firstID.prefix(8))])
        #expect(third["parent"] as? String == firstID && third["files_read"] as? Int == 0, "\(third)")
        let unknown = try basin.run(["backup", source, "--parent", "abcdef12"])
        #expect(unknown.status == 1 && unknown.stderr.contains("abcdef12"), "\(unknown.stderr)")

        // --force: nothing changed, yet every file is read again (and no parent is used); what
        // it reads is stored already, so the data lane stays as it was.
        let data = try basinFiles().filter { $0.key.hasPrefix("data/") }
        let forced = try backUp([source, "--force"])
        #expect(try basinFiles().filter { $0.key.hasPrefix("data/") } == data, "reading again stored data")
        #expect(forced["files_read"] as? Int == 3 && forced["parent"] == nil, "\(forced)")

        // --host is recorded; the automatic parent is the latest of the same host and paths.
        let other = try backUp([source, "--host", "elsewhere"])
        let otherID = try #require(other["snapshot_id"] as? String)
        #expect(other["parent"] == nil && other["files_read"] as? Int == 3, "no snapshot of host elsewhere yet: \(other)")
        let listed = try basin.run(["snapshots", "--json", "--host", "elsewhere"])
        let snapshots = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout)) as? [[String: Any]])
        #expect(snapshots.map { $0["id"] as? String } == [otherID] && snapshots.first?["hostname"] as? String == "elsewhere")
        let again = try backUp([source, "--host", "elsewhere"])
        #expect(again["parent"] as? String == otherID && again["files_read"] as? Int == 0, "\(again)")
        #expect(secondID != otherID)
    }

    @Test("-n/--dry-run --json reads and hashes, stores nothing, prints no snapshot_id")
    func dryRunJSON() throws {
        _ = try backUp([source])
        try Data(SplitMix64.bytes(30_000, seed: 9)).write(to: URL(fileURLWithPath: source + "/new"))
        let before = try basinFiles()
        for flag in ["-n", "--dry-run"] {
            let dry = try backUp([source, flag])
            #expect(dry["snapshot_id"] == nil, "\(dry)")
            #expect(dry["parent"] is String && dry["files_read"] as? Int == 1, "\(dry)")
            let summary = try #require(dry["summary"] as? [String: Any])
            #expect(summary["files_new"] as? Int == 1 && summary["files_unmodified"] as? Int == 3, "\(summary)")
            #expect(summary["bytes_read"] as? Int == 30_000, "\(summary)")
            #expect((dry["warnings"] as? [Any])?.isEmpty == true, "\(dry)")
            #expect(try basinFiles() == before, "\(flag) stored something")
        }
    }

    @Test("-x/--one-file-system keeps a mount point below a path as an empty directory and leaves out what is mounted there",
          CIPrecondition.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func oneFileSystem() throws {
        try #require(getuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let mountPoint = source + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount -t tmpfs failed")
        defer { _ = try? runTool("/bin/umount", [mountPoint]) }
        try Data("inside".utf8).write(to: URL(fileURLWithPath: mountPoint + "/inner"))

        func listed(_ flags: [String]) throws -> Set<String> {
            let backup = try basin.run(["backup", source] + flags)
            #expect(backup.status == 0, "\(flags): \(backup.stderr)")
            let ls = try basin.run(["ls", "latest", source, "--recursive"])
            #expect(ls.status == 0, "\(ls.stderr)")
            return Set(ls.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix(source) })
        }
        for flag in ["-x", "--one-file-system"] {
            let staying = try listed([flag])
            #expect(staying.contains(mountPoint) && staying.contains(source + "/a"), "\(flag): \(staying)")
            #expect(!staying.contains(mountPoint + "/inner"), "\(flag) crossed into the tmpfs: \(staying)")
        }
        let crossing = try listed([])
        #expect(crossing.contains(mountPoint + "/inner"), "\(crossing)")
        // A path given that is itself on the other file system is backed up whole.
        let given = try basin.run(["backup", mountPoint, "-x"])
        #expect(given.status == 0, "\(given.stderr)")
        #expect(try basin.run(["ls", "latest", mountPoint, "--recursive"]).output.contains(mountPoint + "/inner"))
    }
}
