import BasinCore
import Foundation

/// A snapshot: when, where and what was backed up, and the root tree
/// (docs/FORMAT.md, "Snapshots"). Stored as JSON in a snapshot grain (meta lane) and in a
/// sealed ref `snapshots/<id>`, where `id` is the grain's key.
public struct SnapshotRecord: Codable, Equatable, Sendable {
    public static let currentVersion = 1

    /// What a backup did.
    public struct Summary: Codable, Equatable, Sendable {
        public var filesNew = 0
        public var filesChanged = 0
        public var filesUnmodified = 0
        public var directories = 0
        public var otherEntries = 0
        /// Bytes of file content read from disk.
        public var bytesRead: Int64 = 0
        /// Plaintext bytes of the grains this backup added to the basin.
        public var bytesAdded: Int64 = 0
        /// Stored (sealed) bytes of the strata this backup wrote.
        public var bytesStored: Int64 = 0
        /// Total size of the files in the snapshot.
        public var totalBytes: Int64 = 0
        public var durationSeconds: Double = 0
        /// Files that could not be read (the snapshot is incomplete without them).
        public var errors = 0

        public init() {}
    }

    public var version: Int
    /// RFC 3339 with nanoseconds, UTC.
    public var time: String
    public var hostname: String
    public var username: String
    /// Absolute paths given to the backup, as text (non-UTF-8 bytes escaped as `\xNN`).
    public var paths: [String]
    public var tags: [String]
    /// The id (64 hex) of the snapshot used for change detection, if any.
    public var parent: String?
    /// The root tree's key (64 hex): a directory whose entries are the backed-up paths.
    public var tree: String
    public var excludes: [String]
    public var summary: Summary?
    public var programVersion: String

    public init(time: Date, hostname: String, username: String, paths: [String], tags: [String], parent: String?,
                tree: Key, excludes: [String], summary: Summary?, programVersion: String) {
        version = Self.currentVersion
        self.time = RFC3339.format(time, precision: .nanoseconds)
        self.hostname = hostname
        self.username = username
        self.paths = paths
        self.tags = tags
        self.parent = parent
        self.tree = tree.hex
        self.excludes = excludes
        self.summary = summary
        self.programVersion = programVersion
    }

    public var treeKey: Key? { Key(hex: tree) }
    public var date: Date { RFC3339.date(time) ?? Date(timeIntervalSince1970: 0) }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain Codable values with sorted keys cannot fail.
        return Array(try! encoder.encode(self))
    }

    public static func decode(_ bytes: [UInt8]) throws -> SnapshotRecord {
        try JSONDecoder().decode(SnapshotRecord.self, from: Data(bytes))
    }
}
