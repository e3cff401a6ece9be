import BasinBackend
import BasinCore
import Foundation

/// The fold of the basin's root records (docs/FORMAT.md, "Roots"): the values stored with
/// `put` and the names, which prune keeps besides what snapshots reach.
public struct Roots: Sendable {
    public var state: RootState
    /// The names of the records folded, in fold order.
    public var records: [String]
    /// The time of the last record folded (0 when there is none).
    public var time: Int64
}

extension Basin {
    public static let rootsFolder = "roots/"

    /// `roots/` + the time as 16 big-endian hex digits + 48 random hex digits: the listing's
    /// order is the fold's order, and a writer learns the latest time without reading a record.
    static func rootRecordName(time: Int64) -> String {
        rootsFolder + Hex.encode(UInt64(time)) + Hex.encode(SecureRandom.bytes(24))
    }

    /// The time a record's name carries; nil for a name that is not a root record's.
    static func rootRecordTime(_ name: String) -> Int64? {
        guard name.hasPrefix(rootsFolder) else { return nil }
        let id = name.dropFirst(rootsFolder.count)
        guard id.utf8.count == 64, Hex.decode(String(id)) != nil,
              let time = Hex.decodeUInt64(String(id.prefix(16))), time <= UInt64(Int64.max) else { return nil }
        return Int64(time)
    }

    /// Every root record's name, in fold order.
    /// - Throws: `.corrupted` for an object under `roots/` that is not named as a record
    ///   (prune must not guess what it held).
    nonisolated func listRootRecords() async throws(BasinError) -> [String] {
        let names = try await listObjects(prefix: Self.rootsFolder).map(\.name)
        for name in names where Self.rootRecordTime(name) == nil {
            throw BasinError(.corrupted, "object \(name) is not a root record (roots/ + 64 hex digits)")
        }
        return names.sorted()
    }

    /// Folds every root record: the stored values and names as they stand.
    /// - Throws: `.corrupted` naming a record that cannot be opened or decoded; the backend's errors.
    public nonisolated func roots() async throws(BasinError) -> Roots {
        // A fold may replace the records listed by a checkpoint between the listing and the
        // reads: a record gone missing means listing again.
        for _ in 0..<8 {
            let names = try await listRootRecords()
            guard let records = try await readRootRecords(names) else { continue }
            var state = RootState()
            for record in records { state.apply(record) }
            return Roots(state: state, records: names, time: records.last?.time ?? 0)
        }
        throw BasinError(.unavailable, "the root records kept changing while they were read; try again")
    }

    /// The key `name` maps to, or nil.
    public nonisolated func key(named name: String) async throws(BasinError) -> Key? {
        try await roots().state.names[name]
    }

