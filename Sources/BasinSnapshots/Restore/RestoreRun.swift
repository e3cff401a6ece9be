import BasinBackend
import BasinCore
import BasinStore
import BasinSystem
import SystemPackage

/// One restore in progress: walks the selected trees depth first, creating entries relative
/// to open directory descriptors, hands file contents to bounded concurrent writers, and at
/// the end applies directories' metadata, children before parents (so their times and
/// read-only modes stick).
final class RestoreRun {
    /// A directory of the restore, created when first needed: a directory walked only because
    /// an include pattern may match inside it exists in the target only if something does.
    private final class Directory {
        let parent: Directory?
        let name: [UInt8]
        /// The path relative to the target; empty for the target itself.
        let relative: [UInt8]
        let entry: TreeEntry?
        var fd: FileDescriptor?
        var failed = false

        init(root fd: FileDescriptor) {
            parent = nil
            name = []
            relative = []
            entry = nil
            self.fd = fd
        }

        init(parent: Directory, entry: TreeEntry) {
            self.parent = parent
            name = entry.name
            relative = RestoreRun.join(parent.relative, entry.name)
            self.entry = entry
        }
    }

    private enum Placement { case free, existingDirectory }

    private let options: RestoreOptions
    private let rootFD: FileDescriptor
    private let target: [UInt8]
    private let selection: RestoreSelection
    private let loader: TreeLoader
    private let tracker: RestoreProgressTracker
    private let metadata: MetadataWriter
    private let batcher: BatchRestorer
    private var report = RestoreReport()
    /// Files created and waiting for their content, and the bytes they will hold.
    private var batch: [FileRestorer.Job] = []
    private var batchBytes: Int64 = 0
    private var batchesInFlight = 0
    private let filesPerBatch: Int
    /// The first restored path (relative to the target) of each hard-link group.
    private var linkSources: [InodeID: [UInt8]] = [:]
    /// Directories created or entered, in creation order, for their metadata at the end.
    private var finishing: [(relative: [UInt8], entry: TreeEntry)] = []

    init(engine: RestoreEngine, rootFD: FileDescriptor, target: [UInt8], selection: RestoreSelection, loader: TreeLoader,
         tracker: RestoreProgressTracker) {
        options = engine.options
        self.rootFD = rootFD
        var target = target
        while target.count > 1, target.last == UInt8(ascii: "/") { target.removeLast() }
        self.target = target
        self.selection = selection
        self.loader = loader
        self.tracker = tracker
        metadata = MetadataWriter(restoreOwnership: engine.options.restoreOwnership)
        let basin = engine.repository.basin
        let single = FileRestorer(basin: basin, rootFD: rootFD, verify: engine.options.verify, metadata: metadata,
                                  tracker: tracker, hooks: engine.hooks)
        batcher = BatchRestorer(single: single, options: engine.options.fetch ?? basin.defaultFetchOptions)
        // Every file of a batch stays open until its content is written: two batches at
        // once, and the walk's directories, must fit under the open-file limit.
        filesPerBatch = max(1, min(engine.options.filesPerBatch, (CurrentProcess.raiseOpenFileLimit() - 64) / (Self.batchesInFlight * 2)))
    }

    /// - Parameter rootEntry: metadata for the target directory itself, if it should get any.
    func run(_ start: TreeEntry, subpath: [[UInt8]], rootEntry: TreeEntry?) async -> RestoreReport {
        let root = Directory(root: rootFD)
        await withTaskGroup(of: [FileRestorer.Outcome].self) { group in
            if start.type == .directory {
                do throws(BasinError) {
                    let entries = try await loader.entries(of: start)
                    await walk(entries, in: root, path: subpath, ancestorSelected: false, group: &group)
                } catch {
                    fail([], "cannot read its tree: \(error.message)", error.code)
                }
            } else {
                await walk([start], in: root, path: Array(subpath.dropLast()), ancestorSelected: false, group: &group)
            }
            await submitBatch(group: &group)
            while let outcomes = await group.next() { for outcome in outcomes { record(outcome) } }
        }
        if let rootEntry { finishing.insert(([], rootEntry), at: 0) }
        finishDirectories()
        return report
    }

    static func join(_ relative: [UInt8], _ name: [UInt8]) -> [UInt8] {
        relative.isEmpty ? name : relative + [UInt8(ascii: "/")] + name
    }

    // MARK: - Walking

