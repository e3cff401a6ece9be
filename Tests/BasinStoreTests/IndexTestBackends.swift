import BasinStore
import Foundation
import Synchronization

// Small backends for the index tests, until the store's MemoryBackend and LocalBackend land
// on main (then these tests should use those instead).

/// Objects in a dictionary.
final class DictionaryBackend: Backend {
    let objects = Mutex<[String: [UInt8]]>([:])
    /// Sizes of the pieces streamed uploads received, in order.
    let appendSizes = Mutex<[Int]>([])
    var location: String { "memory:test" }

    func list(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        objects.withLock { $0.filter { $0.key.hasPrefix(prefix) }.map { ObjectInfo(name: $0.key, size: $0.value.count) } }
    }

    func read(_ name: String) async throws(BasinError) -> [UInt8] {
        guard let bytes = objects.withLock({ $0[name] }) else { throw BasinError(.notFound, "no object \(name)") }
        return bytes
    }

    func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        let bytes = try await read(name)
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { throw BasinError(.corrupted, "short object \(name)") }
        return Array(bytes[range])
    }

    func stat(_ name: String) async throws(BasinError) -> ObjectInfo? {
        objects.withLock { $0[name].map { ObjectInfo(name: name, size: $0.count) } }
    }

    func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        let isNew = objects.withLock { objects in
            guard objects[name] == nil else { return false }
            objects[name] = bytes
            return true
        }
        guard isNew else { throw BasinError(.alreadyExists, "object \(name) exists") }
    }

    func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        BufferedUpload(name: name, backend: self) { size in self.appendSizes.withLock { $0.append(size) } }
    }

    func delete(_ name: String) async throws(BasinError) {
        _ = objects.withLock { $0.removeValue(forKey: name) }
    }
}

/// An upload that collects its pieces and writes them through `backend.write` on commit.
final class BufferedUpload: ObjectUpload {
    let name: String
    let backend: any Backend
    let pieces = Mutex<[UInt8]>([])
    let onAppend: @Sendable (Int) -> Void

    init(name: String, backend: any Backend, onAppend: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.name = name
        self.backend = backend
        self.onAppend = onAppend
    }

    func append(_ bytes: [UInt8]) async throws(BasinError) {
        pieces.withLock { $0 += bytes }
        onAppend(bytes.count)
    }

    func commit() async throws(BasinError) {
        try await backend.write(name, bytes: pieces.withLock { $0 })
    }

    func abort() async {}
}

/// Objects as files under a temporary directory, which the index memory-maps.
final class TemporaryDirectoryBackend: LocalFileBackend {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("basin-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    var location: String { root.path }
    func localPath(of name: String) -> String { root.appendingPathComponent(name).path }

    func list(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasPrefix(prefix) }.compactMap { name in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: localPath(of: name)),
                  attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
            return ObjectInfo(name: name, size: attributes[.size] as? Int ?? 0)
        }
    }

    func read(_ name: String) async throws(BasinError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: localPath(of: name)) else { throw BasinError(.notFound, "no object \(name)") }
        return [UInt8](data)
    }

    func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        let bytes = try await read(name)
        guard range.upperBound <= bytes.count else { throw BasinError(.corrupted, "short object \(name)") }
        return Array(bytes[range])
    }

    func stat(_ name: String) async throws(BasinError) -> ObjectInfo? {
        guard let bytes = try? await read(name) else { return nil }
        return ObjectInfo(name: name, size: bytes.count)
    }

    func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        let path = localPath(of: name)
        guard !FileManager.default.fileExists(atPath: path) else { throw BasinError(.alreadyExists, "object \(name) exists") }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw BasinError(.unavailable, "cannot write \(name)", underlying: error)
        }
    }

    func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        BufferedUpload(name: name, backend: self)
    }

    func delete(_ name: String) async throws(BasinError) {
        try? FileManager.default.removeItem(atPath: localPath(of: name))
    }
}
