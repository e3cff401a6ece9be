import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// A snapshot that exists only in memory: the policy looks at times, tags, hosts and paths.
private func snap(_ time: String, _ number: UInt64, tags: [String] = [], host: String = "h", paths: [String] = ["/p"]) -> Snapshot {
    let key = Key(w0: number, w1: 0, w2: 0, w3: 0)
    return Snapshot(id: key, record: SnapshotRecord(time: utc(time), hostname: host, username: "u", paths: paths, tags: tags,
                                                    parent: nil, tree: key, excludes: [], summary: nil, programVersion: "t"))
}

private let utcZone = TimeZone(identifier: "UTC")!

/// The numbers (w0 of the id) of the snapshots kept and removed, newest first.
private func outcome(_ policy: ForgetPolicy, _ snapshots: [Snapshot], zone: TimeZone = utcZone) -> (keep: [UInt64], remove: [UInt64]) {
    // The order the snapshots come in must not matter: a shuffle from a fixed seed.
    var generator = SplitMix64(seed: 0x5eed)
    let decision = policy.apply(to: snapshots.shuffled(using: &generator), timeZone: zone)
    #expect(decision.keep.count + decision.remove.count == snapshots.count)
    return (decision.keep.map(\.snapshot.id.w0), decision.remove.map(\.id.w0))
}

@Suite("ForgetPolicy: restic's keep rules")
struct ForgetPolicyTests {
    let five = [snap("2024-03-01T10:00:00Z", 1), snap("2024-03-02T10:00:00Z", 2), snap("2024-03-03T10:00:00Z", 3),
                snap("2024-03-04T10:00:00Z", 4), snap("2024-03-05T10:00:00Z", 5)]

    @Test("keep-last N keeps the N newest; N larger than the count keeps all")
    func keepLast() {
        let result = outcome(ForgetPolicy(counts: [.last: 3]), five)
        #expect(result.keep == [5, 4, 3])
        #expect(result.remove == [2, 1])
        #expect(outcome(ForgetPolicy(counts: [.last: 10]), five).keep == [5, 4, 3, 2, 1])
        #expect(outcome(ForgetPolicy(counts: [.last: 10]), five).remove.isEmpty)
        let decision = ForgetPolicy(counts: [.last: 1]).apply(to: five, timeZone: utcZone)
        #expect(decision.keep.first?.reasons == ["last snapshot"])
    }

    @Test("an empty policy keeps everything; an empty list gives nothing")
    func emptyPolicy() {
        let policy = ForgetPolicy(counts: [.daily: 0])
        #expect(policy.isEmpty)
        #expect(outcome(policy, five).keep == [5, 4, 3, 2, 1])
        #expect(ForgetPolicy(counts: [.last: 2]).apply(to: []) == ForgetDecision(keep: [], remove: []))
    }

    @Test("hourly buckets: the newest snapshot of each of the last N hours")
    func hourly() {
        let snapshots = [snap("2024-03-01T10:05:00Z", 1), snap("2024-03-01T10:55:00Z", 2), snap("2024-03-01T11:10:00Z", 3),
                         snap("2024-03-01T12:00:00Z", 4), snap("2024-03-01T12:59:59Z", 5), snap("2024-02-29T12:30:00Z", 6)]
        let result = outcome(ForgetPolicy(counts: [.hourly: 2]), snapshots)
        #expect(result.keep == [5, 3])
        #expect(result.remove == [4, 2, 1, 6])
        // The same hour of another day is another bucket.
        #expect(outcome(ForgetPolicy(counts: [.hourly: 4]), snapshots).keep == [5, 3, 2, 6])
    }

    @Test("daily buckets split at local midnight")
    func dailyAcrossMidnight() {
        let snapshots = [snap("2024-03-01T23:59:59Z", 1), snap("2024-03-02T00:00:00Z", 2), snap("2024-03-02T12:00:00Z", 3),
                         snap("2024-03-03T01:00:00Z", 4)]
        #expect(outcome(ForgetPolicy(counts: [.daily: 2]), snapshots) == ([4, 3], [2, 1]))
        #expect(outcome(ForgetPolicy(counts: [.daily: 3]), snapshots) == ([4, 3, 1], [2]))
        // At UTC+1, 23:59:59Z and 00:00:00Z are both on March 2nd, with 12:00Z: two days only.
        let plusOne = TimeZone(secondsFromGMT: 3600)!
        #expect(outcome(ForgetPolicy(counts: [.daily: 3]), snapshots, zone: plusOne) == ([4, 3], [2, 1]))
        // At UTC-2, 01:00Z on March 3rd is still March 2nd.
        let minusTwo = TimeZone(secondsFromGMT: -7200)!
        #expect(outcome(ForgetPolicy(counts: [.daily: 3]), snapshots, zone: minusTwo) == ([4, 2], [3, 1]))
    }

