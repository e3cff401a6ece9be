import BasinCore
import BasinLocal
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Stored values and names, run as a user runs them: put keeps what it stores
/// across prunes until rm, names, atomic multi-file puts, kill -9, two writers at once.
@Suite("CLI: put keeps values, names, rm, atomic batches")
struct RootCommandTests {
    let scratch: ScratchDirectory
    let repository: String
    var basin: CLIRunner

    init() throws {
        scratch = try ScratchDirectory()
        repository = scratch.path + "/repo"
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
    }

    /// Small chunks and strata, so a few hundred KiB make clasts and several strata.
    func initBasin(_ extra: [String] = ["--no-encryption"], _ runner: CLIRunner? = nil) async throws {
        let result = try await (runner ?? basin).execute(["init", "--chunk-sizes", "4096,16384,65536", "--stratum-size", "100000"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        // `init` seals the key at the standard scrypt cost; every later command would pay it again.
        if let password = (runner ?? basin).environment["BASIN_PASSWORD"], !extra.contains("--no-encryption") {
            try KeyFiles.resealCheaply(basinAt: repository, password: password)
        }
    }

    /// Runs basin and expects it to succeed; returns its stdout's lines.
    @discardableResult
    func succeed(_ arguments: [String], _ runner: CLIRunner? = nil) async throws -> [String] {
        let result = try await (runner ?? basin).execute(arguments)
        #expect(result.status == 0 && !result.signaled, "basin \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.output.split(separator: "\n").map(String.init)
    }

    /// Runs basin and expects exit `status` with `message` on stderr.
    func fail(_ arguments: [String], status: Int32, _ message: String) async throws {
        let result = try await basin.execute(arguments)
        #expect(result.status == status && result.stderr.contains(message),
                "basin \(arguments.joined(separator: " ")): exit \(result.status), \(result.stderr)")
    }

    func prune() async throws {
        try await succeed(["prune", "--grace-period", "0"])
    }

    func openBasin(password: String? = nil) async throws -> Basin {
        try await Basin.open(backend: try LocalBackend(directory: repository, create: false), password: password,
                             resolve: SnapshotFixture.noLanes)
    }

    /// Every root record, decoded, in fold order.
    func rootRecords(password: String? = nil) async throws -> [RootRecord] {
        let basin = try await openBasin(password: password)
        var records: [RootRecord] = []
        for name in try await basin.roots().records { records.append(try RootRecord.decode(try await basin.readSealedObject(name))) }
        return records
    }

    @Test("a value put survives two prunes; rm then prune reclaims it; rm of what is not stored exits 1")
    func putSurvivesPrune() async throws {
        try await initBasin()
        let small = try scratch.file("small", seededBytes(100, seed: 1))
        let large = try scratch.file("large", seededBytes(600_000, seed: 2))
        let smallKey = try #require(try await succeed(["put", small]).first)
        let largeKey = try #require(try await succeed(["put", large]).first)
        try await prune()
        try await prune()
        for (key, seed, size) in [(smallKey, 1, 100), (largeKey, 2, 600_000)] {
            let get = try await basin.execute(["get", key])
            #expect(get.status == 0 && get.stdout == seededBytes(size, seed: UInt64(seed)), "\(get.stderr)")
        }
        #expect(try await succeed(["check", "--read-data"]).last?.contains("no problems") ?? false)
        try await succeed(["rm", largeKey])
        try await prune()
        try await fail(["get", largeKey], status: 1, "no grain with key \(largeKey)")
        #expect(try await basin.execute(["get", smallKey]).stdout == seededBytes(100, seed: 1))
        try await fail(["rm", largeKey], status: 1, "\(largeKey) is not a stored value")
        try await fail(["rm", smallKey, largeKey], status: 1, "nothing was removed")
        #expect(try await basin.execute(["get", smallKey]).status == 0)
        try await fail(["rm", "xyz"], status: 64, "not a key")
    }

    /// Files in the basin's directory (strata, index segments, root records, config, …).
    func basinFiles() throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: repository).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: repository + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    @Test("30 one-value put processes leave a stratum each; prune compacts them into one, every value reads back, check is clean")
    func pruneCompactsPuts() async throws {
        try await initBasin()
        var keys: [String: Int] = [:]
        for n in 0..<30 {
            let file = try scratch.file("value\(n)", seededBytes(200 + n, seed: UInt64(300 + n)))
            keys[try #require(try await succeed(["put", file]).first)] = n
        }
        let before = try basinFiles()
        #expect(before.filter { $0.hasPrefix("data/") }.count == 30)
        let dryRun = try await succeed(["prune", "--dry-run"])
        #expect(dryRun.contains { $0.hasPrefix("to compact: 30 strata (data 30, meta 0)") }, "\(dryRun)")
        #expect(try await succeed(["prune", "--grace-period", "0", "--no-compaction"]).contains { $0.contains("compact") } == false)
        #expect(try basinFiles().filter { $0.hasPrefix("data/") }.count == 30)
        let output = try await succeed(["prune", "--grace-period", "0"])
        #expect(output.contains { $0.hasPrefix("repacked and compacted 30 strata: 30 grains into 1 new strata") }, "\(output)")
        let after = try basinFiles()
        #expect(after.filter { $0.hasPrefix("data/") }.count == 1 && after.count < 10, "\(after)")
        for (key, n) in keys {
            let get = try await basin.execute(["get", key])
            #expect(get.status == 0 && get.stdout == seededBytes(200 + n, seed: UInt64(300 + n)), "\(key): \(get.stderr)")
        }
        #expect(try await succeed(["check", "--read-data"]).last?.contains("no problems") ?? false)
    }

    @Test("put --name, get --name, names with prefix and --json, setting a name again, rm --name")
    func namedKeys() async throws {
        try await initBasin()
        let files = try (0..<3).map { try scratch.file("f\($0)", seededBytes(50_000 + $0, seed: UInt64(10 + $0))) }
        let a = try #require(try await succeed(["put", "--name", "photos/a", files[0]]).first)
        let b = try #require(try await succeed(["put", "--name", "photos/b", files[1]]).first)
        let c = try #require(try await succeed(["put", "--name", "docs/c", files[2]]).first)
        #expect(try await succeed(["names"]) == ["\(c)  docs/c", "\(a)  photos/a", "\(b)  photos/b"])
        #expect(try await succeed(["names", "photos/"]) == ["\(a)  photos/a", "\(b)  photos/b"])
        #expect(try await succeed(["names", "zzz"]).isEmpty)
        let json = try await basin.execute(["names", "photos/b", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: String]])
        #expect(entries == [["key": b, "name": "photos/b"]])
        #expect(try await basin.execute(["get", "--name", "photos/a"]).stdout == seededBytes(50_000, seed: 10))

        // Set again: the name now maps to the other value; the first is named by nothing.
        #expect(try await succeed(["put", "--name", "photos/a", files[2]]) == [c])
        #expect(try await succeed(["names", "photos/a"]) == ["\(c)  photos/a"])
        #expect(try await basin.execute(["get", "--name", "photos/a"]).stdout == seededBytes(50_002, seed: 12))
        try await succeed(["rm", "--name", "photos/b"])
        #expect(try await succeed(["names"]) == ["\(c)  docs/c", "\(c)  photos/a"])
        try await fail(["rm", "--name", "photos/b"], status: 1, "no key is named 'photos/b'")
        try await fail(["get", "--name", "photos/b"], status: 1, "no key is named 'photos/b'")
        try await fail(["rm", "b", "--name"], status: 1, "no key is named 'b'")
        try await prune()
        for key in [a, b] { try await fail(["get", key], status: 1, "no grain with key \(key)") }
        #expect(try await basin.execute(["get", "--name", "docs/c"]).stdout == seededBytes(50_002, seed: 12))
        try await fail(["put", "--name", "x", files[0], files[1]], status: 64, "give --name once per file")
        try await fail(["get", a, "--name", "docs/c"], status: 64, "give a key or --name NAME")
    }