    /// Reads the records `names`, in order; nil when one has disappeared.
    nonisolated func readRootRecords(_ names: [String]) async throws(BasinError) -> [RootRecord]? {
        let read: [Int: RootRecord?]
        do {
            read = try await withThrowingTaskGroup(of: (Int, RootRecord?).self) { group in
                var results: [Int: RootRecord?] = [:]
                var pending = Array(names.enumerated())[...]
                // At most 16 reads in flight, as snapshots are listed.
                for _ in 0..<16 {
                    guard let (index, name) = pending.popFirst() else { break }
                    group.addTask { (index, try await self.readRootRecord(name)) }
                }
                while let (index, record) = try await group.next() {
                    results[index] = record
                    if let (next, name) = pending.popFirst() { group.addTask { (next, try await self.readRootRecord(name)) } }
                }
                return results
            }
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.internalError, "reading the root records failed", underlying: error)
        }
        var records: [RootRecord] = []
        for index in names.indices {
            guard let record = read[index] ?? nil else { return nil }
            records.append(record)
        }
        return records
    }

    /// One record, checked against the time its name carries; nil when it is gone.
    nonisolated func readRootRecord(_ name: String) async throws(BasinError) -> RootRecord? {
        let plain: [UInt8]
        do {
            plain = try await readSealedObject(name)
        } catch where error.code == .notFound {
            return nil
        }
        let record: RootRecord
        do {
            record = try RootRecord.decode(plain)
        } catch {
            throw BasinError(.corrupted, "root record \(name) does not decode: \(error)", underlying: error)
        }
        guard record.time == Self.rootRecordTime(name) else {
            throw BasinError(.corrupted, "root record \(name) holds time \(record.time), its name another")
        }
        return record
    }

    /// A batch of puts, name changes and removals, visible all at once or not at all, also
    /// when the process is killed at any point. Under a shared lock (so prune's delete phase
    /// and fold wait for it), `body` stores its values and returns the root operations;
    /// then every stratum is flushed (durable and indexed); then one root record is written.
    /// - Parameters:
    ///   - operation: named in the lock, for other processes' messages.
    ///   - policy: how long to retry when an exclusive lock is held.
    /// - Returns: the record's name; nil when `body` returned no operation.
    /// - Throws: `.locked` when the lock cannot be taken or was lost; what `body` throws; the
    ///   error of a failed commit. Nothing of the batch is then kept.
    @discardableResult
    package nonisolated func batch(operation: String = "put", policy: LockPolicy = LockPolicy(),
                                  _ body: () async throws(BasinError) -> [RootRecord.Operation]) async throws(BasinError) -> String? {
        let held = try await lock(exclusive: false, operation: operation, policy: policy)
        do {
            let operations = try await body()
            try await flush()
            let name = operations.isEmpty ? nil : try await commitRoots(operations, lock: held)
            await held.release()
            return name
        } catch {
            await held.release()
            throw error
        }
    }

    /// Writes one root record holding `operations`, in one backend write: the commit point
    /// of a batch, whose values must be durable (`flush()`) before. Its time is now, or just
    /// after the latest record listed when a clock lags, so it folds after every record
    /// committed before it.
    /// - Parameter lock: the shared lock the writer holds (prune's fold holds an exclusive
    ///   one), checked just before the write.
    /// - Returns: the record's name.
    /// - Throws: `.invalidArgument` for an empty batch or a bad name; `.locked` when the lock
    ///   was lost; the backend's errors (then nothing is committed).
    @discardableResult
    package nonisolated func commitRoots(_ operations: [RootRecord.Operation], lock: BasinLock) async throws(BasinError) -> String {
        guard !operations.isEmpty else { throw BasinError(.invalidArgument, "a root record needs at least one operation") }
        for case let .setName(name, _) in operations where !RootRecord.isValidName(name) {
            throw BasinError(.invalidArgument, "a name takes 1 to \(RootRecord.maxNameLength) bytes of UTF-8")
        }
        let latest = try await listRootRecords().last.flatMap(Self.rootRecordTime) ?? 0
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let record = RootRecord(time: max(now, latest + 1), operations: operations)
        return try await writeRootRecord(record, lock: lock)
    }

    nonisolated func writeRootRecord(_ record: RootRecord, lock: BasinLock) async throws(BasinError) -> String {
        let name = Self.rootRecordName(time: record.time)
        try lock.ensureHeld()
        try await writeSealedObject(name, plain: record.encoded())
        return name
    }

    /// Replaces the root records by one checkpoint holding their fold, timed as the latest
    /// of them, then deletes them: a million puts do not stay a million objects. Killed
    /// between the two steps, the checkpoint and the records left fold to the same state.
    /// - Parameter lock: an exclusive lock, so no record is written meanwhile.
    /// - Returns: how many records were replaced (0 when there was at most one).
    @discardableResult
    package nonisolated func foldRoots(lock: BasinLock) async throws(BasinError) -> Int {
        guard lock.exclusive else { throw BasinError(.internalError, "folding the root records needs an exclusive lock") }
        let roots = try await roots()
        guard roots.records.count > 1 else { return 0 }
        let checkpoint = RootRecord(time: roots.time, isCheckpoint: true, operations: roots.state.operations)
        _ = try await writeRootRecord(checkpoint, lock: lock)
        for name in roots.records {
            do {
                try await deleteObject(name)
            } catch where error.code == .notFound {
                continue
            }
        }
        return roots.records.count
    }
}
