import BasinTestSupport
import Foundation
import Testing

/// A backup and `forget --prune --grace-period 0` run at once, as two real processes: the
/// backup never fails because prune deleted something it had seen (docs/FORMAT.md, "Prune").
@Suite("CLI: backup beside forget --prune")
struct PruneBesideBackupCommandTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-prune-beside-backup")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "pw"])
    }

    /// Changes the tree for round `round`: a new file, a rewritten one, and the previous
    /// round's file gone, so each backup adds data and each prune has some to delete.
    func change(_ source: String, round: Int) throws -> [String: Data] {
        try? FileManager.default.removeItem(atPath: source + "/new-\(round - 1)")
        try Data(seededBytes(250_000 + round, seed: UInt64(100 + round))).write(to: URL(fileURLWithPath: source + "/new-\(round)"))
        try Data(seededBytes(1_500_000, seed: UInt64(500 + round))).write(to: URL(fileURLWithPath: source + "/rewritten"))
        try Data(seededBytes(40_000, seed: 7)).write(to: URL(fileURLWithPath: source + "/same"))
        return try contents(of: source)
    }

    func contents(of directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }

    /// Waits until `path` holds an entry or `running` has ended: a point in prune's run
    /// observed from outside (its lock taken; its condemnation record written).
    func waitForEntry(in path: String, orEndOf running: CLIRunner.Running) {
        let deadline = Date().addingTimeInterval(Double(CLIRunner.commandTimeout))
        while Date() < deadline, running.process.isRunning {
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: path), !entries.isEmpty { return }
            usleep(500)
        }
    }

    @Test("backups started beside forget --prune --grace-period 0 (at once, once prune holds its lock, once it has condemned): every one succeeds and restores identically; check --read-data stays clean")
    func backupBesidePrune() throws {
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        #expect(try basin.run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        _ = try change(source, round: 0)
        #expect(try basin.run(["backup", source]).status == 0)

        let rounds = 15
        var overlapping = 0
        for round in 1...rounds {
            let expected = try change(source, round: round)
            let prune = try basin.start(["forget", "--keep-last", "1", "--prune", "--grace-period", "0", "--max-unused", "0%"])
            switch round % 3 {
            case 1: waitForEntry(in: repository + "/locks", orEndOf: prune)
            case 2: waitForEntry(in: repository + "/condemned", orEndOf: prune)
            default: break
            }
            let pruneRanAtStart = prune.process.isRunning
            // --retry-lock: a backup that meets prune's exclusive lock waits instead of failing (exit 11).
            let backup = try basin.run(["backup", source, "--json", "--retry-lock", "5m"])
            let pruneRanAtEnd = prune.process.isRunning
            let pruned = try #require(prune.wait(seconds: CLIRunner.commandTimeout), "forget --prune did not finish")
            print("round \(round): prune running at the backup's start \(pruneRanAtStart), at its end \(pruneRanAtEnd); prune: \(pruned.output.split(separator: "\n").filter { $0.hasPrefix("deleted") || $0.hasPrefix("deletion deferred") })")
            #expect(pruned.status == 0, "round \(round): forget --prune: \(pruned.stderr)")
            #expect(backup.status == 0, "round \(round): backup: \(backup.stderr)")
            guard backup.status == 0 else { continue }
            let json = try #require(try JSONSerialization.jsonObject(with: Data(backup.stdout)) as? [String: Any])
            let id = try #require(json["snapshot_id"] as? String)
            // Both processes alive at once, and prune deleted strata or deferred deleting them.
            if pruneRanAtStart, pruned.output.contains("\ndeleted ") || pruned.output.contains("deletion deferred") {
                overlapping += 1
            }

            let target = scratch.path("restored-\(round)")
            let restored = try basin.run(["restore", "\(id):\(source)", "--target", target, "--verify"])
            #expect(restored.status == 0, "round \(round): restore: \(restored.stderr)")
            #expect(try contents(of: target) == expected, "round \(round): the restored tree differs")
            let check = try basin.run(["check", "--read-data"])
            #expect(check.status == 0, "round \(round): check: \(check.output)\(check.stderr)")
        }
        #expect(overlapping > 0, "no round had backup and prune running at once: the test proved nothing")
    }
}
