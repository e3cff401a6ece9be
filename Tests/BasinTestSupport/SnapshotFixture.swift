import BasinBackend
import BasinCore
import BasinLocal
import BasinSnapshots
import BasinStore
import BasinSystem
import Foundation

/// Builds snapshots by hand for tests of what reads them (restore, dump), before and apart
/// from the backup engine: walks a directory with `lstat`, stores file contents with
/// `put`, and saves trees bottom-up, the root tree mirroring the absolute path backed up.
public enum SnapshotFixture {
    /// Small chunks and strata, so a few MiB make clasts and several strata.
    public static func smallOptions(encryption: PayloadAlgorithm = .none) -> BasinCreateOptions {
        var options = BasinCreateOptions()
        options.encryption = encryption
        options.compressionLevel = nil
        options.chunker = try! FastCDCParameters(minSize: 16 << 10, averageSize: 64 << 10, maxSize: 256 << 10)
        options.stratumTargetSize = 1 << 20
        options.kdf = .testing
        return options
    }

    public static let noLanes: BackendResolver = { location throws(BasinError) in
        throw BasinError(.notFound, "no backend for \(location) in this test")
    }

    /// Backs up the directory (or file) at the absolute path `source` as a new snapshot.
    public static func backUp(_ source: String, to repository: SnapshotRepository) async throws -> Snapshot {
        let components = source.split(separator: "/").map { Array($0.utf8) }
        guard let last = components.last else { throw BasinError(.invalidArgument, "back up a path below /") }
        var entry = try await store(Array(source.utf8), name: last, in: repository)
        // Wrap it in its ancestors, each with its own metadata, up to the root.
        for depth in stride(from: components.count - 1, to: 0, by: -1) {
            let ancestor = "/" + components[0..<depth].map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
            var wrapper = try describe(Array(ancestor.utf8), name: components[depth - 1])
            wrapper.content = try await repository.saveTree(Tree(entries: [entry]))
            entry = wrapper
        }
        return try await save(root: try await repository.saveTree(Tree(entries: [entry])), paths: [source], in: repository)
    }

    /// Saves a snapshot record for the root tree `root`.
    public static func save(root: Key, paths: [String], in repository: SnapshotRepository) async throws -> Snapshot {
        try await repository.basin.flush()
        let record = SnapshotRecord(time: Date(), hostname: "test-host", username: "tester", paths: paths, tags: [],
                                    parent: nil, tree: root, excludes: [], summary: nil, programVersion: "test")
        return try await repository.save(record)
    }

    /// The tree entry for `path`, its content or subtree stored in the basin.
    public static func store(_ path: [UInt8], name: [UInt8], in repository: SnapshotRepository) async throws -> TreeEntry {
        var entry = try describe(path, name: name)
        switch entry.type {
        case .file where entry.size > 0:
            entry.content = try await repository.basin.writeValue(try TestFileSystem.readFile(path))
        case .directory:
            var children: [TreeEntry] = []
            for child in try TestFileSystem.names(in: path) {
                children.append(try await store(TestFileSystem.join(path, child), name: child, in: repository))
            }
            entry.content = try await repository.saveTree(Tree(entries: children))
        default:
            break
        }
        return entry
    }

    /// The metadata of `path` as a tree entry (no content key yet).
    public static func describe(_ path: [UInt8], name: [UInt8]) throws -> TreeEntry {
        guard let status = try TestFileSystem.status(path) else {
            throw SystemError("fstatat", path: path, errno: .noSuchFileOrDirectory)
        }
        return TreeEntry(name: name, type: status.type, mode: status.mode, uid: status.uid, gid: status.gid,
                         modificationTime: status.modificationTime, changeTime: status.changeTime,
                         size: status.type == .file ? status.size : 0, inode: status.inode, device: status.device,
                         linkCount: status.linkCount,
                         deviceNumber: status.type == .characterDevice || status.type == .blockDevice ? status.deviceNumber : 0,
                         extendedAttributes: try TestFileSystem.extendedAttributes(path),
                         linkTarget: status.type == .symlink ? try TestFileSystem.linkTarget(path) : [])
    }

    /// For CLI tests: creates an unencrypted basin in the directory `basin` (which must not
    /// hold one) with small chunks, backs up `source` into it, and returns the snapshot id.
    public static func makeLocalBasin(at basin: String, backingUp source: String) async throws -> String {
        let repository = try await localRepository(at: basin, create: true)
        return try await backUp(source, to: repository).id.hex
    }

    /// The snapshots of the local basin in the directory `basin`, creating it when asked.
    public static func localRepository(at basin: String, create: Bool) async throws -> SnapshotRepository {
        let backend = try LocalBackend(directory: basin, create: create)
        let opened = create
            ? try await Basin.create(backend: backend, password: nil, options: smallOptions(), resolve: noLanes)
            : try await Basin.open(backend: backend, password: nil, resolve: noLanes)
        return SnapshotRepository(basin: opened)
    }

    /// Flips one byte of `content` where it is stored in the local basin at `basin` (an
    /// unencrypted, uncompressed one, where content is stored as is), so reading the grain
    /// holding it fails its checks.
    /// - Parameter repairingChecksum: also rewrite the frame's xxh32 to match, as a forger
    ///   would: then only the hash of the content against its key tells.
    /// - Returns: the stratum file damaged.
    public static func damage(_ content: [UInt8], inLocalBasin basin: String, repairingChecksum: Bool = false) throws -> String {
        let needle = Array(content.prefix(64))
        for relative in filesBelow(basin + "/data") {
            let path = basin + "/data/" + relative
            var bytes = try TestFileSystem.readFile(Array(path.utf8))
            guard let at = firstIndex(of: needle, in: bytes) else { continue }
            let frames = try StratumParser.scan(bytes).entries
            bytes[at + needle.count / 2] ^= 0x40
            if repairingChecksum, let frame = frames.first(where: { Int($0.offset) <= at && at < Int($0.offset + $0.length) }) {
                let start = Int(frame.offset)
                let checksum = XXH32.hash(Array(bytes[(start + 4)..<(start + Int(frame.length))]))
                for index in 0..<4 { bytes[start + index] = UInt8(truncatingIfNeeded: checksum >> (8 * index)) }
            }
            try TestFileSystem.writeFile(Array(path.utf8), bytes)
            return path
        }
        throw BasinError(.notFound, "no stratum under \(basin)/data holds the content")
    }

    private static func filesBelow(_ directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".stratum") }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, needle.count <= haystack.count else { return nil }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
