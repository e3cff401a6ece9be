import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Signals during a backup, and the locks a process leaves (docs/CLI.md, "Locks").
@Suite("CLI: interrupted backups and locks of other hosts")
struct InterruptionCommandTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-interrupt")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "pw"])
    }

    /// Paths of the regular files below the basin whose path satisfies `matching`.
    func files(_ matching: (String) -> Bool) -> [String] {
        (FileManager.default.subpaths(atPath: repository) ?? []).filter { path in
            var isDirectory: ObjCBool = false
            return matching(path) && FileManager.default.fileExists(atPath: repository + "/" + path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
    }

    /// Polls until `condition` holds or the process ends; false when it ended first or the
    /// deadline passed.
    func waitUntil(_ running: CLIRunner.Running, deadline seconds: Double = 120, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && running.process.isRunning {
            if condition() { return true }
            usleep(10_000)
        }
        return false
    }

    /// Sends `signal` to a backup once `started` holds; returns its result.
    func interrupt(_ source: String, with signal: Int32, once started: () -> Bool) throws -> CLIRunner.Result {
        let running = try basin.start(["backup", source])
        let began = waitUntil(running, started)
        if began { kill(running.process.processIdentifier, signal) }
        let result = try #require(running.wait(seconds: 120), "the backup did not end after the signal")
        #expect(began, "the backup ended before it was seen to start: \(result.status) \(result.stderr)")
        return result
    }

    @Test("SIGINT, then SIGTERM, during a backup: exit 130 and 143, lock removed, no snapshot, no temporary file; the next backup reuses what was committed")
    func signals() throws {
        #expect(try basin.run(["init", "--stratum-size", "1000000", "--chunk-sizes", "65536,262144,1048576"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let size = 24 << 20
        try Data(seededBytes(size, seed: 11)).write(to: URL(fileURLWithPath: source + "/a-random"))
        // A sparse file of zeros keeps the backup reading long after the random file's strata
        // are committed (its chunks all dedupe to one, so it fills no stratum).
        let sparse = source + "/z-sparse"
        #expect(FileManager.default.createFile(atPath: sparse, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: sparse))
        try handle.truncate(atOffset: 1 << 40)
        try handle.close()

        let first = try interrupt(source, with: SIGINT) { !files { $0.hasPrefix("data/") && $0.hasSuffix(".stratum") }.isEmpty }
        #expect(!first.signaled && first.status == 130, "\(first.status) \(first.stderr)")
        #expect(first.stderr.contains("interrupted by SIGINT") && first.stderr.contains("released"), "\(first.stderr)")
        #expect(files { $0.hasPrefix("locks/") }.isEmpty)
        #expect(files { $0.contains(".tmp-") }.isEmpty)
        #expect(files { $0.hasPrefix("snapshots/") }.isEmpty)
        let committed = files { $0.hasPrefix("data/") && $0.hasSuffix(".stratum") }.count
        #expect(committed > 0)

        let second = try interrupt(source, with: SIGTERM) { !files { $0.hasPrefix("locks/") }.isEmpty }
        #expect(!second.signaled && second.status == 143, "\(second.status) \(second.stderr)")
        #expect(second.stderr.contains("interrupted by SIGTERM"), "\(second.stderr)")
        #expect(files { $0.hasPrefix("locks/") }.isEmpty)
        #expect(files { $0.contains(".tmp-") }.isEmpty)

        try FileManager.default.removeItem(atPath: sparse)
        let resumed = try basin.run(["backup", source, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout)) as? [String: Any])
        let added = try #require((json["summary"] as? [String: Any])?["bytes_added"] as? Int)
        #expect(added < size, "the resumed backup stored \(added) of \(size) bytes again")
        let check = try basin.run(["check"])
        #expect(check.status == 0, "\(check.output)\(check.stderr)")
        let restored = scratch.path("restored")
        #expect(try basin.run(["restore", "latest:" + source, "--target", restored]).status == 0)
        #expect(FileManager.default.contents(atPath: restored + "/a-random") == Data(seededBytes(size, seed: 11)))
    }

    @Test("a live lock of another host: the blocked command and unlock say the same (stale at a time, or unlock --remove-all)")
    func otherHostLock() async throws {
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
        #expect(try basin.run(["init", "--no-encryption"]).status == 0)
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let opened = try await SnapshotFixture.localRepository(at: repository, create: false).basin
        let record = LockRecord(holder: LockHolder(hostname: "elsewhere", pid: 4242, username: "them"), operation: "prune (delete)",
                                exclusive: true, time: Date(), refreshed: Date())
        try await opened.writeSealedObject("locks/00000000000000f1", plain: record.encoded())

        let blocked = try basin.run(["prune"])
        #expect(blocked.status == 11, "\(blocked.stderr)")
        let remedy = try #require(blocked.stderr.components(separatedBy: "[locks/00000000000000f1]; ").last?
            .trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(remedy.contains("goes stale at") && remedy.contains("basin unlock --remove-all"), "\(blocked.stderr)")
        #expect(!remedy.contains("basin unlock removes stale locks"), "\(remedy)")

        let unlock = try basin.run(["unlock"])
        #expect(unlock.status == 0)
        #expect(unlock.output.contains("no stale locks") && unlock.output.contains("kept locks/00000000000000f1"), "\(unlock.output)")
        #expect(unlock.output.contains(remedy), "\(unlock.output)")
        #expect(try basin.run(["unlock", "--remove-all"]).output.contains("locks/00000000000000f1"))
        #expect(try basin.run(["backup", source]).status == 0)
    }
}