    @Test("weekly buckets are ISO weeks, which straddle new year")
    func isoWeeks() {
        // 2020-12-31 (Thu) and 2021-01-03 (Sun) are both in ISO week 2020-W53;
        // 2021-01-04 (Mon) and 2021-01-10 (Sun) in 2021-W01; 2021-01-11 (Mon) in 2021-W02.
        let snapshots = [snap("2020-12-31T12:00:00Z", 1), snap("2021-01-03T23:00:00Z", 2), snap("2021-01-04T00:30:00Z", 3),
                         snap("2021-01-10T20:00:00Z", 4), snap("2021-01-11T08:00:00Z", 5)]
        #expect(outcome(ForgetPolicy(counts: [.weekly: 3]), snapshots) == ([5, 4, 2], [3, 1]))
        #expect(outcome(ForgetPolicy(counts: [.weekly: 10]), snapshots) == ([5, 4, 2], [3, 1]))
        // 2024-12-30 (Mon) is in 2025-W01 with 2025-01-05 (Sun); 2024-12-29 (Sun) in 2024-W52.
        let late = [snap("2024-12-29T12:00:00Z", 1), snap("2024-12-30T12:00:00Z", 2), snap("2025-01-05T12:00:00Z", 3)]
        #expect(outcome(ForgetPolicy(counts: [.weekly: 5]), late) == ([3, 1], [2]))
    }

    @Test("monthly and yearly buckets")
    func monthlyAndYearly() {
        let months = [snap("2024-01-31T23:00:00Z", 1), snap("2024-02-01T00:30:00Z", 2), snap("2024-02-29T12:00:00Z", 3),
                      snap("2024-03-15T00:00:00Z", 4)]
        #expect(outcome(ForgetPolicy(counts: [.monthly: 2]), months) == ([4, 3], [2, 1]))
        #expect(outcome(ForgetPolicy(counts: [.monthly: 3]), months) == ([4, 3, 1], [2]))
        let years = [snap("2022-12-31T23:59:00Z", 1), snap("2023-01-01T00:00:00Z", 2), snap("2023-06-01T00:00:00Z", 3),
                     snap("2024-01-01T00:00:00Z", 4)]
        #expect(outcome(ForgetPolicy(counts: [.yearly: 2]), years) == ([4, 3], [2, 1]))
        #expect(outcome(ForgetPolicy(counts: [.yearly: 5]), years) == ([4, 3, 1], [2]))
    }

    @Test("-1 keeps one snapshot per bucket without limit")
    func unlimited() {
        let snapshots = [snap("2024-03-01T08:00:00Z", 1), snap("2024-03-01T09:00:00Z", 2), snap("2024-03-02T08:00:00Z", 3),
                         snap("2024-03-03T08:00:00Z", 4), snap("2024-03-03T09:00:00Z", 5)]
        #expect(outcome(ForgetPolicy(counts: [.daily: -1]), snapshots) == ([5, 3, 2], [4, 1]))
    }

