import BasinBackend
import BasinCore
import BasinStore
import Glibc

/// One backup's walk, and the task group that joins it to the file saver and the tree saver.
///
/// The walk runs on the calling task, depth first: it lists and stats each directory, keeps
/// the entries it can make at once (unchanged files, symlinks, special files), hands files to
/// read to the ``FileSaver`` as jobs in the group, and tells the ``TreeSaver`` when a
/// directory is fully listed. Results come back through the group; a complete tree becomes a
/// job of its own. At most `readers` file jobs and as many tree jobs run at once: before
/// adding one, the walk takes finished jobs until there is room, so it never runs ahead of
/// the readers (the back-pressure) and cancelling the task reaches every job.
final class BackupRun {
    private let engine: BackupEngine
    private let fileSaver: FileSaver
    private var trees = TreeSaver()
    private var fileJobs = 0
    private var treeJobs = 0
    private let fileJobLimit: Int
    private let treeJobLimit: Int
    private var rootKey: Key?

    /// What a job of the group hands back.
    enum Completion: Sendable {
        /// A file job's entries.
        case files([TreeSaver.Filled])
        /// A stored tree: its key and its directory's entry for the parent (nil for the root).
        case tree(Key, TreeSaver.Filled?)
    }

    typealias Group = ThrowingTaskGroup<Completion, any Error>

    init(engine: BackupEngine) {
        self.engine = engine
        fileSaver = FileSaver(engine: engine)
        fileJobLimit = max(1, engine.options.readers)
        treeJobLimit = max(2, engine.options.readers)
    }

    /// Backs up `targets` and returns the root tree's key.
    /// - Parameters:
    ///   - parentRoot: the parent snapshot's root tree, for change detection.
    ///   - parentRootKey: its key.
    func run(targets: [SnapshotPath], parentRoot: Tree?, parentRootKey: Key?) async throws -> Key {
        let root = BackupEngine.PathNode.build(targets)
        try await withThrowingTaskGroup(of: Completion.self) { group in
            if root.isTarget {
                // The whole file system: "/" itself is the root tree.
                let status = try FileSystem.status(path: SnapshotPath().bytes)
                let handle = try DirectoryHandle(at: AT_FDCWD, name: SnapshotPath().bytes)
                let rootEntry = TreeEntry(name: Array("/".utf8), type: .directory, content: parentRoot.map { _ in parentRootKey! })
                try await walkDirectory(handle, path: SnapshotPath(), status: status, parentEntry: rootEntry,
                                        device: status.device, in: nil, group: &group)
            } else {
                try await walkIntermediate(root, path: SnapshotPath(), entry: nil, parentTree: parentRoot, in: nil, group: &group)
            }
            try await finish(&group)
        }
        guard let rootKey else { throw BasinError(.unavailable, "cannot read /") }
        return rootKey
    }

    // MARK: - Walking

    /// A directory on the way to the targets: its own metadata, and entries only for the
    /// children that lead to targets.
    private func walkIntermediate(_ node: BackupEngine.PathNode, path: SnapshotPath, entry: TreeEntry?, parentTree: Tree?,
                                  in parent: Int?, group: inout Group) async throws {
        let directory = trees.open(entry: entry, in: parent)
        for name in node.sortedNames {
            let child = node.children[name]!
            let childPath = path.appending(name)
            let parentEntry = parentTree?.entry(named: name)
            if child.isTarget {
                try await walkTarget(childPath, parentEntry: parentEntry, in: directory, group: &group)
                continue
            }
            guard let status = status(of: childPath) else { continue }
            let subtreeParent = try await engine.subtree(of: parentEntry)
            try await walkIntermediate(child, path: childPath, entry: engine.makeEntry(name: name, status: status, path: childPath),
                                       parentTree: subtreeParent, in: directory, group: &group)
        }
        trees.close(directory)
    }

    /// A path given to the backup: backed up whole.
    private func walkTarget(_ path: SnapshotPath, parentEntry: TreeEntry?, in parent: Int, group: inout Group) async throws {
        guard let status = status(of: path) else { return }
        guard status.type == .directory else {
            // A file (or link…) named by its path, an entry of the intermediate directory.
            try await walkEntries([(path.name!, status)], in: nil, path: path.parent,
                                  parentTree: parentEntry.map { Tree(entries: [$0]) }, device: status.device,
                                  directory: parent, group: &group)
            return
        }
        let handle: DirectoryHandle
        do {
            handle = try DirectoryHandle(at: AT_FDCWD, name: path.bytes)
        } catch {
            engine.warn("\(path): \(error)")
            return
        }
        try await walkDirectory(handle, path: path, status: status, parentEntry: parentEntry, device: status.device,
                                in: parent, group: &group)
    }

    /// The status of a path given to the backup or on the way to one; nil, with a warning,
    /// when it cannot be had.
    private func status(of path: SnapshotPath) -> FileStatus? {
        do {
            return try FileSystem.status(path: path.bytes)
        } catch {
            engine.warn("\(path): \(error)")
            return nil
        }
    }

    /// Lists and stats a directory, then walks its entries; its tree is stored once the last
    /// of them is done. A directory that cannot be listed is left out with a warning.
    private func walkDirectory(_ handle: DirectoryHandle, path: SnapshotPath, status: FileStatus, parentEntry: TreeEntry?,
                               device: UInt64, in parent: Int?, group: inout Group) async throws {
        try await makeRoom(forFile: false, group: &group)
        let children: [(name: [UInt8], status: FileStatus)]
        do {
            children = try handle.entries(at: path, excluding: engine.excluder) { entryPath, error in
                engine.warn("\(entryPath): \(error)")
            }
        } catch {
            engine.warn("\(path): cannot list the directory: \(error)")
            return
        }
        let parentTree = try await engine.subtree(of: parentEntry)
        let directory = trees.open(entry: engine.makeEntry(name: path.name ?? [], status: status, path: path), in: parent)
        engine.state.withLock { $0.summary.directories += 1 }
        try await walkEntries(children, in: handle, path: path, parentTree: parentTree, device: device,
                              directory: directory, group: &group)
        trees.close(directory)
    }

