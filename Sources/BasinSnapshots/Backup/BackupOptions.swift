import Foundation

/// What to back up and how (`basin backup`).
public struct BackupOptions: Sendable {
    public enum ParentChoice: Sendable, Equatable {
        /// The latest snapshot of the same host and the same set of paths.
        case automatic
        /// Read every file.
        case none
        /// A snapshot named by id, prefix or `latest`.
        case snapshot(String)
    }

    public var paths: [String]
    public var tags: [String] = []
    public var hostname: String = ProcessInfo.processInfo.hostName
    public var username: String = ProcessInfo.processInfo.environment["USER"] ?? ""
    public var excludes: [String] = []
    public var caseInsensitiveExcludes: [String] = []
    public var oneFileSystem = false
    public var parent: ParentChoice = .automatic
    /// Walk, read and hash, but store nothing.
    public var dryRun = false
    /// File-reading tasks at once (each a batch of small files or one large file).
    public var readers = max(2, ProcessInfo.processInfo.activeProcessorCount + 1)
    public var programVersion = "basin"

    public init(paths: [String]) {
        self.paths = paths
    }
}

/// What a backup did.
public struct BackupResult: Sendable {
    /// The new snapshot; nil for a dry run.
    public var snapshot: Snapshot?
    public var parent: Snapshot?
    public var summary: SnapshotRecord.Summary
    /// Files whose content was read (0 for a backup with no changes against its parent).
    public var filesRead: Int
    /// Entries left out because they could not be read, each naming the path and the reason.
    public var warnings: [String]
    public var rootTree: Key?

    public var isComplete: Bool { warnings.isEmpty }
}

import BasinCore
