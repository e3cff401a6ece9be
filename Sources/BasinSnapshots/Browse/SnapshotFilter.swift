/// Which snapshots a command considers: restic's `--host`, `--tag` and `--path` filters,
/// shared by `snapshots`, `ls`, `find` and `forget` (and by `latest`).
///
/// A snapshot matches when it passes every non-empty criterion:
/// - `hosts`: its hostname is one of them;
/// - `tags`: it carries every tag of at least one tag list (`--tag a,b --tag c` means
///   "a and b, or c");
/// - `paths`: its paths include every one of them.
public struct SnapshotFilter: Sendable, Equatable {
    public var hosts: [String]
    public var tags: [[String]]
    public var paths: [String]

    /// - Parameters:
    ///   - hosts: Hostnames, any of which matches.
    ///   - tags: Tag lists; a snapshot matches one when it has all of its tags.
    ///   - paths: Absolute paths the snapshot must all include (cleaned: no trailing `/`).
    public init(hosts: [String] = [], tags: [[String]] = [], paths: [String] = []) {
        self.hosts = hosts
        self.tags = tags.map { $0.filter { !$0.isEmpty } }.filter { !$0.isEmpty }
        self.paths = paths.map(Self.clean)
    }

    /// Parses `--tag` values as restic does: each value is a comma-separated tag list.
    public static func tagLists(_ values: [String]) -> [[String]] {
        values.map { $0.split(separator: ",").map { String($0) } }.filter { !$0.isEmpty }
    }

    public var isEmpty: Bool { hosts.isEmpty && tags.isEmpty && paths.isEmpty }

    /// Whether `snapshot` passes every criterion (see the type's description).
    public func matches(_ snapshot: Snapshot) -> Bool { matches(snapshot.record) }

    /// Whether a snapshot with this record passes every criterion.
    public func matches(_ record: SnapshotRecord) -> Bool {
        if !hosts.isEmpty, !hosts.contains(record.hostname) { return false }
        if !tags.isEmpty, !tags.contains(where: { Self.has(record, tags: $0) }) { return false }
        if !paths.isEmpty {
            let own = Set(record.paths.map(Self.clean))
            if !paths.allSatisfy(own.contains) { return false }
        }
        return true
    }

    /// Whether `record` carries every tag of `list`.
    public static func has(_ record: SnapshotRecord, tags list: [String]) -> Bool {
        list.allSatisfy(record.tags.contains)
    }

    /// A path without repeated or trailing slashes, so `/home/u/` and `/home/u` match.
    static func clean(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : joined
    }
}
