import BasinBackend
import BasinCore
import BasinStore
import Foundation
import Synchronization
import SystemPackage
import Glibc

/// Backs up directory trees into a basin as a snapshot.
///
/// Three parts, after restic's archiver, joined in one task group by ``BackupRun``: the walk
/// lists and stats directories depth first on the calling task and keeps, for a file whose
/// size, mtime, ctime and inode match the parent snapshot's entry, that entry's content key;
/// a ``FileSaver`` reads and stores the other files, at most `readers` jobs at once (small
/// files in batches, a large file with its chunks processed concurrently); a ``TreeSaver``
/// assembles each directory's tree once its last child is done and has it stored, bottom up.
/// The bound on jobs is the back-pressure: the walk waits for room, so memory stays bounded
/// however large the tree, and cancelling the task running ``run()`` stops every part.
/// ``BackupScanner`` counts the input beside it for the progress line's totals.
public final class BackupEngine: Sendable {
    public let repository: SnapshotRepository
    public let options: BackupOptions
    public let progress: BackupProgress
    let excluderOrError: Result<ExcludeMatcher, BasinError>
    let accounts = AccountNames()
    let state = Mutex(State())
    let hooks: Hooks
    /// The parent snapshot's trees, read ahead from a remote basin (see `loadParentTrees`).
    let parentTrees = Mutex<[Key: Tree]>([:])
    /// Entries of parent trees read ahead at most (≈ 200 bytes each).
    static let parentTreeBudget = 400_000

    struct State {
        var summary = SnapshotRecord.Summary()
        var filesRead = 0
        var warnings: [String] = []
        /// Files a file saver has opened and not yet stored, now and at the most.
        var filesInFlight = 0
        var maxFilesInFlight = 0
    }

    public convenience init(repository: SnapshotRepository, options: BackupOptions, progress: BackupProgress = BackupProgress()) {
        self.init(repository: repository, options: options, progress: progress, hooks: Hooks())
    }

    package init(repository: SnapshotRepository, options: BackupOptions, progress: BackupProgress, hooks: Hooks) {
        self.repository = repository
        self.options = options
        self.progress = progress
        self.hooks = hooks
        excluderOrError = Result { () throws(BasinError) in
            try ExcludeMatcher(patterns: options.excludes, caseInsensitive: options.caseInsensitiveExcludes)
        }
    }

    var basin: Basin { repository.basin }

    /// Valid once `run()` has checked the patterns.
    var excluder: ExcludeMatcher { (try? excluderOrError.get()) ?? (try! ExcludeMatcher(patterns: [])) }

    /// Runs the backup and, unless it is a dry run, writes the snapshot.
    /// - Throws: `BasinError`: `.invalidArgument` for paths that do not exist; store errors (a
    ///   full disk, a server failing) end the backup. Unreadable files are warnings, not
    ///   errors. `CancellationError` when the task is cancelled: every part stops, and no
    ///   snapshot is written (what was stored stays, for the next backup to reuse).
    public func run() async throws -> BackupResult {
        _ = try excluderOrError.get()
        let started = ContinuousClock.now
        let startDate = Date()
        let targets = try options.paths.map { path throws(BasinError) in try Self.absolutePath(path) }
        let parent = try await chooseParent(paths: targets)
        let parentRoot: Tree? = if let key = parent?.record.treeKey { try await loadParentTrees(below: key) } else { nil }
        let writtenBefore = await basin.written

        let rootKey: Key
        do {
            rootKey = try await BackupRun(engine: self).run(targets: targets, parentRoot: parentRoot,
                                                            parentRootKey: parent?.record.treeKey)
        } catch let error where Self.isCancellation(error) {
            throw CancellationError()
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.internalError, "backup failed", underlying: error)
        }
        try Task.checkCancellation()
        // The data lane is made durable now; the last trees share a meta stratum with the
        // snapshot grain, which `save` commits (so `bytesStored` leaves that stratum out).
        if !options.dryRun { try await basin.flushData() }
        let writtenAfter = await basin.written

