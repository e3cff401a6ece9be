import BasinLocal
import BasinStore
import Dispatch
import Synchronization
import Glibc

/// SIGINT and SIGTERM during a command that stops cleanly on them (backup): the lock is
/// released, the temporary files of writes under way are removed, and the process exits
/// 128 + the signal's number (130, 143). What was committed stays: strata are durable once
/// written, and no snapshot ref is written without the lock (`SnapshotRepository.save`), so
/// the next backup finds those strata in the basin and stores only what they lack.
/// A second signal exits at once.
enum Interruption {
    private struct State {
        var lock: BasinLock?
        /// Between asking for the lock and holding it: a signal then waits for ``hold(_:)``.
        var acquiring = false
        var signal: Int32?
    }

    private enum Action { case exitNow, waitForLock, release(BasinLock) }

    private static let state = Mutex(State())
    /// The sources must live as long as the process. Only ``install(operation:)`` touches
    /// them, once per process, before any signal is handled.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Handles SIGINT and SIGTERM from now on, for `operation` (named in the message); the
    /// lock is about to be asked for.
    static func install(operation: String) {
        state.withLock { $0.acquiring = true }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { received(number, operation: operation) }
            source.resume()
            sources.append(source)
        }
    }

    /// The lock is held: a signal from now on releases it. One that came while it was being
    /// taken is acted on now (and this never returns).
    static func hold(_ lock: BasinLock, operation: String) async {
        let pending = state.withLock { state -> Int32? in
            state.acquiring = false
            state.lock = lock
            return state.signal
        }
        if let pending { await stop(pending, lock: lock, operation: operation) }
    }

    /// Taking the lock failed: a signal that came meanwhile ends the process now.
    static func notAcquired() {
        let pending = state.withLock { state -> Int32? in
            state.acquiring = false
            return state.signal
        }
        if let pending { _exit(128 + pending) }
    }

    private static func received(_ number: Int32, operation: String) {
        let action = state.withLock { state -> Action in
            if state.signal != nil { return .exitNow }
            state.signal = number
            if let lock = state.lock { return .release(lock) }
            return state.acquiring ? .waitForLock : .exitNow
        }
        switch action {
        case .exitNow: _exit(128 + number)
        case .waitForLock:
            // Taking a lock takes milliseconds, but one waited for (--retry-lock) may take
            // minutes: give up on it after a moment; a lock object of ours left by that is
            // stale at once (its pid is gone) and others ignore it.
            Task(priority: .high) {
                try? await Task.sleep(for: .seconds(2))
                _exit(128 + number)
            }
        case .release(let lock):
            // High priority: the backup's own tasks may fill the cooperative threads, and the
            // release must not queue behind thousands of them.
            Task(priority: .high) { await stop(number, lock: lock, operation: operation) }
            // If releasing still cannot finish (a backend that does not answer), exit anyway:
            // the lock left names a process that is gone, so it is stale on this host at once.
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(60)) {
                StandardStreams.printError("basin: \(operation) interrupted; the lock \(lock.name) could not be released within 60 s: "
                    + "`basin unlock` removes it")
                _exit(128 + number)
            }
        }
    }

    private static func stop(_ number: Int32, lock: BasinLock, operation: String) async -> Never {
        await lock.release()
        LocalBackend.removeTemporariesInFlight()
        let name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
        StandardStreams.printError("basin: \(operation) interrupted by \(name): stopped without a snapshot; "
            + "the strata already committed stay in the basin (the next \(operation) stores only what they lack); lock \(lock.name) released")
        _exit(128 + number)
    }
}
