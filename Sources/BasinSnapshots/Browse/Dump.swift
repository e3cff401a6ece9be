import BasinBackend
import BasinCore
import BasinStore

/// `basin dump`: writes what a path of a snapshot holds to a byte sink — a file's content as
/// it is, anything else as a tar archive (POSIX pax), streamed with bounded memory.
///
/// The archive names entries from the dumped path's last component (`docs/`, `docs/a.txt`,
/// like `tar -C /home/u -c docs`); dumping the snapshot's root (`/`) names them from its top
/// entries. It keeps modes, owners (ids and names), times with nanoseconds, symlinks, hard
/// links (later paths of a group become links to the first), fifos, devices and extended
/// attributes; sockets are left out, as tar does.
public struct Dump: Sendable {
    /// Receives the output, in order, piece by piece.
    public typealias Sink = ([UInt8]) async throws(BasinError) -> Void

    public let repository: SnapshotRepository
    /// Output is handed to the sink in pieces of about this size (file content in chunks).
    static let bufferSize = 1 << 16

    public init(repository: SnapshotRepository) {
        self.repository = repository
    }

    /// Whether dumping `path` gives an archive rather than a file's content.
    /// - Throws: `.notFound` when the path is not in the snapshot.
    public func isArchive(_ snapshot: Snapshot, path: [[UInt8]]) async throws(BasinError) -> Bool {
        try await repository.entry(at: path, in: snapshot).type != .file
    }

    /// Writes `path` of `snapshot` to `sink`.
    /// - Throws: `.notFound` when the path is not in the snapshot; `.corrupted` when a grain is
    ///   damaged or a file's content does not have the size its tree records (the output is
    ///   then incomplete); the sink's errors.
    public func write(_ snapshot: Snapshot, path: [[UInt8]], to sink: @escaping Sink) async throws(BasinError) {
        let entry = try await repository.entry(at: path, in: snapshot)
        if entry.type == .file {
            if let key = entry.content {
                try await Self.naming([UInt8(ascii: "/")] + Array(path.joined(separator: [UInt8(ascii: "/")])), key) { () throws(BasinError) in try await repository.basin.get(key, into: sink) }
            }
            return
        }
        var archive = Archive(loader: TreeLoader(repository: repository, entryBudget: 0), basin: repository.basin, sink: sink)
        if path.isEmpty {
            for child in try await archive.loader.entries(of: entry) { try await archive.add(child, as: child.name) }
        } else {
            try await archive.add(entry, as: entry.name)
        }
        try await archive.emit(TarHeader.endOfArchive)
        try await archive.flush()
    }

    /// Runs `body`, which reads the content `key` of the file at `path`, so that an error
    /// reading it names the file and the key.
    static func naming(_ path: [UInt8], _ key: Key, _ body: () async throws(BasinError) -> Void) async throws(BasinError) {
        do throws(BasinError) {
            try await body()
        } catch where !error.message.contains(key.hex) {
            throw BasinError(error.reached(as: "content").code, "\(Tree.display(path)): content \(key): \(error.message)", underlying: error)
        } catch {
            throw BasinError(error.reached(as: "content").code, "\(Tree.display(path)): \(error.message)", underlying: error)
        }
    }

    /// The archive being written: buffers small headers, streams file content.
    private struct Archive {
        let loader: TreeLoader
        let basin: Basin
        let sink: Sink
        var buffer: [UInt8] = []
        /// The first archive path of each hard-link group.
        var linkSources: [InodeID: [UInt8]] = [:]

        init(loader: TreeLoader, basin: Basin, sink: @escaping Sink) {
            self.loader = loader
            self.basin = basin
            self.sink = sink
            buffer.reserveCapacity(Dump.bufferSize)
        }

        mutating func add(_ entry: TreeEntry, as path: [UInt8]) async throws(BasinError) {
            var header = TarHeader(path: path, type: .regular, mode: entry.mode, uid: entry.uid, gid: entry.gid,
                                   userName: entry.userName, groupName: entry.groupName,
                                   modificationTime: entry.modificationTime, extendedAttributes: entry.extendedAttributes)
            if let group = InodeID(entry) {
                if let source = linkSources[group] {
                    header.type = .hardLink
                    header.linkTarget = source
                    try await emit(header.encoded())
                    return
                }
                linkSources[group] = path
            }
            switch entry.type {
            case .directory:
                header.type = .directory
                header.path = path + [UInt8(ascii: "/")]
                try await emit(header.encoded())
                for child in try await loader.entries(of: entry) {
                    try await add(child, as: path + [UInt8(ascii: "/")] + child.name)
                }
            case .file:
                header.size = entry.size
                try await emit(header.encoded())
                try await content(of: entry, at: path)
            case .symlink:
                header.type = .symlink
                header.linkTarget = entry.linkTarget
                try await emit(header.encoded())
            case .fifo:
                header.type = .fifo
                try await emit(header.encoded())
            case .characterDevice, .blockDevice:
                header.type = entry.type == .characterDevice ? .characterDevice : .blockDevice
                // Linux's dev_t layout (glibc's gnu_dev_major/minor).
                let number = entry.deviceNumber
                header.deviceMajor = ((number >> 8) & 0xfff) | ((number >> 32) & ~0xfff)
                header.deviceMinor = (number & 0xff) | ((number >> 12) & ~0xff)
                try await emit(header.encoded())
            case .socket:
                break
            }
        }

        /// A file's content, which must have the size its header announced, then padding.
        private mutating func content(of entry: TreeEntry, at path: [UInt8]) async throws(BasinError) {
            var written: UInt64 = 0
            if let key = entry.content {
                try await flush()
                let sink = sink
                try await Dump.naming(path, key) { () throws(BasinError) in
                    try await basin.get(key) { (piece: [UInt8]) throws(BasinError) in
                        written += UInt64(piece.count)
                        guard written <= entry.size else { return }
                        try await sink(piece)
                    }
                }
            }
            guard written == entry.size else {
                throw BasinError(.corrupted, "\(Tree.display(path)) has \(written) bytes where its tree records \(entry.size): the archive is incomplete")
            }
            try await emit([UInt8](repeating: 0, count: TarHeader.padding(after: written)))
        }

        mutating func emit(_ bytes: [UInt8]) async throws(BasinError) {
            buffer += bytes
            if buffer.count >= Dump.bufferSize { try await flush() }
        }

        mutating func flush() async throws(BasinError) {
            guard !buffer.isEmpty else { return }
            try await sink(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