        var result = state.withLock { state in
            BackupResult(snapshot: nil, parent: parent, summary: state.summary, filesRead: state.filesRead,
                         warnings: state.warnings, rootTree: rootKey)
        }
        result.summary.bytesAdded = writtenAfter.plainBytes - writtenBefore.plainBytes
        result.summary.bytesStored = writtenAfter.storedBytes - writtenBefore.storedBytes
        result.summary.errors = result.warnings.count
        result.summary.durationSeconds = (ContinuousClock.now - started) / .seconds(1)
        guard !options.dryRun else { return result }
        try Task.checkCancellation()
        let record = SnapshotRecord(time: startDate, hostname: options.hostname, username: options.username,
                                    paths: targets.map(\.description).sorted(),
                                    tags: options.tags.sorted(), parent: parent?.id.hex, tree: rootKey,
                                    excludes: options.excludes + options.caseInsensitiveExcludes,
                                    summary: result.summary, programVersion: options.programVersion)
        result.snapshot = try await repository.save(record)
        return result
    }

    /// Whether `error` is the backup's task being cancelled, as thrown by a part or wrapped
    /// by the store around a read that stopped.
    static func isCancellation(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if let error = error as? BasinError, let underlying = error.underlying { return isCancellation(underlying) }
        return false
    }

    // MARK: - Parent

    func chooseParent(paths: [SnapshotPath]) async throws(BasinError) -> Snapshot? {
        switch options.parent {
        case .none:
            return nil
        case let .snapshot(name):
            return try await repository.resolve(name)
        case .automatic:
            let wanted = paths.map(\.description).sorted()
            return try await repository.list().last { $0.record.hostname == options.hostname && $0.record.paths == wanted }
        }
    }

    /// The subtree a parent snapshot's entry points to, for change detection below it.
    func subtree(of entry: TreeEntry?) async throws(BasinError) -> Tree? {
        guard let entry, entry.type == .directory, let key = entry.content else { return nil }
        if let tree = parentTrees.withLock({ $0[key] }) { return tree }
        return try await repository.loadTree(key)
    }

    /// The parent snapshot's root tree. From a remote basin, the trees below it are read
    /// ahead too, level by level in a few requests per level, up to ``parentTreeBudget``
    /// entries: the walk would otherwise wait for one request per directory. A local basin
    /// reads each tree when the walk reaches it, which costs less memory and no more time.
    func loadParentTrees(below root: Key) async throws(BasinError) -> Tree {
        if basin.isRemote {
            let trees = await TreeLoader.readTrees(from: [root], repository: repository, entryBudget: Self.parentTreeBudget)
            parentTrees.withLock { $0 = trees }
        }
        if let tree = parentTrees.withLock({ $0[root] }) { return tree }
        return try await repository.loadTree(root)
    }

    // MARK: - Paths

    /// `path` made absolute (against the working directory) and normalized lexically (`.`,
    /// `..`, repeated slashes), as restic does; symlinks are not resolved.
    /// - Throws: `.invalidArgument` when there is nothing at the path.
    static func absolutePath(_ path: String) throws(BasinError) -> SnapshotPath {
        var bytes = Array(path.utf8)
        guard !bytes.isEmpty else { throw BasinError(.invalidArgument, "an empty path cannot be backed up") }
        if bytes.first != UInt8(ascii: "/") {
            bytes = Array(FileManager.default.currentDirectoryPath.utf8) + [UInt8(ascii: "/")] + bytes
        }
        var components: [[UInt8]] = []
        for component in bytes.split(separator: UInt8(ascii: "/")) {
            if component == [UInt8(ascii: ".")] { continue }
            if component == [UInt8(ascii: "."), UInt8(ascii: ".")] { _ = components.popLast(); continue }
            components.append(Array(component))
        }
        let absolute = SnapshotPath(components)
        do {
            _ = try FileSystem.status(path: absolute.bytes)
        } catch {
            throw BasinError(.invalidArgument, "cannot back up \(path): \(error)")
        }
        return absolute
    }

    /// The tree of paths to back up: intermediate directories lead to the targets.
    struct PathNode {
        var children: [[UInt8]: PathNode] = [:]
        /// Backed up whole (everything below it).
        var isTarget = false

        static func build(_ targets: [SnapshotPath]) -> PathNode {
            var root = PathNode()
            for target in targets { root.insert(target.components[...]) }
            return root
        }

        mutating func insert(_ components: ArraySlice<[UInt8]>) {
            guard let first = components.first else {
                isTarget = true
                return
            }
            children[first, default: PathNode()].insert(components.dropFirst())
        }

        /// The children's names in the order of a tree's entries.
        var sortedNames: [[UInt8]] { children.keys.sorted { $0.lexicographicallyPrecedes($1) } }
    }
}
