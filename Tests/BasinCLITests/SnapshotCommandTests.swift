import BasinBackend
import BasinCore
import BasinLocal
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// snapshots, ls, diff, find and forget, run as a user runs them, on snapshots built in the
/// test (the backup command comes separately).
@Suite("CLI: snapshots, ls, diff, find, forget")
struct SnapshotCommandTests {
    let scratch: ScratchDirectory
    let repository: String
    var basin: CLIRunner

    init() throws {
        scratch = try ScratchDirectory()
        repository = scratch.path + "/repo"
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "TZ": "UTC"])
    }

    typealias Node = SnapshotRepository.FixtureNode

    static func tree(_ a: String, extra: [Node] = []) -> [Node] {
        [.directory("home", [.directory("u", [
            .directory("docs", [.file("a.txt", Array(a.utf8)), .file("b.txt", Array("bee".utf8))] + extra),
            .symlink("link", target: "docs/a.txt"),
        ])])]
    }

    /// Creates the basin with the binary, then opens it here to store snapshots.
    func snapshotRepository() async throws -> SnapshotRepository {
        let created = try basin.run(["init", "--no-encryption"])
        try #require(created.status == 0, "\(created.stderr)")
        let backend = try LocalBackend(directory: repository, create: false)
        let opened = try await Basin.open(backend: backend, password: nil, resolve: { location throws(BasinError) in
            throw BasinError(.notFound, "no lane at \(location) in this test")
        })
        return SnapshotRepository(basin: opened)
    }

    func refs() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: repository + "/snapshots"))
    }

    func objects(_ folder: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: repository + "/" + folder).sorted()
    }

    func lines(_ result: CLIRunner.Result) -> [String] {
        result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("snapshots: the table and --json (restic's fields), with host and tag filters")
    func snapshotsListing() async throws {
        let snapshots = try await snapshotRepository()
        let one = try await snapshots.saveFixtureSnapshot(Self.tree("1"), time: utc("2024-03-01T10:00:00Z"), hostname: "alpha", tags: ["t", "x"])
        let two = try await snapshots.saveFixtureSnapshot(Self.tree("2"), time: utc("2024-03-02T10:00:00Z"), hostname: "beta")
        let three = try await snapshots.saveFixtureSnapshot(Self.tree("3"), time: utc("2024-03-03T10:00:00Z"), hostname: "alpha", tags: ["t"])

        let json = try basin.run(["snapshots", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]])
        #expect(array.map { $0["id"] as? String } == [one.id.hex, two.id.hex, three.id.hex])
        #expect(array.map { $0["short_id"] as? String } == [one.id.hex, two.id.hex, three.id.hex].map { String($0.prefix(8)) })
        #expect(array.map { $0["hostname"] as? String } == ["alpha", "beta", "alpha"])
        #expect(array[0]["tags"] as? [String] == ["t", "x"] && array[1]["tags"] as? [String] == [])
        #expect(array[0]["paths"] as? [String] == ["/home"] && array[0]["username"] as? String == "user")
        #expect(array[0]["time"] as? String == "2024-03-01T10:00:00.000000000Z")
        #expect(array[2]["tree"] as? String == three.record.tree && array[2]["program_version"] as? String == "basin test")
        #expect((array[0]["summary"] as? [String: Any])?["total_bytes"] as? Int == 1234)

        let filtered = try basin.run(["snapshots", "--json", "--host", "alpha", "--tag", "x"])
        let few = try #require(try JSONSerialization.jsonObject(with: Data(filtered.stdout)) as? [[String: Any]])
        #expect(few.map { $0["id"] as? String } == [one.id.hex])

        let table = try basin.run(["snapshots", "--tag", "t"])
        #expect(table.status == 0)
        let rows = lines(table)
        #expect(rows.first?.hasPrefix("ID        Time                 Host   Tags") == true, "\(table.output)")
        #expect(rows.contains { $0.hasPrefix(one.shortID + "  2024-03-01 10:00:00  alpha  t,x") }, "\(table.output)")
        #expect(rows.contains { $0.hasPrefix(three.shortID) } && !table.output.contains(two.shortID))
        #expect(table.output.contains("2 snapshots") && table.output.contains("1.205 KiB"))
        #expect(try basin.run(["snapshots", "--compact"]).output.contains(two.shortID))
    }

    @Test("ls: everything, a directory, --long and --json; latest follows --host")
    func ls() async throws {
        let snapshots = try await snapshotRepository()
        let older = try await snapshots.saveFixtureSnapshot(Self.tree("old"), time: utc("2024-03-01T10:00:00Z"), hostname: "alpha")
        _ = try await snapshots.saveFixtureSnapshot(Self.tree("new"), time: utc("2024-03-02T10:00:00Z"), hostname: "beta")

        let all = try basin.run(["ls", "latest"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(Array(lines(all).dropFirst()) == ["/home", "/home/u", "/home/u/docs", "/home/u/docs/a.txt", "/home/u/docs/b.txt",
                                                  "/home/u/link", ""])
        let directory = try basin.run(["ls", older.shortID, "/home/u"])
        #expect(Array(lines(directory).dropFirst()) == ["/home/u", "/home/u/docs", "/home/u/link", ""])
        let recursive = try basin.run(["ls", older.shortID, "/home/u/docs", "--recursive"])
        #expect(lines(recursive).count == 5)

        let long = try basin.run(["ls", "latest", "--host", "alpha", "--long", "/home/u/docs/a.txt"])
        #expect(long.status == 0 && long.output.hasPrefix("snapshot \(older.shortID) of [/home]"), "\(long.output)")
        let fields = try #require(lines(long).dropFirst().first).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(fields == ["-rw-r--r--", "user", "users", "3", "2023-11-14", "22:13:20", "/home/u/docs/a.txt"])
        let link = try basin.run(["ls", "latest", "-l", "/home/u/link"])
        #expect(link.output.contains("lrwxrwxrwx") && link.output.contains("/home/u/link -> docs/a.txt"))

        let json = try basin.run(["ls", "latest", "--json", "/home/u/docs"])
        let objects = try lines(json).filter { !$0.isEmpty }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["struct_type"] as? String } == ["snapshot", "node", "node", "node"])
        #expect(objects[2]["path"] as? String == "/home/u/docs/a.txt" && objects[2]["size"] as? Int == 3)
        #expect(objects[2]["permissions"] as? String == "-rw-r--r--" && objects[2]["mode"] as? Int == 0o644)
        #expect(objects[2]["mtime"] as? String == "2023-11-14T22:13:20.000000000Z" && objects[2]["type"] as? String == "file")

        let missing = try basin.run(["ls", "latest", "/home/nobody"])
        #expect(missing.status == 1 && missing.stderr.contains("/home/nobody"), "\(missing.stderr)")
        #expect(try basin.run(["ls", "latest", "home/u"]).status == 64)
    }

    @Test("diff: markers, statistics, --json")
    func diff() async throws {
        let snapshots = try await snapshotRepository()
        let first = try await snapshots.saveFixtureSnapshot(Self.tree("one"), time: utc("2024-03-01T10:00:00Z"))
        let second = try await snapshots.saveFixtureSnapshot(Self.tree("two!", extra: [.file("c.txt", Array("sea".utf8))]),
                                                             time: utc("2024-03-02T10:00:00Z"))
        let result = try basin.run(["diff", first.shortID, "latest"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines(result).prefix(5) == ["comparing snapshot \(first.shortID) to \(second.shortID):", "",
                                            "M    /home/u/docs/a.txt", "+    /home/u/docs/c.txt", ""])
        #expect(result.output.contains("Files:            1 new,     0 removed,     1 changed"), "\(result.output)")
        #expect(result.output.contains("Added:   7 B") && result.output.contains("Removed: 3 B"))

        let json = try basin.run(["diff", "--json", first.id.hex, second.id.hex])
        let messages = try lines(json).filter { !$0.isEmpty }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(messages.map { $0["message_type"] as? String } == ["change", "change", "statistics"])
        #expect(messages[0]["modifier"] as? String == "M" && messages[0]["size_before"] as? Int == 3 && messages[0]["size_after"] as? Int == 4)
        let summary = try #require(messages[2]["summary"] as? [String: Any])
        #expect(summary["files_added"] as? Int == 1 && summary["bytes_added"] as? Int == 7)
    }

    @Test("find: newest snapshot first, --json, -i")
    func find() async throws {
        let snapshots = try await snapshotRepository()
        let first = try await snapshots.saveFixtureSnapshot(Self.tree("one"), time: utc("2024-03-01T10:00:00Z"))
        let second = try await snapshots.saveFixtureSnapshot(Self.tree("two", extra: [.file("C.TXT", Array("sea".utf8))]),
                                                             time: utc("2024-03-02T10:00:00Z"))
        let result = try basin.run(["find", "-i", "c.txt"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines(result) == ["Found matching entries in snapshot \(second.shortID) from 2024-03-02 10:00:00",
                                  "/home/u/docs/C.TXT", ""])
        let all = try basin.run(["find", "*.txt", "--json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout)) as? [[String: Any]])
        #expect(array.map { $0["snapshot"] as? String } == [second.id.hex, first.id.hex])
        #expect(array.map { $0["hits"] as? Int } == [2, 2])
        let one = try basin.run(["find", "a.txt", "--snapshot", first.shortID])
        #expect(one.output.contains(first.shortID) && !one.output.contains(second.shortID))
        #expect(try basin.run(["find", "[abc"]).status == 64)
    }

    @Test("forget --keep-last 1 --dry-run lists what it would remove and removes nothing; then it removes")
    func forgetPolicy() async throws {
        let snapshots = try await snapshotRepository()
        var saved: [Snapshot] = []
        for day in 1...3 {
            saved.append(try await snapshots.saveFixtureSnapshot(Self.tree("\(day)"), time: utc("2024-03-0\(day)T10:00:00Z")))
        }
        let before = try refs()
        let strata = try objects("data") + objects("meta")
        let dry = try basin.run(["forget", "--keep-last", "1", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let output = dry.output
        let keepSection = try #require(output.range(of: "keep 1 snapshot:"))
        let removeSection = try #require(output.range(of: "would remove 2 snapshots:"))
        #expect(output[keepSection.upperBound..<removeSection.lowerBound].contains(saved[2].shortID))
        #expect(output[keepSection.upperBound..<removeSection.lowerBound].contains("last snapshot"))
        #expect(output[removeSection.upperBound...].contains(saved[0].shortID) && output[removeSection.upperBound...].contains(saved[1].shortID))
        #expect(output.contains("dry run"))
        #expect(try refs() == before)

        let json = try basin.run(["forget", "--keep-last", "1", "--dry-run", "--json"])
        let groups = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]])
        #expect(groups.count == 1 && groups[0]["host"] as? String == "host")
        #expect(((groups[0]["remove"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }.sorted()
                == [saved[0].id.hex, saved[1].id.hex].sorted())
        #expect(try refs() == before)

        let real = try basin.run(["forget", "--keep-last", "1"])
        #expect(real.status == 0 && real.output.contains("prune"), "\(real.stderr)")
        #expect(try refs() == [saved[2].id.hex])
        #expect(try objects("data") + objects("meta") == strata)
    }

    @Test("forget ID removes only that snapshot's ref; grains stay")
    func forgetByID() async throws {
        let snapshots = try await snapshotRepository()
        var saved: [Snapshot] = []
        for day in 1...3 {
            saved.append(try await snapshots.saveFixtureSnapshot(Self.tree("\(day)"), time: utc("2024-03-0\(day)T10:00:00Z")))
        }
        let before = try refs()
        let strata = try objects("data") + objects("meta")
        let result = try basin.run(["forget", saved[1].shortID])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("removed snapshot \(saved[1].shortID)") && result.output.contains("prune"))
        #expect(try refs() == before.subtracting([saved[1].id.hex]))
        #expect(try objects("data") + objects("meta") == strata)
        // The snapshots left still list and browse.
        #expect(try basin.run(["ls", saved[0].shortID]).status == 0)
        #expect(try basin.run(["ls", saved[1].shortID]).status == 1)
    }

    @Test("an ambiguous id prefix is a usage error naming the candidates; an unknown one is not found")
    func ambiguousPrefix() async throws {
        let snapshots = try await snapshotRepository()
        var byFirstDigit: [Character: [Snapshot]] = [:]
        var day = 0
        // Ids are hashes: 17 snapshots surely share a first hex digit; stop at the first pair.
        while byFirstDigit.values.allSatisfy({ $0.count < 2 }) {
            day += 1
            let snapshot = try await snapshots.saveFixtureSnapshot(Self.tree("\(day)"), time: Date(timeIntervalSince1970: Double(day) * 86400))
            byFirstDigit[snapshot.id.hex.first!, default: []].append(snapshot)
        }
        let (digit, pair) = try #require(byFirstDigit.first { $0.value.count == 2 })
        let before = try refs()
        for command in [["ls", String(digit)], ["forget", String(digit)], ["diff", String(digit), "latest"]] {
            let result = try basin.run(command)
            #expect(result.status == 64, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("ambiguous") && pair.allSatisfy { result.stderr.contains($0.shortID) }, "\(result.stderr)")
        }
        #expect(try refs() == before)
        let unused = try #require("0123456789abcdef".first { byFirstDigit[$0] == nil })
        let unknown = try basin.run(["ls", String(unused)])
        #expect(unknown.status == 1 && unknown.stderr.contains(String(unused)))
        #expect(try basin.run(["ls", "not-an-id"]).status == 64)
    }

    @Test("forget refuses no policy, and ids with a policy")
    func forgetUsage() async throws {
        let snapshots = try await snapshotRepository()
        let saved = try await snapshots.saveFixtureSnapshot(Self.tree("x"), time: Date())
        #expect(try basin.run(["forget"]).status == 64)
        #expect(try basin.run(["forget", saved.shortID, "--keep-last", "1"]).status == 64)
        #expect(try basin.run(["forget", "--keep-within", "5x"]).status == 64)
        #expect(try basin.run(["forget", "--keep-daily", "-2"]).status == 64)
        #expect(try basin.run(["forget", "--keep-last", "1", "--group-by", "colour"]).status == 64)
        #expect(try refs() == [saved.id.hex])
    }
}

/// A UTC date from `2024-03-01T12:00:00Z`-style text.
func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)!
}