    /// The entries of one directory: ready ones at once, files to read as jobs (small files
    /// in batches), subdirectories walked now.
    private func walkEntries(_ children: [(name: [UInt8], status: FileStatus)], in handle: DirectoryHandle?, path: SnapshotPath,
                             parentTree: Tree?, device: UInt64, directory: Int, group: inout Group) async throws {
        var batch = FileSaver.Job(directory: handle)
        for (name, status) in children {
            try Task.checkCancellation()
            let entryPath = path.appending(name)
            let previous = parentTree?.entry(named: name)
            switch status.type {
            case .file:
                engine.state.withLock { $0.summary.totalBytes += Int64(status.size) }
                if let previous, BackupEngine.unchanged(previous, status) {
                    var entry = engine.makeEntry(name: name, status: status, path: entryPath)
                    entry.content = previous.content
                    engine.state.withLock { $0.summary.filesUnmodified += 1 }
                    engine.progress.fileDone(bytes: Int64(status.size), path: entryPath.description)
                    trees.add(entry, to: directory)
                    continue
                }
                let file = FileSaver.File(slot: trees.reserve(in: directory), path: entryPath, status: status,
                                          isNew: previous?.type != .file)
                if status.size > FileSaver.smallFileLimit {
                    var single = FileSaver.Job(directory: handle)
                    single.append(file)
                    try await submit(single, group: &group)
                } else {
                    batch.append(file)
                    if batch.isFull {
                        try await submit(batch, group: &group)
                        batch = FileSaver.Job(directory: handle)
                    }
                }
            case .directory:
                guard let handle else { continue }
                if engine.options.oneFileSystem, status.device != device {
                    // Another file system: keep the mount point as an empty directory.
                    trees.close(trees.open(entry: engine.makeEntry(name: name, status: status, path: entryPath), in: directory))
                    continue
                }
                let subdirectory: DirectoryHandle
                do {
                    subdirectory = try DirectoryHandle(at: handle.fd, name: name)
                } catch {
                    engine.warn("\(entryPath): cannot open the directory: \(error)")
                    continue
                }
                try await walkDirectory(subdirectory, path: entryPath, status: status, parentEntry: previous, device: device,
                                        in: directory, group: &group)
            case .symlink:
                var entry = engine.makeEntry(name: name, status: status, path: entryPath)
                do {
                    entry.linkTarget = try FileSystem.readLink(at: handle?.fd ?? AT_FDCWD, name: handle == nil ? entryPath.bytes : name,
                                                               size: Int(status.size))
                } catch {
                    engine.warn("\(entryPath): cannot read the link: \(error)")
                    continue
                }
                engine.state.withLock { $0.summary.otherEntries += 1 }
                trees.add(entry, to: directory)
            case .fifo, .characterDevice, .blockDevice, .socket:
                engine.state.withLock { $0.summary.otherEntries += 1 }
                trees.add(engine.makeEntry(name: name, status: status, path: entryPath), to: directory)
            case nil:
                engine.warn("\(entryPath): unknown file type, skipped")
            }
        }
        if !batch.files.isEmpty { try await submit(batch, group: &group) }
    }

    // MARK: - Jobs

    /// Adds a file job once there is room for it.
    private func submit(_ job: FileSaver.Job, group: inout Group) async throws {
        try await makeRoom(forFile: true, group: &group)
        fileJobs += 1
        let fileSaver = fileSaver
        group.addTask { .files(try await fileSaver.save(job)) }
    }

    /// Starts the ready trees there is room for, then takes finished jobs until no ready tree
    /// waits and, for a file job, until fewer than the limit run.
    private func makeRoom(forFile: Bool, group: inout Group) async throws {
        try Task.checkCancellation()
        while true {
            startReadyTrees(&group)
            guard trees.hasReady || (forFile && fileJobs >= fileJobLimit) else { return }
            try await takeCompletion(&group)
        }
    }

    private func startReadyTrees(_ group: inout Group) {
        while treeJobs < treeJobLimit, let ready = trees.takeReady() {
            treeJobs += 1
            let engine = engine
            group.addTask {
                let (key, filled) = try await TreeSaver.store(ready, engine: engine)
                return .tree(key, filled)
            }
        }
    }

    private func takeCompletion(_ group: inout Group) async throws {
        guard let completion = try await group.next() else {
            throw BasinError(.internalError, "the backup waited for a job when none was running")
        }
        switch completion {
        case let .files(filled):
            fileJobs -= 1
            for file in filled { trees.fill(file) }
        case let .tree(key, filled):
            treeJobs -= 1
            if let filled { trees.fill(filled) } else { rootKey = key }
        }
    }

    /// Waits for every job, storing the trees they complete, up to the root.
    private func finish(_ group: inout Group) async throws {
        while true {
            startReadyTrees(&group)
            guard fileJobs + treeJobs > 0 else { break }
            try await takeCompletion(&group)
        }
        guard trees.pendingCount == 0 else {
            throw BasinError(.internalError, "the backup ended with \(trees.pendingCount) directories unfinished")
        }
    }
}
