import BasinBackend
import BasinCore
import BasinTestSupport
import Synchronization
@testable import BasinStore

/// A ``MemoryBackend`` on which data-lane writes overlap and land out of order, made
/// deterministic: a store with several uploads in flight.
///
/// A write of a `data/` object that arrives alone is held until the next one arrives; then
/// the newer one lands first, the held one after, and both callers go on. After ``drain()``
/// nothing is held. Other writes land at once. Every write is logged in landing order, so a
/// test can replay a crash at any instant: the objects present then are a prefix of
/// ``landed`` (plus those written otherwise, e.g. index segments through uploads).
///
/// A writer that never lets two data writes overlap waits forever here; tests using this
/// backend carry a time limit.
final class HeldWritesBackend: Backend {
    private struct Held {
        let name: String
        let bytes: [UInt8]
        let continuation: CheckedContinuation<Role, Never>
    }

    /// What a data write does once it may go on.
    private enum Role {
        /// Another write published it, with this outcome.
        case landed(BasinError?)
        /// It publishes itself, then these held ones, in this order.
        case lander(then: [Held])
    }

    private struct State {
        var held: [Held] = []
        var draining = false
        var arrived: [String] = []
        var landed: [String] = []
        var mostInFlight = 0
    }

    let inner = MemoryBackend()
    private let state = Mutex(State())

    var location: String { inner.location }

    /// The names of the objects written, in the order they landed.
    var landed: [String] { state.withLock { $0.landed } }

    /// The names of the objects written, in the order their writes were called.
    var arrived: [String] { state.withLock { $0.arrived } }

    /// The most data writes that were in flight at once.
    var mostInFlight: Int { state.withLock { $0.mostInFlight } }

    /// Lets a held write land and stops holding new ones.
    func drain() async {
        let held = state.withLock { state in
            state.draining = true
            defer { state.held = [] }
            return state.held
        }
        await land(held)
    }

    func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        state.withLock { $0.arrived.append(name) }
        guard name.hasPrefix(Lane.data.folder + "/") else { return try await publish(name, bytes: bytes) }
        let role = await withCheckedContinuation { (continuation: CheckedContinuation<Role, Never>) in
            let now: Role? = state.withLock { state in
                if state.draining { return .lander(then: []) }
                state.mostInFlight = max(state.mostInFlight, state.held.count + 1)
                guard !state.held.isEmpty else {
                    state.held.append(Held(name: name, bytes: bytes, continuation: continuation))
                    return nil
                }
                defer { state.held = [] }
                return .lander(then: state.held.reversed())
            }
            if let now { continuation.resume(returning: now) }
        }
        switch role {
        case let .landed(error):
            if let error { throw error }
        case let .lander(then: held):
            let outcome: BasinError?
            do {
                try await publish(name, bytes: bytes)
                outcome = nil
            } catch {
                outcome = error
            }
            await land(held)
            if let outcome { throw outcome }
        }
    }

    /// Publishes held writes in this order, letting each caller go on with its outcome.
    private func land(_ held: [Held]) async {
        for write in held {
            do {
                try await publish(write.name, bytes: write.bytes)
                write.continuation.resume(returning: .landed(nil))
            } catch {
                write.continuation.resume(returning: .landed(error))
            }
        }
    }

    private func publish(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        try await inner.write(name, bytes: bytes)
        state.withLock { $0.landed.append(name) }
    }

    func list(prefix: String) async throws(BasinError) -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func read(_ name: String) async throws(BasinError) -> [UInt8] { try await inner.read(name) }
    func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] { try await inner.read(name, range: range) }
    func stat(_ name: String) async throws(BasinError) -> ObjectInfo? { try await inner.stat(name) }
    func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload { try await inner.beginWrite(name) }
    func delete(_ name: String) async throws(BasinError) { try await inner.delete(name) }
}
