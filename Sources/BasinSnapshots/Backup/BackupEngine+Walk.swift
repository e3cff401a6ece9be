import BasinBackend
import BasinCore
import BasinStore
import Dispatch
import SystemPackage
import Glibc

/// An open directory, closed once the last task reading files in it lets go.
final class DirectoryHandle: Sendable {
    let fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }
}

/// A tree entry now, or later.
typealias EntryTask = Task<TreeEntry?, any Error>

extension BackupEngine {
    // MARK: - Intermediate directories and targets

    /// A directory on the way to the targets: its own metadata, and entries only for the
    /// children that lead to targets.
    func backupVirtual(_ node: PathNode, components: [[UInt8]], parentTree: Tree?) async throws -> Task<Key, any Error> {
        var children: [EntryTask] = []
        for name in node.children.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let child = node.children[name]!
            let path = components + [name]
            let parentEntry = parentTree?.entry(named: name)
            if child.isTarget {
                children.append(try await backupTarget(path, parentEntry: parentEntry))
                continue
            }
            let status: FileStatus
            do {
                status = try FileSystem.status(path: Self.joined(path))
            } catch {
                warn("\(Self.display(path)): \(error)")
                continue
            }
            let subtreeParent = try await subtree(of: parentEntry)
            let subtree = try await backupVirtual(child, components: path, parentTree: subtreeParent)
            let entry = makeEntry(name: name, status: status, path: path)
            children.append(Task {
                var entry = entry
                entry.content = try await subtree.value
                return entry
            })
        }
        return Task { try await self.saveTree(children) }
    }

    /// A path given to the backup: backed up whole.
    func backupTarget(_ path: [[UInt8]], parentEntry: TreeEntry?) async throws -> EntryTask {
        let status: FileStatus
        do {
            status = try FileSystem.status(path: Self.joined(path))
        } catch {
            warn("\(Self.display(path)): \(error)")
            return Task { nil }
        }
        guard status.type == .directory else {
            return try await backupEntries([(path.last!, status)], in: nil, directoryPath: Array(path.dropLast()),
                                           parentTree: parentEntry.map { Tree(entries: [$0]) }, device: status.device)[0]
        }
        let handle: DirectoryHandle
        do {
            handle = DirectoryHandle(fd: try FileSystem.openDirectory(at: AT_FDCWD, name: Self.joined(path)))
        } catch {
            warn("\(Self.display(path)): \(error)")
            return Task { nil }
        }
        return try await backupDirectory(handle, path: path, status: status, parentEntry: parentEntry, device: status.device)
    }

    // MARK: - Directories

    /// Lists and stats a directory, starts its files' reads and its subdirectories' walks, and
    /// returns the task that writes its tree once they are done.
    func backupDirectory(_ handle: DirectoryHandle, path: [[UInt8]], status: FileStatus, parentEntry: TreeEntry?,
                         device: UInt64) async throws -> EntryTask {
        let names: [[UInt8]]
        do {
            names = try FileSystem.list(directory: handle.fd).sorted { $0.lexicographicallyPrecedes($1) }
        } catch {
            warn("\(Self.display(path)): cannot list the directory: \(error)")
            return Task { nil }
        }
        var children: [([UInt8], FileStatus)] = []
        for name in names {
            guard !excluder.excludes(path + [name]) else { continue }
            do {
                children.append((name, try FileSystem.status(at: handle.fd, name: name)))
            } catch {
                warn("\(Self.display(path + [name])): \(error)")
            }
        }
        let parentTree = try await subtree(of: parentEntry)
        let tasks = try await backupEntries(children, in: handle, directoryPath: path, parentTree: parentTree, device: device)
        let entry = makeEntry(name: path.last ?? [], status: status, path: path)
        state.withLock { $0.summary.directories += 1 }
        return Task {
            var entry = entry
            entry.content = try await self.saveTree(tasks)
            return entry
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

    /// Entries of one directory: ready ones at once; file reads batched onto the readers;
    /// subdirectories walked now (depth first), their trees written later.
    func backupEntries(_ children: [([UInt8], FileStatus)], in handle: DirectoryHandle?, directoryPath: [[UInt8]],
                       parentTree: Tree?, device: UInt64) async throws -> [EntryTask] {
        var tasks: [EntryTask?] = Array(repeating: nil, count: children.count)
        var batch: [(index: Int, name: [UInt8], status: FileStatus, isNew: Bool)] = []
        var batchBytes: UInt64 = 0

        func startBatch() async {
            guard !batch.isEmpty else { return }
            let files = batch
            batch = []
            batchBytes = 0
            await readers.acquire()
            let shared = Task { () async throws -> [TreeEntry?] in
                defer { self.readers.release() }
                var entries: [TreeEntry?] = []
                for file in files {
                    entries.append(try await self.readFile(file.name, status: file.status, in: handle,
                                                           directoryPath: directoryPath, isNew: file.isNew))
                }
                return entries
            }
            for (position, file) in files.enumerated() {
                tasks[file.index] = Task { try await shared.value[position] }
            }
        }

        for (index, (name, status)) in children.enumerated() {
            let path = directoryPath + [name]
            let previous = parentTree?.entry(named: name)
            switch status.type {
            case .file:
                state.withLock { $0.summary.totalBytes += Int64(status.size) }
                if let previous, Self.unchanged(previous, status) {
                    var entry = makeEntry(name: name, status: status, path: path)
                    entry.content = previous.content
                    state.withLock { $0.summary.filesUnmodified += 1 }
                    progress.fileDone(bytes: Int64(status.size), path: Self.display(path))
                    tasks[index] = Task { entry }
                    continue
                }
                let isNew = previous?.type != .file
                if status.size > Self.smallFileLimit {
                    await readers.acquire()
                    tasks[index] = Task {
                        defer { self.readers.release() }
                        return try await self.readFile(name, status: status, in: handle, directoryPath: directoryPath, isNew: isNew)
                    }
                } else {
                    batch.append((index, name, status, isNew))
                    batchBytes += status.size
                    if batch.count >= Self.batchFiles || batchBytes >= Self.batchBytes { await startBatch() }
                }
            case .directory:
                guard let handle else { continue }
                if options.oneFileSystem, status.device != device {
                    // Another file system: keep the mount point as an empty directory.
                    let entry = makeEntry(name: name, status: status, path: path)
                    tasks[index] = Task { var entry = entry; entry.content = try await self.saveTree([]); return entry }
                    continue
                }
                let subdirectory: DirectoryHandle
                do {
                    subdirectory = DirectoryHandle(fd: try FileSystem.openDirectory(at: handle.fd, name: name))
                } catch {
                    warn("\(Self.display(path)): cannot open the directory: \(error)")
                    continue
                }
                tasks[index] = try await backupDirectory(subdirectory, path: path, status: status, parentEntry: previous, device: device)
            case .symlink:
                var entry = makeEntry(name: name, status: status, path: path)
                do {
                    entry.linkTarget = try FileSystem.readLink(at: handle?.fd ?? AT_FDCWD,
                                                               name: handle == nil ? Self.joined(path) : name,
                                                               size: Int(status.size))
                } catch {
                    warn("\(Self.display(path)): cannot read the link: \(error)")
                    continue
                }
                state.withLock { $0.summary.otherEntries += 1 }
                tasks[index] = Task { entry }
            case .fifo, .characterDevice, .blockDevice, .socket:
                let entry = makeEntry(name: name, status: status, path: path)
                state.withLock { $0.summary.otherEntries += 1 }
                tasks[index] = Task { entry }
            case nil:
                warn("\(Self.display(path)): unknown file type, skipped")
            }
        }
        await startBatch()
        return tasks.compactMap { $0 }
    }

    /// Whether a file's parent-snapshot entry can stand for it without reading it.
    static func unchanged(_ previous: TreeEntry, _ status: FileStatus) -> Bool {
        previous.type == .file && previous.size == status.size && previous.modificationTime == status.modificationTime
            && previous.changeTime == status.changeTime && previous.inode == status.inode
            && (previous.content != nil || status.size == 0)
    }

    /// Waits for a directory's entries and writes its tree grain.
    func saveTree(_ tasks: [EntryTask]) async throws -> Key {
        var entries: [TreeEntry] = []
        entries.reserveCapacity(tasks.count)
        for task in tasks {
            if let entry = try await task.value { entries.append(entry) }
        }
        let tree = Tree(entries: entries)
        if options.dryRun { return basin.key(of: tree.encoded()) }
        return try await repository.saveTree(tree)
    }

    // MARK: - Files

    /// Reads a file and stores its content; nil (with a warning) when it cannot be read.
    func readFile(_ name: [UInt8], status: FileStatus, in handle: DirectoryHandle?, directoryPath: [[UInt8]],
                  isNew: Bool) async throws -> TreeEntry? {
        let path = directoryPath + [name]
        let fd: Int32
        do {
            fd = try FileSystem.openFile(at: handle?.fd ?? AT_FDCWD, name: handle == nil ? Self.joined(path) : name)
        } catch {
            warn("\(Self.display(path)): cannot open: \(error)")
            return nil
        }
        defer { close(fd) }
        var entry = makeEntry(name: name, status: status, path: path)
        var bytesRead: Int64 = 0
        do {
            if status.size <= Self.smallFileLimit {
                let content = try Self.readWhole(fd, expected: Int(status.size))
                bytesRead = Int64(content.count)
                if !content.isEmpty {
                    entry.content = options.dryRun ? basin.key(of: content) : try await basin.writeValue(content)
                }
            } else {
                let read = { (buffer: UnsafeMutableRawBufferPointer) throws -> Int in
                    let count = try FileSystem.read(fd, into: buffer)
                    bytesRead += Int64(count)
                    return count
                }
                // A dry run only hashes: the key is what the value would be stored under.
                let key = options.dryRun ? try basin.key(reading: read) : try await basin.writeValue(reading: read)
                entry.content = bytesRead == 0 ? nil : key
            }
        } catch let error as Errno {
            warn("\(Self.display(path)): cannot read: \(error)")
            return nil
        } catch let error as BasinError where error.underlying is Errno {
            // The read failed, not the basin: skip the file, as for any unreadable file.
            warn("\(Self.display(path)): cannot read: \(error.underlying!)")
            return nil
        }
        entry.size = UInt64(bytesRead)
        state.withLock {
            $0.filesRead += 1
            $0.summary.bytesRead += bytesRead
            if isNew { $0.summary.filesNew += 1 } else { $0.summary.filesChanged += 1 }
        }
        progress.fileDone(bytes: bytesRead, path: Self.display(path))
        return entry
    }

    /// All of a small file, reading past its stat size in case it grew.
    static func readWhole(_ fd: Int32, expected: Int) throws -> [UInt8] {
        var content = [UInt8](repeating: 0, count: expected + 1)
        var filled = 0
        while true {
            if filled == content.count { content.append(contentsOf: repeatElement(0, count: max(4096, content.count))) }
            let count = try content.withUnsafeMutableBytes { buffer in
                try FileSystem.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            if count == 0 { break }
            filled += count
        }
        content.removeLast(content.count - filled)
        return content
    }

    /// A tree entry from a file's status (content and link target filled in by the caller).
    func makeEntry(name: [UInt8], status: FileStatus, path: [[UInt8]]) -> TreeEntry {
        TreeEntry(name: name, type: status.type ?? .file, mode: status.mode, uid: status.uid, gid: status.gid,
                  userName: accounts.user(status.uid), groupName: accounts.group(status.gid),
                  modificationTime: status.modificationTime, changeTime: status.changeTime,
                  size: status.type == .file ? status.size : 0, inode: status.inode, device: status.device,
                  linkCount: status.linkCount,
                  deviceNumber: status.type == .characterDevice || status.type == .blockDevice ? status.deviceNumber : 0,
                  extendedAttributes: status.type == .symlink ? [] : FileSystem.extendedAttributes(path: Self.joined(path)))
    }
}

extension BackupEngine {
    /// Counts the files and bytes a backup will cover (stat only, honouring excludes) and
    /// hands the totals to `progress`, for an ETA. Runs beside `run()` on a thread of its own
    /// (it blocks in system calls, and must not hold one of the few cooperative threads);
    /// errors are ignored.
    public func countInput() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global(qos: .utility).async {
                self.countInputBlocking()
                continuation.resume()
            }
        }
    }

    func countInputBlocking() {
        var files = 0
        var bytes: Int64 = 0
        func walk(_ fd: Int32, _ path: [[UInt8]]) {
            guard let names = try? FileSystem.list(directory: fd) else { return }
            for name in names where !excluder.excludes(path + [name]) {
                guard let status = try? FileSystem.status(at: fd, name: name) else { continue }
                if status.type == .file {
                    files += 1
                    bytes += Int64(status.size)
                } else if status.type == .directory, let child = try? FileSystem.openDirectory(at: fd, name: name) {
                    walk(child, path + [name])
                    close(child)
                }
            }
        }
        for path in options.paths {
            guard let components = try? Self.absoluteComponents(path),
                  let status = try? FileSystem.status(path: Self.joined(components)) else { continue }
            if status.type == .directory, let fd = try? FileSystem.openDirectory(at: AT_FDCWD, name: Self.joined(components)) {
                walk(fd, components)
                close(fd)
            } else if status.type == .file {
                files += 1
                bytes += Int64(status.size)
            }
        }
        progress.setTotals(files: files, bytes: bytes)
    }
}
