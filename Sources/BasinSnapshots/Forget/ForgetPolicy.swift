import BasinStore
import Foundation

/// Which snapshots of a group `basin forget` keeps: restic's policy.
///
/// Snapshots are taken newest first. Each `keep-*` count rule puts a snapshot in a bucket
/// (itself for `last`; its hour, day, ISO week, month or year, in local time otherwise) and
/// keeps it when its bucket differs from that of the last snapshot the rule kept, until the
/// rule has kept `count` snapshots: so it keeps the newest snapshot of each of the last
/// `count` buckets that hold one. A negative count keeps one per bucket without limit.
/// `within` keeps every snapshot newer than the newest one minus the duration; `tags` keep
/// every snapshot carrying all tags of one of the lists. A snapshot kept by any rule is kept,
/// with every rule that kept it as its reasons; the others are removed. An empty policy
/// keeps everything.
public struct ForgetPolicy: Sendable, Equatable {
    /// A counting rule: how snapshots fall into buckets.
    public enum Rule: String, Sendable, CaseIterable {
        case last, hourly, daily, weekly, monthly, yearly

        /// The reason given for a snapshot this rule keeps, as restic words it.
        public var reason: String { self == .last ? "last snapshot" : "\(rawValue) snapshot" }
    }

    /// How many buckets each rule keeps: 0 (or absent) for none, negative for all.
    public var counts: [Rule: Int]
    public var within: KeepDuration?
    /// Tag lists; a snapshot with every tag of one of them is kept.
    public var tags: [[String]]

    public init(counts: [Rule: Int] = [:], within: KeepDuration? = nil, tags: [[String]] = []) {
        self.counts = counts.filter { $0.value != 0 }
        self.within = within
        self.tags = tags.filter { !$0.isEmpty }
    }

    public var isEmpty: Bool { counts.isEmpty && within == nil && tags.isEmpty }

    /// What the policy keeps, in words: "keep 2 latest, 7 daily, all weekly snapshots, …".
    public var summary: String {
        var parts = Rule.allCases.compactMap { rule -> String? in
            guard let count = counts[rule] else { return nil }
            return "\(count < 0 ? "all" : String(count)) \(rule == .last ? "latest" : rule.rawValue)"
        }
        if !parts.isEmpty { parts = [parts.joined(separator: ", ") + " snapshots"] }
        if let within { parts.append("snapshots within \(within) of the newest") }
        for list in tags { parts.append("snapshots tagged \(list.joined(separator: ","))") }
        return parts.isEmpty ? "keep everything (empty policy)" : "keep " + parts.joined(separator: "; ")
    }

    /// Applies the policy to one group of snapshots.
    /// - Parameters:
    ///   - snapshots: In any order.
    ///   - timeZone: Where hours, days, weeks, months and years begin.
    /// - Returns: What is kept (with reasons) and removed, newest first; snapshots of the same
    ///   time in descending id order.
    public func apply(to snapshots: [Snapshot], timeZone: TimeZone = .current) -> ForgetDecision {
        let ordered = snapshots.sorted { ($0.record.date, $0.id) > ($1.record.date, $1.id) }
        guard !isEmpty else {
            return ForgetDecision(keep: ordered.map { .init(snapshot: $0, reasons: ["policy is empty"]) }, remove: [])
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var isoCalendar = Calendar(identifier: .iso8601)
        isoCalendar.timeZone = timeZone
        let threshold = ordered.first.flatMap { newest in within?.subtracted(from: newest.record.date, in: calendar) }

        var remaining = counts
        var lastBucket: [Rule: Int] = [:]
        var decision = ForgetDecision(keep: [], remove: [])
        for (position, snapshot) in ordered.enumerated() {
            var reasons: [String] = []
            for list in tags where SnapshotFilter.has(snapshot.record, tags: list) {
                reasons.append("has tags \(list.joined(separator: ","))")
            }
            if let threshold, let within, snapshot.record.date > threshold {
                reasons.append("within \(within)")
            }
            let date = snapshot.record.date
            for rule in Rule.allCases {
                guard let left = remaining[rule], left != 0 else { continue }
                let bucket = Self.bucket(rule, date: date, position: position, calendar: calendar, isoCalendar: isoCalendar)
                guard bucket != lastBucket[rule] else { continue }
                lastBucket[rule] = bucket
                if left > 0 { remaining[rule] = left - 1 }
                reasons.append(rule.reason)
            }
            if reasons.isEmpty {
                decision.remove.append(snapshot)
            } else {
                decision.keep.append(.init(snapshot: snapshot, reasons: reasons))
            }
        }
        return decision
    }

    /// The bucket of a snapshot for a rule: equal numbers for the same hour, day, ….
    static func bucket(_ rule: Rule, date: Date, position: Int, calendar: Calendar, isoCalendar: Calendar) -> Int {
        switch rule {
        case .last:
            return position
        case .weekly:
            let parts = isoCalendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
            return (parts.yearForWeekOfYear ?? 0) * 100 + (parts.weekOfYear ?? 0)
        case .hourly, .daily, .monthly, .yearly:
            let parts = calendar.dateComponents([.year, .month, .day, .hour], from: date)
            let (year, month, day, hour) = (parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0)
            switch rule {
            case .hourly: return ((year * 100 + month) * 100 + day) * 100 + hour
            case .daily: return (year * 100 + month) * 100 + day
            case .monthly: return year * 100 + month
            default: return year
            }
        }
    }
}
