import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// check, prune, forget --prune, unlock, repair index and key, run as a user runs them.
@Suite("CLI: check, prune, forget --prune, unlock, repair index, key")
struct MaintenanceCommandTests {
    let scratch: TestDirectory
    let repository: String
    let source: String
    var basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-maintenance")
        repository = scratch.path("repo")
        source = scratch.path("source")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
    }

    /// An unencrypted, uncompressed basin (content is stored as is) with small chunks and strata.
    func initBasin(_ extra: [String] = ["--no-encryption", "--compression", "0"], runner: CLIRunner? = nil) throws {
        let result = try (runner ?? basin).run(["init", "--chunk-sizes", "4096,16384,65536", "--stratum-size", "100000"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        // `init` seals the key at the standard scrypt cost; every later command would pay it again.
        if let password = (runner ?? basin).environment["BASIN_PASSWORD"], !extra.contains("--no-encryption") {
            try KeyFiles.resealCheaply(basinAt: repository, password: password)
        }
    }

    /// Files of seeded content in `directory`, by name and size.
    func writeFiles(_ directory: String, _ files: [(String, Int, UInt64)]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, size, seed) in files {
            try Data(SplitMix64.bytes(size, seed: seed)).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    }

    func backUp(_ path: String) throws {
        let result = try basin.run(["backup", path])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Object names below the basin with their sizes.
    func listing() throws -> [String: Int] {
        var objects: [String: Int] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: repository) {
            let attributes = try FileManager.default.attributesOfItem(atPath: repository + "/" + path)
            if attributes[.type] as? FileAttributeType == .typeRegular { objects[path] = (attributes[.size] as? Int) ?? 0 }
        }
        return objects
    }

    func storedBytes() throws -> Int {
        try listing().filter { $0.key.hasSuffix(".stratum") }.values.reduce(0, +)
    }

    @Test("check: exit 0 on a whole basin; payload damage only with --read-data (exit 13, naming the stratum); structure damage without")
    func check() throws {
        try initBasin()
        let big = SplitMix64.bytes(600_000, seed: 1)
        try writeFiles(source, [("small", 3000, 2)])
        try Data(big).write(to: URL(fileURLWithPath: source + "/big"))
        try backUp(source)
        let whole = try basin.run(["check", "--read-data"])
        #expect(whole.status == 0 && whole.output.contains("no problems found"), "\(whole.output)\(whole.stderr)")

        let damaged = try SnapshotFixture.damage(Array(big[300_000...]), inLocalBasin: repository)
        let name = String(damaged.dropFirst(repository.count + 1))
        let structure = try basin.run(["check"])
        #expect(structure.status == 0, "the structure check reads no grain payload: \(structure.output)")
        let full = try basin.run(["check", "--read-data"])
        #expect(full.status == 13 && full.output.contains("problem: \(name)"), "\(full.output)")
        let json = try basin.run(["check", "--read-data", "--json"])
        #expect(json.status == 13)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["object"] as? String == name && $0["kind"] as? String == "data" })
        // Exactly one of two subsets holds the damaged stratum.
        let halves = try [1, 2].map { try basin.run(["check", "--read-data-subset", "\($0)/2"]).status }
        #expect(halves.sorted() == [0, 13])

        // A damaged footer is structure: plain check finds it.
        let meta = try #require(try listing().keys.sorted().first { $0.hasPrefix("meta/") })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: repository + "/" + meta))
        try handle.seekToEnd()
        let end = try handle.offset()
        try handle.seek(toOffset: end - 2)
        try handle.write(contentsOf: Data([0x00, 0x00]))
        try handle.close()
        let footer = try basin.run(["check"])
        #expect(footer.status == 13 && footer.output.contains(meta) && footer.output.contains("footer"), "\(footer.output)")
        #expect(try basin.run(["check", "--read-data-subset", "0/2"]).status == 64)
    }

    @Test("with every data-lane stratum overwritten by zeros, snapshots, ls, diff, find, stats, check and prune --repack-cold never still succeed: none reads the data lane")
    func coldDataLaneIsNeverRead() throws {
        let cold = scratch.path("cold")
        try initBasin(["--no-encryption", "--data-location", cold])
        try writeFiles(source, [("kept", 150_000, 1), ("gone", 250_000, 2), ("small", 2_000, 3)])
        try backUp(source)
        try FileManager.default.removeItem(atPath: source + "/gone")
        try writeFiles(source, [("new", 120_000, 4)])
        try backUp(source)
        let before = try basin.run(["snapshots", "--json"])
        let ids = try #require(try JSONSerialization.jsonObject(with: Data(before.stdout)) as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(ids.count == 2)

        // The data lane as a restore from Glacier would find it without a restore: unreadable.
        let strata = try #require(FileManager.default.subpaths(atPath: cold)).filter { $0.hasSuffix(".stratum") }
        #expect(strata.count >= 2)
        for stratum in strata {
            let path = cold + "/" + stratum
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            try Data(count: size).write(to: URL(fileURLWithPath: path))
        }

        for command in [["snapshots"], ["ls", "latest", "--recursive"], ["diff", ids[0], ids[1]], ["find", "kept"], ["stats"], ["check"],
                        ["forget", ids[0]], ["prune", "--repack-cold", "never", "--grace-period", "0"]] {
            let result = try basin.run(command)
            #expect(result.status == 0, "\(command): \(result.stdout)\(result.stderr)")
        }
        let damaged = try basin.run(["check", "--read-data"])
        #expect(damaged.status == 13 && damaged.output.contains("data/"), "\(damaged.output)")
    }

    @Test("forget --prune shrinks the basin; what is kept restores identically and checks; prune --dry-run changes nothing")
    func forgetAndPrune() throws {
        var encrypted = basin
        encrypted.environment["BASIN_PASSWORD"] = "pw"
        try initBasin([], runner: encrypted)
        try writeFiles(source, [("a", 400_000, 1), ("b", 300_000, 2), ("c", 5000, 3)])
        #expect(try encrypted.run(["backup", source]).status == 0)
        try FileManager.default.removeItem(atPath: source + "/b")
        try writeFiles(source, [("d", 200_000, 4)])
        #expect(try encrypted.run(["backup", source]).status == 0)
        let before = try storedBytes()

        let listingBefore = try listing()
        let dry = try encrypted.run(["prune", "--dry-run"])
        #expect(dry.status == 0 && dry.output.contains("dry run: nothing was changed") && dry.output.contains("to delete: 0 strata"), "\(dry.output)")
        #expect(try listing() == listingBefore)

        let pruned = try encrypted.run(["forget", "--keep-last", "1", "--prune", "--grace-period", "0", "--max-unused", "0%"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.output.contains("deleted "), "\(pruned.output)")
        let after = try storedBytes()
        // b's 300 000 bytes went, and nothing of a, c or d (each stored about as large as it is).
        #expect(before - after > 290_000 && after > 600_000, "\(before) → \(after)")
        #expect(try encrypted.run(["check", "--read-data"]).status == 0)
        let target = scratch.path("restored")
        #expect(try encrypted.run(["restore", "latest:" + source, "--target", target]).status == 0)
        let differences = try TreeComparer.compare(source: source, restored: target)
        #expect(differences.isEmpty, "\(differences)")
        let json = try encrypted.run(["prune", "--json", "--grace-period", "0"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        #expect((object["plan"] as? [String: Any])?["bytes_to_delete"] as? Int == 0)
    }

    @Test("locks: a live holder's lock makes backup exit 11 naming it; unlock keeps it, --remove-all removes it; stale locks go with unlock")
    func locks() async throws {
        try initBasin()
        try writeFiles(source, [("a", 1000, 1)])
        let repositoryObject = try await SnapshotFixture.localRepository(at: repository, create: false)
        let record = LockRecord(holder: LockHolder(hostname: "otherhost", pid: 777, username: "them"), operation: "prune (delete)",
                                exclusive: true, time: Date(), refreshed: Date())
        try await repositoryObject.basin.writeSealedObject("locks/00000000000000f1", plain: record.encoded())
        let refused = try basin.run(["backup", source])
        #expect(refused.status == 11 && refused.stderr.contains("otherhost") && refused.stderr.contains("pid 777"), "\(refused.stderr)")
        #expect(try basin.run(["check"]).status == 11)
        #expect(try basin.run(["unlock"]).output.contains("no stale locks"))
        #expect(try basin.run(["backup", source]).status == 11)
        let removed = try basin.run(["unlock", "--remove-all"])
        #expect(removed.status == 0 && removed.output.contains("locks/00000000000000f1"), "\(removed.output)")
        try backUp(source)
        #expect(try listing().keys.filter { $0.hasPrefix("locks/") }.isEmpty, "backup released its lock")

        var stale = record
        stale.refreshed = "2020-01-01T00:00:00.000Z"
        try await repositoryObject.basin.writeSealedObject("locks/00000000000000f2", plain: stale.encoded())
        try backUp(source)
        let unlocked = try basin.run(["unlock"])
        #expect(unlocked.output.contains("locks/00000000000000f2") && unlocked.output.contains("removed 1 lock"), "\(unlocked.output)")
    }

    @Test("repair index replaces a damaged segment; check reports it before and passes after")
    func repairIndex() throws {
        try initBasin()
        try writeFiles(source, [("a", 200_000, 1), ("b", 3000, 2)])
        try backUp(source)
        let segment = try #require(try listing().keys.sorted().first { $0.hasPrefix("index/") })
        let path = repository + "/" + segment
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[64 + 40] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        let damaged = try basin.run(["check"])
        #expect(damaged.status == 13 && damaged.output.contains(segment), "\(damaged.output)")
        let repaired = try basin.run(["repair", "index"])
        #expect(repaired.status == 0 && repaired.output.contains("indexed"), "\(repaired.stderr)")
        #expect(try listing()[segment] == nil)
        #expect(try basin.run(["check", "--read-data"]).status == 0)
    }

    @Test("an unencrypted basin has no keys to manage: key add is refused")
    func unencryptedKeys() throws {
        try initBasin()
        var adding = basin
        adding.environment["BASIN_NEW_PASSWORD"] = "two"
        let refused = try adding.run(["key", "add"])
        #expect(refused.status == 64 && refused.stderr.contains("not encrypted"), "\(refused.stderr)")
        #expect(try listing().keys.filter { $0.hasPrefix("keys/") }.isEmpty)
    }

    @Test("keys of an encrypted basin: several passwords open it; refusals exit 64")
    func encryptedKeys() throws {
        var one = basin
        one.environment["BASIN_PASSWORD"] = "one"
        #expect(try one.run(["init"]).status == 0)
        let passwordFile = try scratch.path("two").write("two\n")
        let added = try one.run(["key", "add", "--new-password-file", passwordFile])
        #expect(added.status == 0 && added.output.hasPrefix("added key "), "\(added.stderr)")
        let twoID = String(added.output.dropFirst("added key ".count).prefix(16))
        let listed = try one.run(["key", "list", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout)) as? [[String: Any]])
        #expect(entries.count == 2 && entries.filter { $0["current"] as? Bool == true }.count == 1)
        let oneID = try #require(entries.first { $0["current"] as? Bool == true }?["id"] as? String)
        #expect(oneID != twoID)

        var two = basin
        two.environment["BASIN_PASSWORD"] = "two"
        #expect(try two.run(["key", "list"]).output.contains("*" + twoID))
        let inUse = try one.run(["key", "remove", oneID])
        #expect(inUse.status == 64 && inUse.stderr.contains("in use"), "\(inUse.stderr)")
        #expect(try two.run(["key", "remove", String(oneID.prefix(6))]).status == 0)
        #expect(try one.run(["key", "list"]).status == 12)
        let last = try two.run(["key", "remove", twoID])
        #expect(last.status == 64 && last.stderr.contains("last key"), "\(last.stderr)")

        var passwd = two
        passwd.environment["BASIN_NEW_PASSWORD"] = "three"
        let changed = try passwd.run(["key", "passwd"])
        #expect(changed.status == 0 && changed.output.contains("removed key \(twoID)"), "\(changed.stderr)")
        #expect(try two.run(["key", "list"]).status == 12)
        var three = basin
        three.environment["BASIN_PASSWORD"] = "three"
        let final = try three.run(["key", "list", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(final.stdout)) as? [[String: Any]])?.count == 1)
        #expect(try three.run(["check"]).status == 0)
    }

    @Test("a prune process and a backup process at once: both succeed, nothing is lost")
    func pruneBesideBackupProcess() throws {
        try initBasin()
        try writeFiles(source + "/one", [("a", 500_000, 1), ("b", 300_000, 2)])
        try backUp(source + "/one")
        try writeFiles(source + "/two", (0..<40).map { ("f\($0)", 150_000, UInt64(100 + $0)) } + [("a", 500_000, 1)])
        let backup = try basin.start(["backup", source + "/two", "--retry-lock", "2m"])
        let prune = try basin.start(["forget", "--keep-last", "1", "--prune", "--grace-period", "0", "--max-unused", "0", "--retry-lock", "2m"])
        let backupResult = backup.wait()
        let pruneResult = prune.wait()
        #expect(backupResult.status == 0, "\(backupResult.stderr)")
        #expect(pruneResult.status == 0, "\(pruneResult.stderr)")
        #expect(try basin.run(["prune", "--grace-period", "0"]).status == 0)
        let check = try basin.run(["check", "--read-data"])
        #expect(check.status == 0, "\(check.output)")
        let target = scratch.path("restored")
        #expect(try basin.run(["restore", "latest:" + source + "/two", "--target", target]).status == 0)
        #expect(try TreeComparer.compare(source: source + "/two", restored: target).isEmpty)
    }
}

extension String {
    /// Writes `text` to the file at this path and returns the path.
    func write(_ text: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: self))
        return self
    }
}
