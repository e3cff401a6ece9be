import BasinCore

/// An entry of a snapshot and where it is: what `ls` and `find` list.
public struct SnapshotNode: Sendable, Equatable {
    /// Components from the root tree; the last one is the entry's name (`[]` for the root).
    public let path: [[UInt8]]
    public let entry: TreeEntry

    public init(path: [[UInt8]], entry: TreeEntry) {
        self.path = path
        self.entry = entry
    }

    /// The absolute path as text (`\xNN` for bytes that are not UTF-8).
    public var displayPath: String { SnapshotPath(path).description }
    /// The path for a line of text output: control bytes escaped too (`\x0a`), so a name cannot fake lines.
    public var displayLine: String { SnapshotPath(path).line }
}
