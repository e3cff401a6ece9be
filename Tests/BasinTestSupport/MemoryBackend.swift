import BasinBackend
import Synchronization

/// A ``Backend`` holding its objects in memory, for tests.
///
/// It follows the same rules as the other backends: names are checked alike, an object is
/// never overwritten, and a streamed upload is invisible until `commit` publishes it at once.
/// Its contents can be snapshotted and restored (`MemoryBackend+Snapshots.swift`), which keeps
/// exactly the committed objects: what a crash would leave.
public final class MemoryBackend: Backend {
    /// The committed objects by name.
    let objects = Mutex<[String: [UInt8]]>([:])

    public let location: String

    /// An empty backend.
    ///
    /// - Parameter location: The name shown in errors and logs.
    public init(location: String = "memory:") {
        self.location = location
    }

    /// Every object whose name starts with `prefix`, in no particular order.
    ///
    /// - Parameter prefix: A name prefix; its last segment may be partial.
    /// - Returns: Names and sizes.
    /// - Throws: `.invalidArgument` for an invalid prefix.
    public func list(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        try ObjectName.validatePrefix(prefix)
        return objects.withLock { objects in
            objects.compactMap { name, bytes in
                name.hasPrefix(prefix) ? ObjectInfo(name: name, size: bytes.count) : nil
            }
        }
    }

    /// The whole object.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: Its bytes.
    /// - Throws: `.notFound` naming the object; `.invalidArgument` for an invalid name.
    public func read(_ name: String) async throws(BasinError) -> [UInt8] {
        try ObjectName.validate(name)
        guard let bytes = objects.withLock({ $0[name] }) else { throw notFound(name) }
        return bytes
    }

    /// Bytes `range` of the object.
    ///
    /// - Parameters:
    ///   - name: The object's name.
    ///   - range: Byte offsets; must lie within the object.
    /// - Returns: Exactly `range.count` bytes.
    /// - Throws: `.corrupted` naming the object when it is shorter than `range.upperBound`;
    ///   `.notFound`; `.invalidArgument` for a negative offset or an invalid name.
    public func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        try ObjectName.validate(name)
        guard range.lowerBound >= 0 else {
            throw BasinError(.invalidArgument, "cannot read object '\(name)': negative offset \(range.lowerBound)")
        }
        let outcome: Result<[UInt8], BasinError> = objects.withLock { objects in
            guard let bytes = objects[name] else { return .failure(notFound(name)) }
            guard range.upperBound <= bytes.count else {
                return .failure(BasinError(.corrupted,
                    "object '\(name)' is shorter than expected: \(bytes.count) bytes, bytes \(range.lowerBound)..<\(range.upperBound) wanted"))
            }
            return .success(Array(bytes[range]))
        }
        return try outcome.get()
    }

    /// Size of the object, or nil when it does not exist.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: Its name and size, or nil.
    /// - Throws: `.invalidArgument` for an invalid name.
    public func stat(_ name: String) async throws(BasinError) -> ObjectInfo? {
        try ObjectName.validate(name)
        return objects.withLock { $0[name] }.map { ObjectInfo(name: name, size: $0.count) }
    }

    /// Stores a new object.
    ///
    /// - Parameters:
    ///   - name: The object's name.
    ///   - bytes: Its whole content.
    /// - Throws: `.alreadyExists` when `name` exists (which is left as it was);
    ///   `.invalidArgument` for an invalid name.
    public func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        try ObjectName.validate(name)
        try publish(name, bytes)
    }

    /// Starts a streamed write of a new object, invisible until the upload's `commit`.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: The upload; its `commit` fails with `.alreadyExists` if `name` is taken by then.
    /// - Throws: `.invalidArgument` for an invalid name.
    public func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        try ObjectName.validate(name)
        return Upload(backend: self, name: name)
    }

    /// Deletes the object; a missing object is not an error.
    ///
    /// - Parameter name: The object's name.
    /// - Throws: `.invalidArgument` for an invalid name.
    public func delete(_ name: String) async throws(BasinError) {
        try ObjectName.validate(name)
        _ = objects.withLock { $0.removeValue(forKey: name) }
    }

    private func publish(_ name: String, _ bytes: [UInt8]) throws(BasinError) {
        let inserted = objects.withLock { objects in
            guard objects[name] == nil else { return false }
            objects[name] = bytes
            return true
        }
        guard inserted else { throw BasinError(.alreadyExists, "object '\(name)' already exists in \(location)") }
    }

    private func notFound(_ name: String) -> BasinError {
        BasinError(.notFound, "object '\(name)' not found in \(location)")
    }

    /// A streamed write: bytes gather in memory and reach the backend on `commit`.
    private final class Upload: ObjectUpload {
        private enum State { case open([UInt8]), committed, aborted, failed }

        let backend: MemoryBackend
        let name: String
        private let state = Mutex<State>(.open([]))

        init(backend: MemoryBackend, name: String) {
            self.backend = backend
            self.name = name
        }

        func append(_ bytes: [UInt8]) async throws(BasinError) {
            try state.withLock { (state) throws(BasinError) in
                guard case .open(var buffer) = state else { throw notOpen(state) }
                state = .failed  // drops the buffer's second reference, so append does not copy
                buffer.append(contentsOf: bytes)
                state = .open(buffer)
            }
        }

        func commit() async throws(BasinError) {
            try state.withLock { (state) throws(BasinError) in
                guard case .open(let buffer) = state else { throw notOpen(state) }
                state = .failed
                try backend.publish(name, buffer)
                state = .committed
            }
        }

        func abort() async {
            state.withLock { state in
                if case .open = state { state = .aborted }
            }
        }

        private func notOpen(_ state: State) -> BasinError {
            let what = switch state {
            case .committed: "is already committed"
            case .aborted: "was aborted"
            default: "has failed"
            }
            return BasinError(.invalidArgument, "upload of object '\(name)' \(what)")
        }
    }
}
