import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about prune's options and exit codes, and check's
/// `--read-data-subset` forms.
@Suite("CLI promises: prune's bounds and exits, check --read-data-subset")
struct MaintenancePromiseTests {
    let scratch: TestDirectory
    let repository: String
    let source: String
    let basin: CLIRunner

    /// Twenty one-chunk files in strata of about six, backed up; then every other file removed
    /// and backed up again, and the first snapshot forgotten: every data stratum is then about
    /// half unused, so a candidate for repacking.
    init() throws {
        scratch = try TestDirectory("cli-maintenance-promises")
        repository = scratch.path("repo")
        source = scratch.path("source")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
        let created = try basin.run(["init", "--no-encryption", "--compression", "0", "--chunk-sizes", "4096,16384,65536",
                                     "--stratum-size", "100000"])
        #expect(created.status == 0, "\(created.stderr)")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for index in 0..<20 {
            let name = String(format: "f%02d", index)
            try Data(SplitMix64.bytes(15_000, seed: UInt64(index))).write(to: URL(fileURLWithPath: source + "/" + name))
        }
        #expect(try basin.run(["backup", source]).status == 0)
        for index in stride(from: 1, to: 20, by: 2) {
            try FileManager.default.removeItem(atPath: source + String(format: "/f%02d", index))
        }
        #expect(try basin.run(["backup", source]).status == 0)
        #expect(try basin.run(["forget", "--keep-last", "1"]).status == 0)
    }

    /// Every file of the basin with its size.
    func listing() throws -> [String: Int] {
        var files: [String: Int] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: repository) {
            let attributes = try FileManager.default.attributesOfItem(atPath: repository + "/" + path)
            if attributes[.type] as? FileAttributeType == .typeRegular { files[path] = attributes[.size] as? Int }
        }
        return files
    }

    /// `prune --dry-run --json arguments…`'s plan.
    func plan(_ arguments: [String]) throws -> [String: Any] {
        let result = try basin.run(["prune", "--dry-run", "--json", "--no-compaction"] + arguments)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.output)")
        return try #require(object["plan"] as? [String: Any], "\(object)")
    }

    /// How many strata a plan field names (an array of stratum names).
    func count(_ plan: [String: Any], _ field: String) -> Int? { (plan[field] as? [Any])?.count }

    /// The strata, snapshot refs and condemnation records: what prune may change.
    func pruneState() throws -> [String: Int] {
        try listing().filter { $0.key.hasSuffix(".stratum") || $0.key.hasPrefix("snapshots/") || $0.key.hasPrefix("condemned/") }
    }

    func dataStrata() throws -> Int { try listing().keys.filter { $0.hasPrefix("data/") && $0.hasSuffix(".stratum") }.count }

    @Test("--max-repack-size bounds the live bytes written again; --repack-cold never leaves the data lane's partly used strata; malformed values exit 64")
    func repackBounds() throws {
        let unlimited = try plan([])
        let repacked = try #require(count(unlimited, "strata_to_repack"))
        let data = try dataStrata()
        #expect(repacked >= data, "every data stratum is half unused: \(unlimited)")
        #expect(count(try plan(["--repack-cold", "always"]), "strata_to_repack") == repacked)
        #expect(count(try plan(["--max-repack-size", "1G"]), "strata_to_repack") == repacked)

        let none = try plan(["--max-repack-size", "0"])
        #expect(count(none, "strata_to_repack") == 0 && none["bytes_to_repack"] as? Int == 0, "\(none)")
        #expect(none["strata_kept_partly"] as? Int == repacked, "\(none)")
        let cold = try plan(["--repack-cold", "never"])
        let coldRepacked = try #require(count(cold, "strata_to_repack"))
        #expect(coldRepacked == repacked - data, "only meta strata are repacked: \(cold)")
        #expect(cold["strata_kept_partly"] as? Int == data, "\(cold)")

        // Run for real with no budget: nothing is rewritten, the partly used strata stay.
        let before = try listing()
        let run = try basin.run(["prune", "--max-repack-size", "0", "--no-compaction", "--grace-period", "0", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        // (Both fields are left out when nothing was repacked.)
        #expect((object["repacked_strata"] as? [Any] ?? []).isEmpty && object["repack_bytes_written"] as? Int ?? 0 == 0, "\(object)")
        #expect(try listing().filter { $0.key.hasPrefix("data/") } == before.filter { $0.key.hasPrefix("data/") })

        for arguments in [["--max-repack-size", "lots"], ["--repack-cold", "sometimes"], ["--max-unused", "120%"], ["--grace-period", "soon"]] {
            let refused = try basin.run(["prune"] + arguments)
            #expect(refused.status == 64 && refused.stderr.contains(arguments[0]) && refused.stderr.contains(arguments[1]),
                    "\(arguments): \(refused.stderr)")
        }
    }

    @Test("prune exits 11 naming the holder of an exclusive lock, changing nothing; a shared lock of another process only defers deletion")
    func pruneLocked() async throws {
        let opened = try await SnapshotFixture.localRepository(at: repository, create: false)
        func lock(_ exclusive: Bool) -> LockRecord {
            LockRecord(holder: LockHolder(hostname: "otherhost", pid: 4242, username: "them"), operation: exclusive ? "index rebuild" : "backup",
                       exclusive: exclusive, time: Date(), refreshed: Date())
        }
        try await opened.basin.writeSealedObject("locks/00000000000000e1", plain: lock(true).encoded())
        let before = try listing()
        let refused = try basin.run(["prune", "--grace-period", "0"])
        #expect(refused.status == 11, "\(refused.stderr)")
        #expect(refused.stderr.contains("locked exclusively by pid 4242 on host otherhost"), "\(refused.stderr)")
        #expect(try listing() == before)

        try FileManager.default.removeItem(atPath: repository + "/locks/00000000000000e1")
        try await opened.basin.writeSealedObject("locks/00000000000000e2", plain: lock(false).encoded())
        let deferred = try basin.run(["prune", "--grace-period", "0"])
        #expect(deferred.status == 0, "\(deferred.stderr)")
        #expect(deferred.output.contains("deletion deferred to a later prune"), "\(deferred.output)")
        #expect(try dataStrata() >= before.keys.filter { $0.hasPrefix("data/") && $0.hasSuffix(".stratum") }.count,
                "a stratum was deleted under another process's lock")
    }

    @Test("prune exits 13 naming the tree it cannot read, having changed nothing")
    func pruneDamaged() throws {
        let meta = try listing().keys.filter { $0.hasPrefix("meta/") && $0.hasSuffix(".stratum") }
        try #require(!meta.isEmpty)
        for name in meta { try FileManager.default.removeItem(atPath: repository + "/" + name) }
        // Opening the basin rebuilds the index without the missing strata (a warning); prune
        // itself must change no stratum, ref or condemnation record.
        let before = try pruneState()
        for arguments in [["prune", "--grace-period", "0"], ["prune", "--dry-run"]] {
            let result = try basin.run(arguments)
            #expect(result.status == 13, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("prune stopped before changing anything") && result.stderr.contains("is missing"),
                    "\(arguments): \(result.stderr)")
            #expect(try pruneState() == before, "\(arguments) changed the basin")
        }
    }

    @Test("check --read-data-subset: N/M for every N covers every stratum once; P% reads that share (100% all); bad forms exit 64")
    func readDataSubset() throws {
        func strataRead(_ arguments: [String]) throws -> Int {
            let result = try basin.run(["check", "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.output)")
            return try #require((object["summary"] as? [String: Any])?["strata_read"] as? Int, "\(object)")
        }
        let all = try strataRead(["--read-data"])
        #expect(all == (try listing().keys.filter { $0.hasSuffix(".stratum") }.count), "--read-data reads every stratum")
        #expect(try strataRead([]) == 0)
        for groups in [1, 2, 3, all + 1] {
            let parts = try (1...groups).map { try strataRead(["--read-data-subset", "\($0)/\(groups)"]) }
            #expect(parts.reduce(0, +) == all, "\(groups) groups: \(parts)")
        }
        #expect(try strataRead(["--read-data-subset", "100%"]) == all)
        // A random share, rounded up: half of them, and at least one for a tiny share.
        #expect(try strataRead(["--read-data-subset", "50%"]) == (all + 1) / 2)
        #expect(try strataRead(["--read-data-subset", "0.1%"]) == 1)
        for form in ["0/2", "3/2", "1/0", "2", "a/b", "0%", "101%", "half"] {
            let refused = try basin.run(["check", "--read-data-subset", form])
            #expect(refused.status == 64 && refused.stderr.contains("--read-data-subset"), "\(form): \(refused.stderr)")
        }
    }
}