    @Test("put of several files: one commit (one root record, one data stratum), KEY  FILE lines exactly as b3sum prints them")
    func batchPut() async throws {
        try await initBasin()
        let files = try (0..<3).map { try scratch.file("small\($0)", seededBytes(1000 * ($0 + 1), seed: UInt64(20 + $0))) }
        let put = try await basin.execute(["put"] + files)
        #expect(put.status == 0, "\(put.stderr)")
        let b3sum = try runTool("/usr/bin/b3sum", files)
        #expect(put.output == b3sum.output && put.output.split(separator: "\n").count == 3)
        let records = try await rootRecords()
        #expect(records.count == 1 && records.first?.operations.count == 3)
        let strata = try FileManager.default.subpathsOfDirectory(atPath: repository + "/data").filter { $0.hasSuffix(".stratum") }
        #expect(strata.count == 1)
        let named = try await basin.execute(["put", "--name", "one", "--name", "two", files[0], files[1]])
        #expect(named.status == 0 && named.output.hasSuffix("  \(files[1])\n"))
        #expect(try await succeed(["names"]).map { $0.split(separator: " ").last.map(String.init) } == ["one", "two"])
        #expect(try await rootRecords().count == 2)
    }

    @Test("kill -9 of a three-file put at random moments: all three values are roots or none, printed keys are kept, check is clean",
          .timeLimit(.minutes(10)))
    func killedBatch() async throws {
        let seed = ProcessInfo.processInfo.environment["BASIN_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64(Date().timeIntervalSince1970 * 1000)
        print("killedBatch seed \(seed) (BASIN_TEST_SEED to repeat)")
        var rng = SplitMix64(seed: seed)
        let sizes = [700_000, 500_000, 900_000]
        let files = try sizes.enumerated().map { try scratch.file("big\($0.offset)", seededBytes($0.element, seed: seed &+ UInt64($0.offset))) }
        let keys = files.map { Key(hex: try! runTool("/usr/bin/b3sum", ["--no-names", $0]).output.trimmingCharacters(in: .whitespacesAndNewlines))! }

        // An uninterrupted put, timed: the kills land anywhere from its start to past its end.
        try await initBasin()
        let started = Date()
        try await succeed(["put"] + files)
        let duration = Date().timeIntervalSince(started)
        var outcomes: [String: Int] = [:]
        for round in 0..<12 {
            try FileManager.default.removeItem(atPath: repository)
            try await initBasin()
            let delay = Double(rng.next() % 1000) / 1000 * duration * 1.2
            let label = "seed \(seed) round \(round), kill after \(Int(delay * 1000)) ms of \(Int(duration * 1000))"
            let running = try basin.start(["put"] + files)
            // The kill's moment is what the round tests: any instant of the put is a valid one.
            try await Task.sleep(for: .seconds(delay))
            kill(running.process.processIdentifier, SIGKILL)
            let result = await running.finished()
            let roots = try await openBasin().roots().state.keys
            let printed = result.output.split(separator: "\n").compactMap { Key(hex: String($0.prefix(64))) }
            #expect(roots.isEmpty || roots == Set(keys), "\(label): \(roots.count) of 3 keys are roots")
            #expect(printed.isEmpty || Set(printed) == roots, "\(label): printed keys that are not kept")
            #expect(result.signaled || roots == Set(keys), "\(label): a put that finished keeps its values")
            outcomes[roots.isEmpty ? "none" : result.signaled ? "all, killed" : "all, finished", default: 0] += 1
            let check = try await basin.execute(["check"])
            #expect(check.status == 0, "\(label): \(check.output) \(check.stderr)")
            if !roots.isEmpty {
                for (key, file) in zip(keys, files) {
                    #expect(try await basin.execute(["get", key.hex]).stdout == Array(FileManager.default.contents(atPath: file)!), "\(label)")
                }
            }
        }
        print("killedBatch outcomes: \(outcomes)")
    }

    @Test("two processes setting the same name at once: both records land, the later one (time, then id) wins everywhere")
    func concurrentNames() async throws {
        try await initBasin()
        let first = try scratch.file("first", seededBytes(30_000, seed: 31))
        let second = try scratch.file("second", seededBytes(30_000, seed: 32))
        for round in 0..<3 {
            let name = "shared\(round)"
            let one = try basin.start(["put", "--name", name, first])
            let two = try basin.start(["put", "--name", name, second])
            let results = [await one.finished(), await two.finished()]
            for result in results { #expect(result.status == 0, "\(result.stderr)") }
            let records = try await rootRecords().filter { record in
                record.operations.contains { if case .setName(name, _) = $0 { true } else { false } }
            }
            #expect(records.count == 2, "both records land")
            guard case let .setName(_, winner)? = records.last?.operations.first else {
                Issue.record("the later record sets no name")
                continue
            }
            let keys = try results.map { try #require(Key(hex: $0.output.trimmingCharacters(in: .whitespacesAndNewlines))) }
            #expect(keys.contains(winner) && keys[0] != keys[1])
            #expect(try await succeed(["names", name]) == ["\(winner.hex)  \(name)"])
            let expected = try #require(FileManager.default.contents(atPath: winner == keys[0] ? first : second))
            #expect(try await basin.execute(["get", "--name", name]).stdout == Array(expected))
        }
        // A prune folds the records and keeps the outcome.
        let before = try await succeed(["names"])
        try await prune()
        #expect(try await succeed(["names"]) == before)
        #expect(try await rootRecords().count == 1)
    }

    @Test("encrypted basin: names and stored values work, and no name appears in clear in any file of the basin")
    func encryptedNames() async throws {
        var encrypted = basin
        encrypted.environment["BASIN_PASSWORD"] = "correct horse"
        try await initBasin([], encrypted)
        let name = "secret-name-zebra-4711"
        let file = try scratch.file("value", seededBytes(40_000, seed: 41))
        let key = try #require(try await succeed(["put", "--name", name, file], encrypted).first)
        try await succeed(["put", file], encrypted)
        #expect(try await succeed(["names"], encrypted) == ["\(key)  \(name)"])
        #expect(try await encrypted.execute(["get", "--name", name]).stdout == seededBytes(40_000, seed: 41))
        try await succeed(["prune", "--grace-period", "0"], encrypted)
        let needle = Data(name.utf8)
        let prefix = Data("secret-name".utf8)
        var files = 0
        for path in try FileManager.default.subpathsOfDirectory(atPath: repository) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: repository + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let contents = try #require(FileManager.default.contents(atPath: repository + "/" + path))
            #expect(contents.range(of: needle) == nil && contents.range(of: prefix) == nil, "\(path) holds the name in clear")
            #expect(!path.contains("secret"), "\(path) names the name")
            files += 1
        }
        #expect(files > 3)
        #expect(try await rootRecords(password: "correct horse").count == 1)
    }
}
