import BasinBackend
import BasinCore
import Foundation

/// A lock object as listed: its record, or why it could not be read.
public struct LockInfo: Sendable {
    public let name: String
    package let record: LockRecord?
    /// Set when the object could not be read or decoded (it then counts as conflicting).
    public let problem: BasinError?
}

extension Basin {
    /// Takes a lock on the basin: restic's protocol, which needs neither rename nor
    /// compare-and-swap (docs/FORMAT.md, "Locks"). Writes a new lock object, then lists
    /// `locks/` and reads the others; if one conflicts and is not stale, deletes its own
    /// and fails. Once held, the lock is refreshed in the background, and the index is
    /// reloaded so the holder sees every stratum and segment committed before it (and none
    /// deleted by a prune that finished before it).
    /// - Parameters:
    ///   - exclusive: an exclusive lock conflicts with every lock; a shared one with exclusive ones.
    ///   - operation: what the holder does, for others' messages (`backup`, `prune`).
    ///   - policy: refresh interval and stale timeout.
    ///   - holder: who holds it (this process, unless a test says otherwise).
    /// - Returns: the held lock; call ``BasinLock/release()`` when done.
    /// - Throws: `.locked` naming the holder of a conflicting lock (host, pid, age), or an
    ///   unreadable lock object, once ``LockPolicy/retryFor`` has passed; the backend's errors.
    public nonisolated func lock(exclusive: Bool, operation: String, policy: LockPolicy = LockPolicy(),
                                 holder: LockHolder = .current) async throws(BasinError) -> BasinLock {
        let deadline = Date().addingTimeInterval(policy.retryFor)
        var pause = 0.1
        var announced = false
        while true {
            do {
                return try await attemptLock(exclusive: exclusive, operation: operation, policy: policy, holder: holder)
            } catch where error.code == .locked && Date().addingTimeInterval(pause) < deadline {
                if !announced { policy.waiting?(error) }
                announced = true
                // Back off (up to 5 s between attempts) while the holder finishes.
                try? await Task.sleep(for: .seconds(pause))
                pause = min(pause * 2, 5)
            }
        }
    }

    /// One attempt of ``lock(exclusive:operation:policy:holder:)``.
    func attemptLock(exclusive: Bool, operation: String, policy: LockPolicy, holder: LockHolder) async throws(BasinError) -> BasinLock {
        let now = Date()
        let record = LockRecord(holder: holder, operation: operation, exclusive: exclusive, time: now, refreshed: now)
        let name = Self.newLockName()
        try await writeSealedObject(name, plain: record.encoded())
        let lock = BasinLock(basin: self, name: name, record: record, policy: policy, acquired: now)
        do {
            try await checkConflicts(exclusive: exclusive, own: name, policy: policy)
            lock.startRefreshing()
            try await reloadIndex()
        } catch {
            await lock.release()
            throw error
        }
        return lock
    }

    /// Every lock object, read and decoded where possible.
    public nonisolated func locks() async throws(BasinError) -> [LockInfo] {
        var found: [LockInfo] = []
        for object in try await listObjects(prefix: LockRecord.folder).sorted(by: { $0.name < $1.name }) {
            do {
                let record = try LockRecord.decode(try await readSealedObject(object.name), name: object.name)
                found.append(LockInfo(name: object.name, record: record, problem: nil))
            } catch where error.code == .notFound {
                continue  // released while we listed
            } catch {
                found.append(LockInfo(name: object.name, record: nil, problem: error))
            }
        }
        return found
    }

    /// Removes stale locks, or every lock (`basin unlock [--remove-all]`).
    /// - Parameters:
    ///   - all: remove every lock, also those of live processes and unreadable ones.
    ///   - policy: what counts as stale.
    /// - Returns: the locks removed.
    public nonisolated func removeLocks(all: Bool, policy: LockPolicy = LockPolicy()) async throws(BasinError) -> [LockInfo] {
        let now = Date()
        let host = LockHolder.current.hostname
        var removed: [LockInfo] = []
        for info in try await locks() {
            let stale = info.record?.isStale(now: now, staleAfter: policy.staleAfter, localHost: host) ?? false
            guard all || stale else { continue }
            try await deleteObject(info.name)
            removed.append(info)
        }
        return removed
    }

    /// Fails when a lock other than `own` conflicts and is not stale.
    func checkConflicts(exclusive: Bool, own: String, policy: LockPolicy) async throws(BasinError) {
        let now = Date()
        let host = LockHolder.current.hostname
        for info in try await locks() where info.name != own {
            guard let record = info.record else {
                throw BasinError(.locked, "lock \(info.name) cannot be read (\(info.problem?.message ?? "unknown")); if no other process uses the basin, remove it with basin unlock --remove-all",
                                 underlying: info.problem)
            }
            guard record.conflicts(withExclusive: exclusive),
                  !record.isStale(now: now, staleAfter: policy.staleAfter, localHost: host) else { continue }
            let how = record.exclusive ? "locked exclusively" : "in use (shared lock)"
            throw BasinError(.locked, "the basin is \(how) by \(record.describe(now: now)) [\(info.name)]; \(record.remedy(staleAfter: policy.staleAfter, localHost: host))")
        }
    }

    static func newLockName() -> String {
        LockRecord.folder + Hex.encode(SecureRandom.bytes(8))
    }
}