    private func walk(_ entries: [TreeEntry], in directory: Directory, path: [[UInt8]], ancestorSelected: Bool,
                      group: inout TaskGroup<[FileRestorer.Outcome]>) async {
        for entry in entries {
            let entryPath = path + [entry.name]
            let isDirectory = entry.type == .directory
            let decision = selection.decide(entryPath, isDirectory: isDirectory, ancestorSelected: ancestorSelected)
            if decision == .skip { continue }
            guard isDirectory else {
                await restore(entry, in: directory, group: &group)
                continue
            }
            let child = Directory(parent: directory, entry: entry)
            defer {
                if let fd = child.fd { try? fd.closeOnce() }
                child.fd = nil
                child.failed = true
            }
            if decision == .restore, materialize(child) == nil { continue }
            let children: [TreeEntry]
            do throws(BasinError) {
                children = try await loader.entries(of: entry)
            } catch {
                fail(child.relative, "cannot read its tree: \(error.message)", error.code)
                continue
            }
            await walk(children, in: child, path: entryPath, ancestorSelected: decision == .restore, group: &group)
        }
    }

    /// Creates (or, when merging into an existing one, opens) a directory and those above it.
    private func materialize(_ directory: Directory) -> FileDescriptor? {
        if let fd = directory.fd { return fd }
        guard !directory.failed, let parent = directory.parent, let entry = directory.entry,
              let parentFD = materialize(parent) else {
            directory.failed = true
            return nil
        }
        directory.failed = true
        guard let placement = prepare(directory.name, in: parentFD, relative: directory.relative, forDirectory: true) else {
            return nil
        }
        if placement == .free {
            do throws(SystemError) {
                try parentFD.makeDirectory(directory.name, permissions: .ownerReadWriteExecute)
            } catch {
                fail(directory.relative, "cannot create the directory: \(error.errno)", Self.code(error))
                return nil
            }
        }
        let fd: FileDescriptor
        do throws(SystemError) {
            fd = try Self.openDirectory(directory.name, in: parentFD)
        } catch {
            fail(directory.relative, "cannot open the directory: \(error.errno)", Self.code(error))
            return nil
        }
        directory.fd = fd
        directory.failed = false
        finishing.append((directory.relative, entry))
        report.directories += 1
        return fd
    }

    /// Makes room for `name`: nothing there, a directory to merge into, or (with
    /// `overwrite`) an entry removed. Nil, with the failure recorded, when it cannot.
    private func prepare(_ name: [UInt8], in directoryFD: FileDescriptor, relative: [UInt8], forDirectory: Bool) -> Placement? {
        let isDirectory: Bool
        do throws(SystemError) {
            isDirectory = try directoryFD.status(of: name).type == .directory
        } catch where error.errno == .noSuchFileOrDirectory {
            return .free
        } catch {
            fail(relative, "cannot inspect the target: \(error.errno)", Self.code(error))
            return nil
        }
        if forDirectory, isDirectory { return .existingDirectory }
        guard options.overwrite else {
            fail(relative, "exists already (use --overwrite to replace it)", .alreadyExists)
            return nil
        }
        do throws(SystemError) {
            try directoryFD.remove(name, isDirectory: isDirectory)
        } catch {
            let what = isDirectory ? "will not replace the directory there" : "cannot remove what is there"
            fail(relative, "\(what): \(error.errno)", isDirectory ? .alreadyExists : Self.code(error))
            return nil
        }
        return .free
    }

    /// Restores a non-directory entry into `directory`.
    private func restore(_ entry: TreeEntry, in directory: Directory, group: inout TaskGroup<[FileRestorer.Outcome]>) async {
        let relative = Self.join(directory.relative, entry.name)
        switch entry.type {
        case .socket:
            report.warnings.append("\(display(relative)): a socket, not restored")
            return
        case .characterDevice where !CurrentProcess.isRoot, .blockDevice where !CurrentProcess.isRoot:
            report.warnings.append("\(display(relative)): a device, not restored (needs root)")
            return
        default:
            break
        }
        guard let directoryFD = materialize(directory),
              prepare(entry.name, in: directoryFD, relative: relative, forDirectory: false) != nil else { return }
        let linkGroup = InodeID(entry)
        if let linkGroup, let source = linkSources[linkGroup] {
            do throws(SystemError) {
                try directoryFD.makeHardLink(entry.name, to: source, in: rootFD)
                report.hardLinks += 1
            } catch {
                fail(relative, "cannot link to \(display(source)): \(error.errno)", Self.code(error))
            }
            return
        }
        let created: Bool
        switch entry.type {
        case .file:
            created = await restoreFile(entry, in: directoryFD, relative: relative, group: &group)
        case .symlink:
            created = make(relative) { () throws(SystemError) in try directoryFD.makeSymlink(entry.name, target: entry.linkTarget) }
            if created { report.symlinks += 1 }
        case .fifo:
            created = make(relative) { () throws(SystemError) in try directoryFD.makeFifo(entry.name, permissions: .ownerReadWrite) }
        case .characterDevice, .blockDevice:
            let type: FileType = entry.type == .characterDevice ? .characterSpecial : .blockSpecial
            created = make(relative) { () throws(SystemError) in
                try directoryFD.makeDevice(entry.name, type: type, permissions: .ownerReadWrite, number: entry.deviceNumber)
            }
        case .directory, .socket:
            created = false
        }
        guard created else { return }
        if entry.type != .file {
            if entry.type != .symlink { report.specialFiles += 1 }
            record(metadata.apply(entry, in: directoryFD, name: entry.name, path: fullPath(relative), display: display(relative)),
                   relative)
        }
        if let linkGroup { linkSources[linkGroup] = relative }
    }

