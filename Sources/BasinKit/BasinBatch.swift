import BasinBackend
import BasinCore
import BasinStore
import BasinSystem
import SystemPackage

/// Puts and removals that ``Basin/batch(policy:_:)`` commits together: after it returns all of
/// them are durable, and a crash at any point keeps all of them or none.
///
/// The closure given to `batch` only lists the steps; they run, in order, once it returns.
public struct BasinBatch: Sendable {
    enum Source: Sendable {
        case bytes([UInt8])
        case file(String)
        case stream(@Sendable (UnsafeMutableRawBufferPointer) throws -> Int)
    }

    enum Step: Sendable {
        case put(Source, name: String?)
        case remove(Key)
        case removeName(String)
    }

    var steps: [Step] = []

    /// Stores `value`, kept until removed; under `name` when one is given (replacing what the
    /// name mapped to).
    public mutating func put(_ value: [UInt8], name: String? = nil) {
        steps.append(.put(.bytes(value), name: name))
    }

    /// Stores the contents of the file at `path`, read in pieces (memory stays flat however
    /// large the file is).
    public mutating func put(contentsOfFile path: String, name: String? = nil) {
        steps.append(.put(.file(path), name: name))
    }

    /// Stores a value read piece by piece from `read`, which fills a prefix of the buffer it
    /// is given and returns the number of bytes read; 0 ends the value.
    public mutating func put(name: String? = nil, reading read: @escaping @Sendable (UnsafeMutableRawBufferPointer) throws -> Int) {
        steps.append(.put(.stream(read), name: name))
    }

    /// Stops keeping the value stored under `key` (stored by a put without a name). A later
    /// prune reclaims it unless a name or a snapshot still reaches it.
    public mutating func remove(_ key: Key) {
        steps.append(.remove(key))
    }

    /// Removes the name `name` (the value it mapped to stays while something else keeps it).
    public mutating func remove(named name: String) {
        steps.append(.removeName(name))
    }
}

extension Basin {
    /// Commits the steps `body` lists as one batch, under a shared lock (a prune's delete
    /// phase waits for it).
    ///
    /// Values are stored first, then flushed, then one root record names what is kept: a
    /// value is never kept before it is durable, and nothing of the batch is kept when it fails.
    /// - Parameters:
    ///   - policy: How long to retry when another process holds an exclusive lock.
    ///   - body: Lists the batch's steps.
    /// - Returns: The keys of the values put, in the order of the puts.
    /// - Throws: `.notFound` when a key removed is not a stored value or a name removed is
    ///   unknown (then nothing is removed); `.invalidArgument` for a bad name or a file that
    ///   cannot be opened; `.unavailable` when a file or stream cannot be read; `.locked` when
    ///   the lock cannot be had; the error of a failed commit.
    @discardableResult
    public nonisolated func batch(policy: LockPolicy = LockPolicy(), _ body: (inout BasinBatch) -> Void) async throws(BasinError) -> [Key] {
        var batch = BasinBatch()
        body(&batch)
        return try await commit(batch, policy: policy)
    }

    nonisolated func commit(_ batch: BasinBatch, policy: LockPolicy) async throws(BasinError) -> [Key] {
        for case let .put(_, name?) in batch.steps where !RootRecord.isValidName(name) {
            throw BasinError(.invalidArgument, "a name takes 1 to \(RootRecord.maxNameLength) bytes of UTF-8, not '\(name)'")
        }
        var keys: [Key] = []
        let operation = batch.steps.allSatisfy { if case .put = $0 { true } else { false } } ? "put" : "rm"
        try await self.batch(operation: operation, policy: policy) { () async throws(BasinError) -> [RootRecord.Operation] in
            var operations: [RootRecord.Operation] = []
            var state: RootState?
            for step in batch.steps {
                switch step {
                case let .put(source, name):
                    let key = try await write(source)
                    keys.append(key)
                    operations.append(name.map { .setName($0, key) } ?? .addKey(key))
                case let .remove(key):
                    if state == nil { state = try await roots().state }
                    guard state?.keys.contains(key) == true else {
                        throw BasinError(.notFound, "\(key) is not a stored value (put keeps one, rm releases it); nothing was removed")
                    }
                    operations.append(.removeKey(key))
                case let .removeName(name):
                    if state == nil { state = try await roots().state }
                    guard state?.names[name] != nil else {
                        throw BasinError(.notFound, "no key is named '\(name)' in the basin; nothing was removed")
                    }
                    operations.append(.removeName(name))
                }
            }
            return operations
        }
        return keys
    }

    /// Writes one value's grains (kept once the batch's root record is written).
    nonisolated func write(_ source: BasinBatch.Source) async throws(BasinError) -> Key {
        switch source {
        case let .bytes(value):
            return try await writeValue(value)
        case let .stream(read):
            return try await writeValue(reading: read)
        case let .file(path):
            let fd: FileDescriptor
            do throws(SystemError) {
                fd = try FileDescriptor.currentDirectory.open(Array(path.utf8), .readOnly)
            } catch {
                throw BasinError(.invalidArgument, "cannot open \(path): \(error.errno)")
            }
            defer { try? fd.closeOnce() }
            return try await writeValue { buffer in
                do throws(SystemError) {
                    return try fd.readSome(into: buffer)
                } catch {
                    throw BasinError(.unavailable, "cannot read \(path): \(error.errno)")
                }
            }
        }
    }
}
