import BasinBackend
import BasinCore
import BasinStore
import Foundation
import Synchronization
import SystemPackage
import Glibc

/// Backs up directory trees into a basin as a snapshot.
///
/// A walker lists and stats directories depth-first on the calling task; file content is read,
/// chunked, hashed, compressed and sealed by up to `readers` concurrent tasks (small files in
/// batches, so many small files are not one syscall-bound queue; a large file with its chunks
/// processed concurrently), and each directory's tree grain is written by a task that awaits
/// its children. The limit on readers is the back-pressure: the walker waits for a free
/// reader, so memory stays bounded however large the tree. A file whose size, mtime, ctime and
/// inode match the parent snapshot's entry reuses its content key without being read.
public final class BackupEngine: Sendable {
    public let repository: SnapshotRepository
    public let options: BackupOptions
    public let progress: BackupProgress
    let excluderOrError: Result<ExcludeMatcher, BasinError>
    let accounts = AccountNames()
    let readers: AsyncSemaphore
    let state = Mutex(State())
    /// The parent snapshot's trees, read ahead from a remote basin (see `loadParentTrees`).
    let parentTrees = Mutex<[Key: Tree]>([:])
    /// Entries of parent trees read ahead at most (≈ 200 bytes each).
    static let parentTreeBudget = 400_000

    struct State {
        var summary = SnapshotRecord.Summary()
        var filesRead = 0
        var warnings: [String] = []
    }

    /// Files up to this size are read whole and stored in batches.
    static let smallFileLimit: UInt64 = 1 << 20
    static let batchFiles = 64
    static let batchBytes: UInt64 = 8 << 20

    public init(repository: SnapshotRepository, options: BackupOptions, progress: BackupProgress = BackupProgress()) {
        self.repository = repository
        self.options = options
        self.progress = progress
        excluderOrError = Result { () throws(BasinError) in
            try ExcludeMatcher(patterns: options.excludes, caseInsensitive: options.caseInsensitiveExcludes)
        }
        readers = AsyncSemaphore(permits: options.readers)
    }

    var basin: Basin { repository.basin }

    /// Valid once `run()` has checked the patterns.
    var excluder: ExcludeMatcher { (try? excluderOrError.get()) ?? (try! ExcludeMatcher(patterns: [])) }

    /// Runs the backup and, unless it is a dry run, writes the snapshot.
    /// - Throws: `.invalidArgument` for paths that do not exist; store errors (a full disk, a
    ///   server failing) end the backup. Unreadable files are warnings, not errors.
    public func run() async throws(BasinError) -> BackupResult {
        _ = try excluderOrError.get()
        let started = ContinuousClock.now
        let startDate = Date()
        let targets = try options.paths.map { path throws(BasinError) in try Self.absoluteComponents(path) }
        let parent = try await chooseParent(paths: targets)
        let parentRoot: Tree? = if let key = parent?.record.treeKey { try await loadParentTrees(below: key) } else { nil }
        let root = PathNode.build(targets)
        let writtenBefore = await basin.written

        let rootKey: Key
        do {
            if root.isTarget {
                // The whole file system: "/" itself is the root tree.
                let status = try FileSystem.status(path: [UInt8(ascii: "/")])
                let handle = DirectoryHandle(fd: try FileSystem.openDirectory(at: AT_FDCWD, name: [UInt8(ascii: "/")]))
                let rootEntry = TreeEntry(name: Array("/".utf8), type: .directory, content: parentRoot.map { _ in parent!.record.treeKey! })
                let entry = try await backupDirectory(handle, path: [], status: status, parentEntry: rootEntry, device: status.device).value
                rootKey = try entry?.content ?? { throw BasinError(.unavailable, "cannot read /") }()
            } else {
                rootKey = try await backupVirtual(root, components: [], parentTree: parentRoot).value
            }
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.internalError, "backup failed", underlying: error)
        }
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
        let record = SnapshotRecord(time: startDate, hostname: options.hostname, username: options.username,
                                    paths: targets.map { "/" + $0.map(Tree.display).joined(separator: "/") }.sorted(),
                                    tags: options.tags.sorted(), parent: parent?.id.hex, tree: rootKey,
                                    excludes: options.excludes + options.caseInsensitiveExcludes,
                                    summary: result.summary, programVersion: options.programVersion)
        result.snapshot = try await repository.save(record)
        return result
    }

    // MARK: - Parent

    func chooseParent(paths: [[[UInt8]]]) async throws(BasinError) -> Snapshot? {
        switch options.parent {
        case .none:
            return nil
        case let .snapshot(name):
            return try await repository.resolve(name)
        case .automatic:
            let wanted = paths.map { "/" + $0.map(Tree.display).joined(separator: "/") }.sorted()
            return try await repository.list().last { $0.record.hostname == options.hostname && $0.record.paths == wanted }
        }
    }

    // MARK: - Paths

    /// The components of `path` made absolute (against the working directory) and normalized
    /// lexically (`.`, `..`, repeated slashes), as restic does; symlinks are not resolved.
    static func absoluteComponents(_ path: String) throws(BasinError) -> [[UInt8]] {
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
        do {
            _ = try FileSystem.status(path: joined(components))
        } catch {
            throw BasinError(.invalidArgument, "cannot back up \(path): \(error)")
        }
        return components
    }

    static func joined(_ components: [[UInt8]]) -> [UInt8] {
        guard !components.isEmpty else { return [UInt8(ascii: "/")] }
        return components.reduce(into: []) { $0 += [UInt8(ascii: "/")] + $1 }
    }

    static func display(_ components: [[UInt8]]) -> String { Tree.display(joined(components)) }

    /// The tree of paths to back up: intermediate directories lead to the targets.
    struct PathNode {
        var children: [[UInt8]: PathNode] = [:]
        /// Backed up whole (everything below it).
        var isTarget = false

        static func build(_ targets: [[[UInt8]]]) -> PathNode {
            var root = PathNode()
            for target in targets { root.insert(target[...]) }
            return root
        }

        mutating func insert(_ components: ArraySlice<[UInt8]>) {
            guard let first = components.first else {
                isTarget = true
                return
            }
            children[first, default: PathNode()].insert(components.dropFirst())
        }
    }

    func warn(_ message: String) {
        state.withLock { $0.warnings.append(message) }
    }
}