    /// Creates a regular file; an empty one is finished here, any other joins the batch whose
    /// content is read together (``BatchRestorer``), started once it is full.
    private func restoreFile(_ entry: TreeEntry, in directoryFD: FileDescriptor, relative: [UInt8],
                             group: inout TaskGroup<[FileRestorer.Outcome]>) async -> Bool {
        let fd: FileDescriptor
        do throws(SystemError) {
            // Readable and writable by its owner only until its mode is applied; never follows
            // or replaces anything already there.
            fd = try directoryFD.open(entry.name, .readWrite, options: [.create, .exclusiveCreate, .noFollow])
        } catch {
            fail(relative, "cannot create the file: \(error.errno)", Self.code(error))
            return false
        }
        guard let key = entry.content else {
            record(metadata.apply(entry, to: fd, display: display(relative)), relative)
            try? fd.closeOnce()
            report.files += 1
            tracker.finishedFile()
            return true
        }
        batch.append(FileRestorer.Job(fd: fd, key: key, entry: entry, relativePath: relative, display: display(relative)))
        batchBytes += Int64(entry.size)
        if batch.count >= filesPerBatch || batchBytes >= Self.maxBatchBytes {
            await submitBatch(group: &group)
        }
        return true
    }

    /// Bytes of content a batch gathers at most: a larger batch means fewer requests (ranges
    /// span more of each stratum), a smaller one an earlier start.
    static let maxBatchBytes: Int64 = 512 << 20
    /// Batches being read at once (while the walk creates the files of the next).
    static let batchesInFlight = 2

    /// Starts reading the content of the files gathered so far, once fewer than
    /// `batchesInFlight` batches are under way.
    private func submitBatch(group: inout TaskGroup<[FileRestorer.Outcome]>) async {
        guard !batch.isEmpty else { return }
        while batchesInFlight >= Self.batchesInFlight, let outcomes = await group.next() {
            batchesInFlight -= 1
            for outcome in outcomes { record(outcome) }
        }
        let jobs = batch
        let batcher = batcher
        batch = []
        batchBytes = 0
        group.addTask { await batcher.restore(jobs) }
        batchesInFlight += 1
    }

    /// Applies directories' metadata, deepest first (they were created parents first).
    private func finishDirectories() {
        for (relative, entry) in finishing.reversed() {
            let fd: FileDescriptor
            if relative.isEmpty {
                fd = rootFD
            } else {
                do throws(SystemError) {
                    fd = try Self.openDirectory(relative, in: rootFD)
                } catch {
                    fail(relative, "cannot open the directory to set its metadata: \(error.errno)", Self.code(error))
                    continue
                }
            }
            record(metadata.apply(entry, to: fd, display: display(relative)), relative)
            if fd != rootFD { try? fd.closeOnce() }
        }
    }

    // MARK: - Reporting

    private func make(_ relative: [UInt8], _ create: () throws(SystemError) -> Void) -> Bool {
        do throws(SystemError) {
            try create()
            return true
        } catch {
            fail(relative, "cannot create: \(error.errno)", Self.code(error))
            return false
        }
    }

    /// Opens a directory the restore made or merges into, never through a symlink.
    private static func openDirectory(_ name: [UInt8], in parent: FileDescriptor) throws(SystemError) -> FileDescriptor {
        try parent.open(name, .readOnly, options: [.directory, .noFollow])
    }

    private func record(_ outcome: FileRestorer.Outcome) {
        switch outcome {
        case let .written(bytes, verified, warnings):
            report.files += 1
            report.bytes += bytes
            if verified { report.verifiedFiles += 1 }
            report.warnings += warnings
        case let .failed(failure, warnings):
            report.failures.append(failure)
            report.warnings += warnings
        }
    }

    private func record(_ outcome: MetadataWriter.Outcome, _ relative: [UInt8]) {
        report.warnings += outcome.warnings
        if let message = outcome.failure { fail(relative, message, .unavailable) }
    }

    private func fail(_ relative: [UInt8], _ message: String, _ code: BasinError.Code) {
        report.failures.append(.init(path: display(relative), message: message, code: code))
    }

    /// The path of an entry in the target, as given (absolute or relative to the working directory).
    private func fullPath(_ relative: [UInt8]) -> [UInt8] {
        if relative.isEmpty { return target }
        return target.last == UInt8(ascii: "/") ? target + relative : target + [UInt8(ascii: "/")] + relative
    }

    private func display(_ relative: [UInt8]) -> String { Tree.display(fullPath(relative)) }

    private static func code(_ error: SystemError) -> BasinError.Code {
        error.errno == .noSpace ? .noSpace : .unavailable
    }
}
