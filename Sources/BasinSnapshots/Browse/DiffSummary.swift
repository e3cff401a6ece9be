/// Counts of what `basin diff` found.
///
/// A type change counts as the removal of the old entry and the addition of the new one (and
/// of a directory's contents on either side), besides `typeChanged`. Bytes are file sizes:
/// `bytesAdded` sums the files only in the second snapshot and the new size of files whose
/// content changed; `bytesRemoved` the files only in the first and their old size.
public struct DiffSummary: Codable, Sendable, Equatable {
    public var filesAdded = 0
    public var filesRemoved = 0
    /// Files whose content changed.
    public var filesChanged = 0
    public var directoriesAdded = 0
    public var directoriesRemoved = 0
    /// Symlinks, devices, fifos and sockets.
    public var othersAdded = 0
    public var othersRemoved = 0
    public var othersChanged = 0
    public var typeChanged = 0
    /// Entries whose metadata alone changed.
    public var metadataChanged = 0
    public var bytesAdded: UInt64 = 0
    public var bytesRemoved: UInt64 = 0

    public init() {}

    /// Whether no difference was found, not even in metadata.
    public var isEmpty: Bool { self == DiffSummary() }
}
