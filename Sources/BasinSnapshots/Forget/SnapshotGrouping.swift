import BasinBackend
import BasinStore
import Foundation

/// How `basin forget` groups snapshots before applying its policy to each group: by host,
/// paths and/or tags (restic's `--group-by`, default `host,paths`).
public struct SnapshotGrouping: Sendable, Equatable {
    /// What the snapshots of one group share; nil for what the grouping ignores.
    public struct Key: Hashable, Sendable {
        public let host: String?
        /// Sorted.
        public let paths: [String]?
        /// Sorted.
        public let tags: [String]?

        /// The key in words, for listings: `host vm, paths [/home/u]`.
        public var description: String {
            var parts: [String] = []
            if let host { parts.append("host \(host)") }
            if let paths { parts.append("paths [\(paths.joined(separator: ", "))]") }
            if let tags { parts.append("tags [\(tags.joined(separator: ", "))]") }
            return parts.joined(separator: ", ")
        }

        fileprivate var sortKey: [String] {
            [host ?? "", (paths ?? []).joined(separator: "\u{0}"), (tags ?? []).joined(separator: "\u{0}")]
        }
    }

    public var byHost: Bool
    public var byPaths: Bool
    public var byTags: Bool

    public init(byHost: Bool = true, byPaths: Bool = true, byTags: Bool = false) {
        (self.byHost, self.byPaths, self.byTags) = (byHost, byPaths, byTags)
    }

    /// Parses a comma-separated list of `host`, `paths` and `tags`; "" for one single group.
    /// - Throws: `.invalidArgument` naming an unknown criterion.
    public init(parsing text: String) throws(BasinError) {
        self.init(byHost: false, byPaths: false, byTags: false)
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            switch part {
            case "host": byHost = true
            case "paths": byPaths = true
            case "tags": byTags = true
            default: throw BasinError(.invalidArgument, "cannot group snapshots by '\(part)': use host, paths and/or tags")
            }
        }
    }

    public func key(for snapshot: Snapshot) -> Key {
        let record = snapshot.record
        return Key(host: byHost ? record.hostname : nil, paths: byPaths ? record.paths.sorted() : nil,
                   tags: byTags ? record.tags.sorted() : nil)
    }

    /// The snapshots in groups, groups ordered by host, then paths, then tags.
    public func groups(of snapshots: [Snapshot]) -> [(key: Key, snapshots: [Snapshot])] {
        let grouped = Dictionary(grouping: snapshots, by: key(for:))
        return grouped.map { (key: $0.key, snapshots: $0.value) }
            .sorted { $0.key.sortKey.lexicographicallyPrecedes($1.key.sortKey) }
    }
}
