import BasinBackend
import BasinCore
import Foundation
import Synchronization

/// A lock held on a basin (docs/FORMAT.md, "Locks"). A background task writes a fresh lock
/// object every ``LockPolicy/refreshInterval`` and deletes the previous one, until
/// ``release()``. A holder that cannot refresh in time, or finds its object removed, has lost
/// the lock: ``ensureHeld()`` then throws, and whoever commits something under the lock (a
/// snapshot ref, a deletion) checks that first.
public final class BasinLock: Sendable {
    public let basin: Basin
    public let exclusive: Bool
    public let policy: LockPolicy

    struct State {
        var name: String
        var record: LockRecord
        var lastRefresh: Date
        var lost: BasinError?
        var released = false
        var refresher: Task<Void, Never>?
    }

    let state: Mutex<State>

    init(basin: Basin, name: String, record: LockRecord, policy: LockPolicy, acquired: Date) {
        self.basin = basin
        exclusive = record.exclusive
        self.policy = policy
        state = Mutex(State(name: name, record: record, lastRefresh: acquired))
    }

    /// The lock object's current name (it changes at every refresh).
    public var name: String { state.withLock { $0.name } }

    /// The record last written.
    package var record: LockRecord { state.withLock { $0.record } }

    /// Throws unless the lock is still held: not released, not lost, refreshed recently enough
    /// that no other process may have judged it stale.
    /// - Throws: `.locked` saying why the lock is no longer held.
    public func ensureHeld() throws(BasinError) {
        let result: BasinError? = state.withLock { state in
            if state.released { return BasinError(.locked, "lock \(state.name) was released") }
            if let lost = state.lost { return lost }
            if Date().timeIntervalSince(state.lastRefresh) > policy.staleAfter {
                state.lost = BasinError(.locked, "lock \(state.name) was not refreshed for \(Int(policy.staleAfter)) s; other processes may treat it as stale")
                return state.lost
            }
            return nil
        }
        if let result { throw result }
    }

    /// Writes a fresh lock object and deletes the previous one. Called by the refresh task;
    /// tests call it directly.
    /// - Throws: `.locked` when the lock was lost (its object removed, or not refreshed in
    ///   time), or the backend's error (the lock is kept then: a later refresh may succeed).
    public func refresh() async throws(BasinError) {
        try ensureHeld()
        let (old, record) = state.withLock { ($0.name, $0.record) }
        guard try await basin.backend.stat(old) != nil else {
            let lost = BasinError(.locked, "lock \(old) was removed by another process (basin unlock?)")
            state.withLock { $0.lost = lost }
            throw lost
        }
        let now = Date()
        var fresh = record
        fresh.refreshed = RFC3339.format(now, precision: .milliseconds)
        let name = Basin.newLockName()
        try await basin.writeSealedObject(name, plain: fresh.encoded())
        state.withLock { state in
            state.name = name
            state.record = fresh
            state.lastRefresh = now
        }
        // A failed delete leaves an old object of ours behind, which goes stale: harmless.
        try? await basin.deleteObject(old)
    }

    /// Stops refreshing and deletes the lock object. Errors are ignored: an object left
    /// behind goes stale.
    public func release() async {
        let (first, task) = state.withLock { state -> (Bool, Task<Void, Never>?) in
            guard !state.released else { return (false, nil) }
            state.released = true
            defer { state.refresher = nil }
            return (true, state.refresher)
        }
        guard first else { return }
        task?.cancel()
        await task?.value
        // Read the name only now: a refresh that was under way may have replaced the object.
        try? await basin.deleteObject(state.withLock { $0.name })
    }

    func startRefreshing() {
        let interval = policy.refreshInterval
        let task = Task { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do throws(BasinError) {
                    try await refresh()
                } catch {
                    // A lost lock stays lost; any other failure is retried at the next interval.
                    if error.code == .locked { return }
                }
            }
        }
        state.withLock { $0.refresher = task }
    }
}
