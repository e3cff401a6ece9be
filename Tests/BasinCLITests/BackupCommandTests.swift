import BasinTestSupport
import Foundation
import Testing

/// `basin backup` as a user runs it, end to end with restore, diff and snapshots.
@Suite("CLI: backup")
struct BackupCommandTests {
    @Test("backup, no-change backup, mutate, backup, diff, restore: the restored tree equals the source")
    func backupCycle() throws {
        let scratch = try TestDirectory("cli-backup")
        let source = scratch.path("source")
        _ = try TreeGenerator.generate(at: source)
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": scratch.path("repo"), "BASIN_PASSWORD": "pw"])
        #expect(try basin.run(["init", "--chunk-sizes", "65536,262144,1048576"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: scratch.path("repo"), password: "pw")
        let first = try basin.run(["backup", source, "--tag", "first", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let firstJSON = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout)) as? [String: Any])
        #expect((firstJSON["files_read"] as? Int ?? 0) > 0)
        let second = try basin.run(["backup", source, "--json"])
        let secondJSON = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout)) as? [String: Any])
        #expect(secondJSON["files_read"] as? Int == 0, "a no-change backup read files")
        #expect(secondJSON["parent"] as? String == firstJSON["snapshot_id"] as? String)

        // Mutate one file and add one.
        let changed = source + "/changed-by-test.txt"
        #expect(FileManager.default.createFile(atPath: changed, contents: Data("new".utf8)))
        let third = try basin.run(["backup", source])
        #expect(third.status == 0 && third.output.contains("1 new"), "\(third.output)")
        let diff = try basin.run(["diff", String((secondJSON["snapshot_id"] as? String ?? "").prefix(8)), "latest"])
        #expect(diff.status == 0)
        #expect(diff.output.contains("+") && diff.output.contains("changed-by-test.txt"), "\(diff.output)")

        let snapshots = try basin.run(["snapshots", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(snapshots.stdout)) as? [[String: Any]])
        #expect(list.count == 3)
        #expect((list.first?["tags"] as? [String]) == ["first"])

        let target = scratch.path("restored")
        let restore = try basin.run(["restore", "latest:" + source, "--target", target, "--verify"])
        #expect(restore.status == 0, "\(restore.stderr)")
        let differences = try TreeComparer.compare(source: source, restored: target)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
    }

    @Test("a missing path is a usage error; an unreadable file makes exit 3 with the snapshot written")
    func badPaths() throws {
        let scratch = try TestDirectory("cli-backup-bad")
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": scratch.path("repo"), "BASIN_PASSWORD": "pw"])
        #expect(try basin.run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: scratch.path("repo"), password: "pw")
        let missing = try basin.run(["backup", scratch.path("nothing-here")])
        #expect(missing.status == 64 && missing.stderr.contains("nothing-here"), "\(missing.stderr)")
        // Tests run as root, who may open any file whatever its mode; /proc/self/mem (the basin
        // process's memory) is a regular file whose read at offset 0 fails even so (EIO: page 0
        // is never mapped).
        let source = scratch.path("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: source + "/ok", contents: Data("ok".utf8)))
        let unreadable = "/proc/self/mem"
        let result = try basin.run(["backup", source, unreadable])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains(unreadable) && result.output.contains("saved"), "\(result.stderr)")
        let listing = try basin.run(["ls", "latest", source])
        #expect(listing.output.contains("ok"), "\(listing.output)")
        // The header names the path backed up; the listing holds /proc/self, not the file.
        let listed = try basin.run(["ls", "latest", "/proc"]).output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(listed.contains("/proc/self") && !listed.contains(unreadable), "\(listed)")
    }
}
