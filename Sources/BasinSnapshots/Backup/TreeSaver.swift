import BasinBackend
import BasinCore

/// Assembles trees bottom up (restic's tree saver). A directory's entries fill in as its
/// children finish, in any order; once the walk has listed all of it and its last child is
/// done, its tree is ready, and storing it fills the directory's own entry in its parent.
/// Only directories with work outstanding are held, so with the walk's bound on jobs the
/// memory held is bounded by the depth of the tree and the jobs in flight.
///
/// Owned by the walk's task: the walk opens, reserves and closes; completed jobs fill.
struct TreeSaver {
    /// Where an entry goes: the directory it belongs to and its place among the entries.
    struct Slot: Sendable {
        let directory: Int
        let index: Int
    }

    /// A finished child: its entry, or nil for one left out.
    struct Filled: Sendable {
        let slot: Slot
        let entry: TreeEntry?
    }

    /// A directory whose tree is complete: once stored, its key is the content of `entry`,
    /// which fills `slot` in the parent; nil `slot` for the root tree.
    struct Ready: Sendable {
        let tree: Tree
        let entry: TreeEntry?
        let slot: Slot?
    }

    private struct Pending {
        let entry: TreeEntry?
        let slot: Slot?
        var entries: [TreeEntry?] = []
        var outstanding = 0
        var listed = false
    }

    private var pending: [Int: Pending] = [:]
    private var nextDirectory = 0
    private var ready: [Ready] = []

    /// Starts a directory: `entry` (nil for the root tree) will go in `parent`, in the next
    /// place there.
    /// - Returns: the directory's number, for its children's slots.
    mutating func open(entry: TreeEntry?, in parent: Int?) -> Int {
        let slot = parent.map { reserve(in: $0) }
        let directory = nextDirectory
        nextDirectory += 1
        pending[directory] = Pending(entry: entry, slot: slot)
        return directory
    }

    /// The next place in `directory` for an entry that a job will fill.
    mutating func reserve(in directory: Int) -> Slot {
        let index = pending[directory]!.entries.count
        pending[directory]!.entries.append(nil)
        pending[directory]!.outstanding += 1
        return Slot(directory: directory, index: index)
    }

    /// An entry ready now (an unchanged file, a symlink, a special file), in the next place.
    mutating func add(_ entry: TreeEntry, to directory: Int) {
        pending[directory]!.entries.append(entry)
    }

    /// A job's result for a reserved place.
    mutating func fill(_ filled: Filled) {
        let directory = filled.slot.directory
        pending[directory]!.entries[filled.slot.index] = filled.entry
        pending[directory]!.outstanding -= 1
        finishIfComplete(directory)
    }

    /// The walk has given every entry of `directory`.
    mutating func close(_ directory: Int) {
        pending[directory]!.listed = true
        finishIfComplete(directory)
    }

    private mutating func finishIfComplete(_ directory: Int) {
        guard let done = pending[directory], done.listed, done.outstanding == 0 else { return }
        pending[directory] = nil
        ready.append(Ready(tree: Tree(entries: done.entries.compactMap { $0 }), entry: done.entry, slot: done.slot))
    }

    var hasReady: Bool { !ready.isEmpty }

    /// Directories with entries still to come.
    var pendingCount: Int { pending.count }

    /// The next tree to store, oldest first.
    mutating func takeReady() -> Ready? {
        ready.isEmpty ? nil : ready.removeFirst()
    }

    /// Stores a ready tree (a dry run only computes its key).
    /// - Returns: the tree's key and the filled entry for its parent.
    static func store(_ ready: Ready, engine: BackupEngine) async throws(BasinError) -> (key: Key, filled: Filled?) {
        let key = engine.options.dryRun ? engine.basin.key(of: ready.tree.encoded())
                                        : try await engine.repository.saveTree(ready.tree)
        guard let slot = ready.slot else { return (key, nil) }
        var entry = ready.entry
        entry?.content = key
        return (key, Filled(slot: slot, entry: entry))
    }
}