    @Test("rules combine: a snapshot kept by any rule is kept, with every rule as a reason")
    func combined() {
        let snapshots = [snap("2024-03-01T08:00:00Z", 1), snap("2024-03-01T09:00:00Z", 2), snap("2024-03-02T08:00:00Z", 3),
                         snap("2024-03-03T08:00:00Z", 4), snap("2024-03-03T09:00:00Z", 5)]
        let decision = ForgetPolicy(counts: [.last: 2, .daily: 3]).apply(to: snapshots, timeZone: utcZone)
        #expect(decision.keep.map(\.snapshot.id.w0) == [5, 4, 3, 2])
        #expect(decision.keep.map(\.reasons) == [["last snapshot", "daily snapshot"], ["last snapshot"],
                                                  ["daily snapshot"], ["daily snapshot"]])
        #expect(decision.remove.map(\.id.w0) == [1])
    }

    @Test("snapshots of the same time: one bucket, the larger id counts as newer")
    func ties() {
        let snapshots = [snap("2024-03-01T08:00:00Z", 7), snap("2024-03-01T08:00:00Z", 9), snap("2024-03-01T08:00:00Z", 8)]
        #expect(outcome(ForgetPolicy(counts: [.last: 1]), snapshots) == ([9], [8, 7]))
        #expect(outcome(ForgetPolicy(counts: [.daily: 2]), snapshots) == ([9], [8, 7]))
        #expect(outcome(ForgetPolicy(counts: [.last: 2]), snapshots) == ([9, 8], [7]))
    }

    @Test("keep-tag keeps snapshots with all tags of a list and uses up no count")
    func keepTag() {
        let snapshots = [snap("2024-03-01T08:00:00Z", 1, tags: ["a", "b"]), snap("2024-03-02T08:00:00Z", 2, tags: ["a"]),
                         snap("2024-03-03T08:00:00Z", 3, tags: ["b", "c", "a"]), snap("2024-03-04T08:00:00Z", 4),
                         snap("2024-03-05T08:00:00Z", 5, tags: ["c"])]
        let decision = ForgetPolicy(counts: [.last: 1], tags: [["a", "b"]]).apply(to: snapshots, timeZone: utcZone)
        #expect(decision.keep.map(\.snapshot.id.w0) == [5, 3, 1])
        #expect(decision.keep.map(\.reasons) == [["last snapshot"], ["has tags a,b"], ["has tags a,b"]])
        #expect(outcome(ForgetPolicy(tags: [["a", "b"], ["c"]]), snapshots) == ([5, 3, 1], [4, 2]))
        let both = ForgetPolicy(tags: [["a"], ["c"]]).apply(to: snapshots, timeZone: utcZone)
        #expect(both.keep.first(where: { $0.snapshot.id.w0 == 3 })?.reasons == ["has tags a", "has tags c"])
    }

    @Test("keep-within keeps what is strictly newer than the newest minus the duration")
    func keepWithin() throws {
        let snapshots = [snap("2024-03-01T12:00:00Z", 1), snap("2024-03-08T12:00:00Z", 2), snap("2024-03-08T12:00:01Z", 3),
                         snap("2024-03-10T12:00:00Z", 4)]
        let within = try KeepDuration(parsing: "2d")
        let decision = ForgetPolicy(within: within).apply(to: snapshots, timeZone: utcZone)
        #expect(decision.keep.map(\.snapshot.id.w0) == [4, 3])
        #expect(decision.keep.first?.reasons == ["within 2d"])
        #expect(outcome(ForgetPolicy(within: try KeepDuration(parsing: "2d1h")), snapshots) == ([4, 3, 2], [1]))
        // Exactly at the threshold is not newer than it.
        #expect(outcome(ForgetPolicy(within: try KeepDuration(parsing: "9d")), snapshots) == ([4, 3, 2], [1]))
        #expect(outcome(ForgetPolicy(within: try KeepDuration(parsing: "10d")), snapshots) == ([4, 3, 2, 1], []))
        // Months are calendar months: February 15th is within one month of March 15th, the 14th not.
        let months = [snap("2024-02-14T12:00:00Z", 1), snap("2024-02-15T12:00:01Z", 2), snap("2024-03-15T12:00:00Z", 3)]
        #expect(outcome(ForgetPolicy(within: try KeepDuration(parsing: "1m")), months) == ([3, 2], [1]))
    }

    @Test("durations parse as restic writes them", arguments: [
        ("1y5m7d2h", KeepDuration(years: 1, months: 5, days: 7, hours: 2)), ("36h", KeepDuration(hours: 36)),
        ("2d", KeepDuration(days: 2)), ("1d1d", KeepDuration(days: 2)), ("3m", KeepDuration(months: 3)),
    ])
    func durations(text: String, expected: KeepDuration) throws {
        #expect(try KeepDuration(parsing: text) == expected)
    }

    @Test("malformed durations are usage errors", arguments: ["", "5", "d", "5x", "1.5d", "-1d", "1d2", "9999999999d"])
    func badDurations(text: String) {
        #expect(throws: BasinError.self) { try KeepDuration(parsing: text) }
        do {
            _ = try KeepDuration(parsing: text)
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains("'\(text)'"))
        }
    }

    @Test("the summary names every rule")
    func summary() throws {
        let policy = ForgetPolicy(counts: [.last: 2, .weekly: -1], within: try KeepDuration(parsing: "1y2h"), tags: [["a", "b"]])
        #expect(policy.summary == "keep 2 latest, all weekly snapshots; snapshots within 1y2h of the newest; snapshots tagged a,b")
    }
}
