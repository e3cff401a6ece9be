import BasinBackend
import BasinCore
import BasinStore

/// Compares two snapshots, as `basin diff` does, reading only tree grains.
///
/// Both trees are walked in lockstep: entries are sorted by name bytes, so each directory is
/// one merge-join. Two directories with the same subtree key hold the same content and are
/// skipped without loading them; that is the point of content addressing. Directories only
/// on one side are walked to report (and count) everything in them.
public struct TreeDiffer<Source: TreeSource>: Sendable {
    public let source: Source

    public init(source: Source) {
        self.source = source
    }

    /// Reports every difference between `before` and `after` into `visit`, in path order.
    /// - Parameter visit: Called for each change, a directory before its contents.
    /// - Returns: The counts and sizes of the changes.
    /// - Throws: The store's errors (`.notFound`, `.corrupted`) naming the tree concerned.
    public func diff(_ before: Snapshot, _ after: Snapshot,
                     visit: (TreeChange) throws(BasinError) -> Void) async throws(BasinError) -> DiffSummary {
        try await diff(from: before.rootKey(), to: after.rootKey(), visit: visit)
    }

    /// Compares the trees under `before` and `after` (reported paths start at `path`).
    public func diff(from before: Key, to after: Key, at path: [[UInt8]] = [],
                     visit: (TreeChange) throws(BasinError) -> Void) async throws(BasinError) -> DiffSummary {
        var summary = DiffSummary()
        try await compare(before, after, at: path, into: &summary, visit: visit)
        return summary
    }

    private func compare(_ before: Key?, _ after: Key?, at path: [[UInt8]], into summary: inout DiffSummary,
                         visit: (TreeChange) throws(BasinError) -> Void) async throws(BasinError) {
        guard before != after else { return }
        let old = try await entries(before)
        let new = try await entries(after)
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i].name.lexicographicallyPrecedes(new[j].name)) {
                try await report(.removed, old[i], at: path + [old[i].name], into: &summary, visit: visit)
                i += 1
            } else if i == old.count || new[j].name.lexicographicallyPrecedes(old[i].name) {
                try await report(.added, new[j], at: path + [new[j].name], into: &summary, visit: visit)
                j += 1
            } else {
                try await compare(old[i], new[j], at: path + [new[j].name], into: &summary, visit: visit)
                i += 1
                j += 1
            }
        }
    }

    /// Compares two entries of the same name.
    private func compare(_ old: TreeEntry, _ new: TreeEntry, at path: [[UInt8]], into summary: inout DiffSummary,
                         visit: (TreeChange) throws(BasinError) -> Void) async throws(BasinError) {
        guard old.type == new.type else {
            try visit(TreeChange(kind: .typeChanged, path: path, before: old, after: new))
            summary.typeChanged += 1
            try await count(.removed, old, at: path, into: &summary, visit: visit)
            try await count(.added, new, at: path, into: &summary, visit: visit)
            return
        }
        if old.type == .directory {
            if !Self.sameMetadata(old, new) {
                try visit(TreeChange(kind: .metadata, path: path, before: old, after: new))
                summary.metadataChanged += 1
            }
            try await compare(old.content, new.content, at: path, into: &summary, visit: visit)
        } else if !Self.sameContent(old, new) {
            try visit(TreeChange(kind: .modified, path: path, before: old, after: new))
            if old.type == .file {
                summary.filesChanged += 1
                summary.bytesAdded += new.size
                summary.bytesRemoved += old.size
            } else {
                summary.othersChanged += 1
            }
        } else if !Self.sameMetadata(old, new) {
            try visit(TreeChange(kind: .metadata, path: path, before: old, after: new))
            summary.metadataChanged += 1
        }
    }

    /// Reports an entry only on one side, then everything below it.
    private func report(_ kind: TreeChange.Kind, _ entry: TreeEntry, at path: [[UInt8]], into summary: inout DiffSummary,
                        visit: (TreeChange) throws(BasinError) -> Void) async throws(BasinError) {
        let added = kind == .added
        try visit(TreeChange(kind: kind, path: path, before: added ? nil : entry, after: added ? entry : nil))
        try await count(kind, entry, at: path, into: &summary, visit: visit)
    }

    /// Counts an entry only on one side and reports what a directory holds.
    private func count(_ kind: TreeChange.Kind, _ entry: TreeEntry, at path: [[UInt8]], into summary: inout DiffSummary,
                       visit: (TreeChange) throws(BasinError) -> Void) async throws(BasinError) {
        let added = kind == .added
        switch entry.type {
        case .file:
            if added {
                summary.filesAdded += 1
                summary.bytesAdded += entry.size
            } else {
                summary.filesRemoved += 1
                summary.bytesRemoved += entry.size
            }
        case .directory:
            if added { summary.directoriesAdded += 1 } else { summary.directoriesRemoved += 1 }
            for child in try await entries(entry.content) {
                try await report(kind, child, at: path + [child.name], into: &summary, visit: visit)
            }
        default:
            if added { summary.othersAdded += 1 } else { summary.othersRemoved += 1 }
        }
    }

    /// A directory's entries; none for a directory without a subtree key.
    private func entries(_ key: Key?) async throws(BasinError) -> [TreeEntry] {
        guard let key else { return [] }
        return try await source.tree(key).entries
    }

    /// Same content for entries of the same type: content key and size, link target, device number.
    static func sameContent(_ old: TreeEntry, _ new: TreeEntry) -> Bool {
        old.content == new.content && old.size == new.size && old.linkTarget == new.linkTarget
            && old.deviceNumber == new.deviceNumber
    }

    /// Same metadata as users see it. Inode, device, link count and ctime are left out: they
    /// change when a tree is copied or restored and serve change detection only.
    static func sameMetadata(_ old: TreeEntry, _ new: TreeEntry) -> Bool {
        old.mode == new.mode && old.uid == new.uid && old.gid == new.gid && old.userName == new.userName
            && old.groupName == new.groupName && old.modificationTime == new.modificationTime
            && old.extendedAttributes == new.extendedAttributes
    }
}
