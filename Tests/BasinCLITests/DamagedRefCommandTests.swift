import BasinTestSupport
import Foundation
import Testing

/// A damaged snapshot ref (`snapshots/<id>` holding garbage) locks no one out: every command
/// names it in a warning and goes on (docs/CLI.md, "Damaged snapshot refs").
@Suite("CLI: damaged snapshot refs")
struct DamagedRefCommandTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-damaged-ref")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "pw"])
    }

    /// A directory of one seeded file, backed up; returns the directory and the snapshot id.
    func backUp(_ name: String, seed: UInt64) throws -> (source: String, id: String) {
        let source = scratch.path(name)
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data(seededBytes(150_000, seed: seed)).write(to: URL(fileURLWithPath: source + "/file"))
        let result = try basin.run(["backup", source, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        return (source, try #require(json["snapshot_id"] as? String))
    }

    func overwrite(_ name: String, with bytes: [UInt8]) throws {
        let path = repository + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func snapshotIDs() throws -> [String] {
        let result = try basin.run(["snapshots", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [[String: Any]])
        return list.compactMap { $0["id"] as? String }
    }

    func expectSuccess(_ arguments: [String], warningNaming ref: String) throws {
        let result = try basin.run(arguments)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("warning: snapshot ref \(ref) is damaged"), "\(arguments): \(result.stderr)")
    }

    @Test("garbage in a ref whose snapshot grain is whole: every command works from the grain, with a warning; prune keeps its data; forget removes it")
    func recoverableRef() throws {
        #expect(try basin.run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let first = try backUp("first", seed: 1)
        let second = try backUp("second", seed: 2)
        let ref = "snapshots/" + first.id
        try overwrite(ref, with: Array("not a sealed object at all".utf8))

        try expectSuccess(["snapshots"], warningNaming: ref)
        #expect(try snapshotIDs() == [first.id, second.id])
        try expectSuccess(["ls", String(second.id.prefix(8))], warningNaming: ref)
        try expectSuccess(["restore", String(second.id.prefix(8)) + ":" + second.source, "--target", scratch.path("out2")], warningNaming: ref)
        try expectSuccess(["backup", second.source], warningNaming: ref)
        try expectSuccess(["prune", "--grace-period", "0", "--max-unused", "0%"], warningNaming: ref)
        // What only the damaged ref's snapshot reaches survived the prune.
        try expectSuccess(["restore", String(first.id.prefix(8)) + ":" + first.source, "--target", scratch.path("out1"), "--verify"],
                          warningNaming: ref)
        #expect(FileManager.default.contents(atPath: scratch.path("out1") + "/file") == Data(seededBytes(150_000, seed: 1)))

        try expectSuccess(["forget", String(first.id.prefix(8))], warningNaming: ref)
        #expect(!FileManager.default.fileExists(atPath: repository + "/" + ref))
        let after = try basin.run(["snapshots", "--json"])
        #expect(after.status == 0 && after.stderr.isEmpty, "\(after.stderr)")
    }

    @Test("a damaged ref whose snapshot grain is missing: skipped with a warning; prune refuses (exit 13) naming it until forget removes it")
    func unrecoverableRef() throws {
        #expect(try basin.run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let first = try backUp("first", seed: 3)
        let orphan = String(repeating: "ab", count: 32)
        let ref = "snapshots/" + orphan
        try overwrite(ref, with: seededBytes(300, seed: 4))

        try expectSuccess(["snapshots"], warningNaming: ref)
        #expect(try snapshotIDs() == [first.id])
        try expectSuccess(["ls", "latest"], warningNaming: ref)
        try expectSuccess(["backup", first.source], warningNaming: ref)

        let prune = try basin.run(["prune", "--grace-period", "0"])
        #expect(prune.status == 13, "\(prune.stderr)")
        #expect(prune.stderr.contains("prune changed nothing") && prune.stderr.contains(ref), "\(prune.stderr)")

        let forget = try basin.run(["forget", "abab"])
        #expect(forget.status == 0, "\(forget.stderr)")
        #expect(forget.output.contains("removed the damaged snapshot ref \(ref)"), "\(forget.output)")
        #expect(!FileManager.default.fileExists(atPath: repository + "/" + ref))
        let pruneAgain = try basin.run(["prune", "--grace-period", "0"])
        #expect(pruneAgain.status == 0 && !pruneAgain.stderr.contains("damaged"), "\(pruneAgain.stderr)")
    }

    @Test("repair snapshots rewrites a ref from its grain and moves one that cannot be rebuilt to quarantine/; check passes after")
    func repairSnapshots() throws {
        #expect(try basin.run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let first = try backUp("first", seed: 5)
        let damaged = "snapshots/" + first.id
        let orphan = "snapshots/" + String(repeating: "cd", count: 32)
        try overwrite(damaged, with: Array("garbage".utf8))
        try overwrite(orphan, with: Array("more garbage".utf8))
        #expect(try basin.run(["check"]).status == 13)

        let repair = try basin.run(["repair", "snapshots"])
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.output.contains("rewrote \(damaged) from its snapshot grain") && repair.output.contains("removed \(orphan)"),
                "\(repair.output)")
        let quarantined = try FileManager.default.subpathsOfDirectory(atPath: repository + "/quarantine/snapshots")
        #expect(quarantined.count == 2, "\(quarantined)")
        let check = try basin.run(["check"])
        #expect(check.status == 0, "\(check.output)\(check.stderr)")
        #expect(try snapshotIDs() == [first.id])

        // A repair cut short after deleting the damaged ref, before writing it again: the
        // next repair writes it from its grain, seeing only the quarantined copy.
        try FileManager.default.removeItem(atPath: repository + "/" + damaged)
        #expect(try snapshotIDs().isEmpty)
        let again = try basin.run(["repair", "snapshots"])
        #expect(again.status == 0 && again.output.contains("rewrote \(damaged) from its snapshot grain: only its quarantined copy"),
                "\(again.output)\(again.stderr)")
        #expect(try snapshotIDs() == [first.id])
        #expect(try basin.run(["check"]).status == 0)
    }
}
