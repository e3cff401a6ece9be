import BasinCore

/// One difference between two snapshots, as `basin diff` reports it.
public struct TreeChange: Sendable, Equatable {
    /// restic's markers.
    public enum Kind: String, Sendable, CaseIterable {
        /// Only in the second snapshot.
        case added = "+"
        /// Only in the first snapshot.
        case removed = "-"
        /// Same type, other content: a file's content or size, a symlink's target, a device number.
        case modified = "M"
        /// Same type and content; mode, owner, mtime or extended attributes differ.
        case metadata = "U"
        /// The type changed (a file became a directory, …).
        case typeChanged = "T"
    }

    public let kind: Kind
    /// Components from the root tree.
    public let path: [[UInt8]]
    /// The entry in the first snapshot (nil when added).
    public let before: TreeEntry?
    /// The entry in the second snapshot (nil when removed).
    public let after: TreeEntry?

    public init(kind: Kind, path: [[UInt8]], before: TreeEntry?, after: TreeEntry?) {
        self.kind = kind
        self.path = path
        self.before = before
        self.after = after
    }

    /// Whether the entry is a directory (in the second snapshot, else in the first).
    public var isDirectory: Bool { (after ?? before)?.type == .directory }

    /// The absolute path as text, with a trailing `/` for a directory, as restic prints it.
    public var displayPath: String { SnapshotPath(path).description + (isDirectory ? "/" : "") }
    /// The path for a line of text output, control bytes escaped (see ``SnapshotNode/displayLine``).
    public var displayLine: String { SnapshotPath(path).line + (isDirectory ? "/" : "") }
}
