import BasinSnapshots
import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about `basin forget`'s policy flags at the command line: each
/// `--keep-*` rule (short and long), `--group-by`, the filters, `--dry-run`.
@Suite("CLI promises: forget's policy flags, grouping and filters")
struct ForgetPromiseTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-forget-flags")
        repository = scratch.path("repo")
        // Calendar buckets are the local time zone's: UTC here, so the dates below are the buckets.
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "TZ": "UTC"])
    }

    /// Snapshots by name: s1…s7 of host a and /home (s1, s2 tagged x, s6 tagged keep), s8 of
    /// host b, s9 of host a and /srv.
    func makeSnapshots() async throws -> [String: Snapshot] {
        #expect(try basin.run(["init", "--no-encryption"]).status == 0)
        let repository = try await SnapshotFixture.localRepository(at: self.repository, create: false)
        let plan: [(String, String, String, [String], [String])] = [
            ("s1", "2024-01-01T10:00:00Z", "a", ["/home"], ["x"]),     // Monday of ISO week 1
            ("s2", "2024-01-01T11:30:00Z", "a", ["/home"], ["x"]),
            ("s3", "2024-01-02T09:00:00Z", "a", ["/home"], []),
            ("s4", "2024-01-09T09:00:00Z", "a", ["/home"], []),        // ISO week 2
            ("s5", "2024-02-15T09:00:00Z", "a", ["/home"], []),
            ("s6", "2025-03-01T09:00:00Z", "a", ["/home"], ["keep"]),
            ("s7", "2025-03-01T09:30:00Z", "a", ["/home"], []),        // newest of the group
            ("s8", "2024-06-01T09:00:00Z", "b", ["/home"], []),
            ("s9", "2024-07-01T09:00:00Z", "a", ["/srv"], []),
        ]
        var saved: [String: Snapshot] = [:]
        for (name, time, host, paths, tags) in plan {
            saved[name] = try await repository.saveFixtureSnapshot(SnapshotCommandTests.tree(name), time: utc(time), hostname: host,
                                                                   paths: paths, tags: tags)
        }
        return saved
    }

    func refs() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: repository + "/snapshots")) }

    /// `forget arguments… --dry-run --json`: the groups it prints.
    func groups(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try basin.run(["forget"] + arguments + ["--dry-run", "--json"])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [[String: Any]], "\(arguments): \(result.output)")
    }

    /// The names of the snapshots the groups keep (or remove).
    func names(_ groups: [[String: Any]], _ field: String, in saved: [String: Snapshot]) -> Set<String> {
        let ids = Set(groups.flatMap { ($0[field] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } })
        return Set(saved.filter { ids.contains($0.value.id.hex) }.keys)
    }

    @Test("each --keep-* rule, long and short, keeps what restic's rule keeps (within the group host a, /home)")
    func keepRules() async throws {
        let saved = try await makeSnapshots()
        let before = try refs()
        let group = ["--host", "a", "--path", "/home"]
        let cases: [([String], Set<String>)] = [
            (["--keep-last", "2"], ["s7", "s6"]),
            (["--keep-hourly", "2"], ["s7", "s5"]),
            (["--keep-hourly", "-1"], ["s7", "s5", "s4", "s3", "s2", "s1"]),
            (["--keep-daily", "5"], ["s7", "s5", "s4", "s3", "s2"]),
            (["--keep-weekly", "5"], ["s7", "s5", "s4", "s3"]),
            (["--keep-monthly", "3"], ["s7", "s5", "s4"]),
            (["--keep-yearly", "1"], ["s7"]),
            (["--keep-yearly", "-1"], ["s7", "s5"]),
            (["--keep-within", "1y1m"], ["s7", "s6", "s5"]),
            (["--keep-within", "2h"], ["s7", "s6"]),
            (["--keep-tag", "keep"], ["s6"]),
            (["--keep-tag", "x,keep"], []),
            (["--keep-tag", "x", "--keep-tag", "keep"], ["s6", "s2", "s1"]),
            (["--keep-last", "1", "--keep-monthly", "2"], ["s7", "s5"]),
        ]
        let short = ["--keep-last": "-l", "--keep-hourly": "-H", "--keep-daily": "-d", "--keep-weekly": "-w",
                     "--keep-monthly": "-m", "--keep-yearly": "-y"]
        for (rule, kept) in cases {
            let all = ["s1", "s2", "s3", "s4", "s5", "s6", "s7"] as Set<String>
            var spellings = [rule]
            if let letter = short[rule[0]] { spellings.append([letter] + rule.dropFirst()) }
            for spelling in spellings {
                let result = try groups(spelling + group)
                #expect(result.count == 1, "\(spelling): \(result.count) groups")
                #expect(names(result, "keep", in: saved) == kept, "\(spelling) kept \(names(result, "keep", in: saved).sorted())")
                #expect(names(result, "remove", in: saved) == all.subtracting(kept), "\(spelling)")
            }
        }
        #expect(try refs() == before, "a dry run removed refs")

        // The text output names every rule that kept a snapshot.
        let text = try basin.run(["forget", "--keep-last", "1", "--keep-tag", "keep", "--keep-within", "2h", "--dry-run"] + group)
        #expect(text.status == 0 && text.output.contains("last snapshot") && text.output.contains("has tags keep")
                && text.output.contains("within 2h") && text.output.contains("dry run"), "\(text.output)")
        let reasons = try #require(try groups(["--keep-last", "1"] + group).first?["reasons"] as? [[String: Any]])
        #expect(reasons.count == 1 && reasons[0]["snapshot"] as? String == saved["s7"]?.id.hex, "\(reasons)")
        #expect(reasons.first?["matches"] as? [String] == ["last snapshot"], "\(reasons)")
    }

    @Test("--group-by host, paths, tags, their combinations and '' make the groups; filters choose the snapshots; without --dry-run it removes")
    func groupingAndFilters() async throws {
        let saved = try await makeSnapshots()
        let cases: [([String], Int, Set<String>)] = [
            ([], 3, ["s7", "s8", "s9"]),
            (["--group-by", "host,paths"], 3, ["s7", "s8", "s9"]),
            (["--group-by", "host"], 2, ["s7", "s8"]),
            (["--group-by", "paths"], 2, ["s7", "s9"]),
            (["--group-by", "tags"], 3, ["s7", "s6", "s2"]),
            (["--group-by", ""], 1, ["s7"]),
            (["--host", "b"], 1, ["s8"]),
            (["--host", "b", "--host", "a", "--group-by", ""], 1, ["s7"]),
            (["--tag", "x"], 1, ["s2"]),
            (["--tag", "x", "--tag", "keep", "--group-by", ""], 1, ["s6"]),
            (["--path", "/srv"], 1, ["s9"]),
        ]
        for (arguments, count, kept) in cases {
            let result = try groups(["--keep-last", "1"] + arguments)
            #expect(result.count == count, "\(arguments): \(result.count) groups")
            #expect(names(result, "keep", in: saved) == kept, "\(arguments) kept \(names(result, "keep", in: saved).sorted())")
        }
        // A group names what it is grouped by, and only that.
        let byHost = try groups(["--keep-last", "1", "--group-by", "host"])
        #expect(Set(byHost.compactMap { $0["host"] as? String }) == ["a", "b"] && byHost.allSatisfy { $0["paths"] == nil && $0["tags"] == nil },
                "\(byHost)")
        #expect(byHost.allSatisfy { $0["dry_run"] as? Bool == true })

        // For real: only the filtered snapshots are candidates.
        let removed = try basin.run(["forget", "--keep-last", "1", "--tag", "x"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let left = try refs()
        #expect(!left.contains(saved["s1"]!.id.hex) && left.contains(saved["s2"]!.id.hex) && left.count == 8, "\(left)")
        let json = try basin.run(["forget", "--keep-daily", "1", "--host", "a", "--path", "/home", "--json"])
        let groups = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]])
        #expect(groups.first?["dry_run"] as? Bool == false)
        #expect(try refs() == Set([saved["s7"]!, saved["s8"]!, saved["s9"]!].map(\.id.hex)))
    }
}
