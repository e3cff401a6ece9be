import BasinBackend
import Synchronization

/// A ``Backend`` for fault simulation: a ``MemoryBackend`` (what survives a power cut: every
/// object the ``Backend`` contract calls durable) behind a seeded schedule of faults.
///
/// Each call draws its fate from the seed, the simulation's step (``advanceClock()``), the
/// call's kind, the lane it touches (the first segment of the name) and how many such calls
/// came before it in the step: a seed replays exactly while the store issues one lane's calls
/// in the same order, and calls that concurrent tasks of a failing step issue or not cannot
/// shift the faults of later steps. The faults:
/// - a local disk's EIO (`.internalError`) and ENOSPC (`.noSpace`) on any call;
/// - S3's 500, 503, connection reset and timeout (`.unavailable`, as the S3 backend maps
///   them) on any call, and on a mutation also after it took effect (the response was lost);
/// - a torn write (a crash partway: nothing published) and an upload lost before its commit
///   (an abandoned multipart upload), both failing with `.unavailable`;
/// - a power cut (``cutPower(afterMutations:)``): from some mutation on, the client's calls
///   all fail, and its uploads never land; ``restart()`` lets a new client in;
/// - a listing that lags writes (``listLag``): objects published in the last ticks of the
///   simulation's clock are missing from `list`.
package final class SimulatedFaultBackend: Backend {
    /// Chances per 10 000 calls of each fault.
    package struct Rates: Sendable, CustomStringConvertible {
        package var ioError = 0
        package var noSpace = 0
        package var serverError = 0
        package var responseLost = 0
        package var tornWrite = 0
        package var uploadLost = 0

        package init() {}

        /// Rates from `total` per 10 000 calls, shared out among the faults.
        package init(total: Int) {
            ioError = total / 6
            noSpace = total / 6
            serverError = total / 3
            responseLost = total / 6
            tornWrite = total / 12
            uploadLost = total / 12
        }

        package var description: String {
            "io \(ioError) nospace \(noSpace) server \(serverError) lost-response \(responseLost) torn \(tornWrite) lost-upload \(uploadLost) /10000"
        }
    }

    private enum Fate {
        case pass
        case fail(BasinError.Code, String)
        case failAfter(String)
        case tear
        case loseUpload
    }

    private struct State {
        var rates = Rates()
        var seen: [String: UInt64] = [:]
        var faults = 0
        /// The simulation's clock, in steps, and when each object was published.
        var tick = 0
        var published: [String: Int] = [:]
        var listLag = 0
        var epoch = 0
        /// Mutations left before the power goes; nil while it stays on.
        var powerLeft: Int?
        var powerOut = false
    }

    /// The durable storage: what a new client finds after a power cut.
    package let storage: MemoryBackend
    package let seed: UInt64
    private let state = Mutex(State())

    package var location: String { "simulated:\(storage.location)" }

    package init(storage: MemoryBackend = MemoryBackend(), seed: UInt64) {
        self.storage = storage
        self.seed = seed
    }

    /// The fault rates from now on (all zero: no fault).
    package var rates: Rates {
        get { state.withLock { $0.rates } }
        set { state.withLock { $0.rates = newValue } }
    }

    /// For how many ticks of ``advanceClock()`` a new object stays out of `list` (0: none).
    package var listLag: Int {
        get { state.withLock { $0.listLag } }
        set { state.withLock { $0.listLag = newValue } }
    }

    /// Moves the clock of the lagging listing on by one tick (the simulation's step).
    package func advanceClock() {
        state.withLock { state in
            state.tick += 1
            state.seen = [:]
        }
    }

    /// How many calls a fault has hit so far.
    package var faults: Int { state.withLock { $0.faults } }

    /// Whether the power is out (the client is gone).
    package var powerIsOut: Bool { state.withLock { $0.powerOut } }

    /// The power goes after `count` more mutations (writes, upload commits, deletes): from
    /// then on every call fails and no upload of this client lands.
    package func cutPower(afterMutations count: Int) {
        state.withLock { $0.powerLeft = max(0, count) }
    }

    /// The power is back: a new client may start. Uploads begun before stay lost.
    package func restart() {
        state.withLock { state in
            state.powerLeft = nil
            state.powerOut = false
            state.epoch += 1
        }
    }

    /// No fault, no lag, power on: what the final check runs under.
    package func heal() {
        restart()
        state.withLock { state in
            state.rates = Rates()
            state.listLag = 0
        }
    }

    // MARK: The schedule

    /// The fate of a call: a power cut first, then a draw from the seed for this stream.
    private func fate(_ operation: String, _ name: String, mutation: Bool, uploadEpoch: Int? = nil) -> Fate {
        state.withLock { state in
            if state.powerOut || (uploadEpoch.map { $0 != state.epoch } ?? false) {
                return .fail(.unavailable, "power cut: the client is gone")
            }
            if mutation, let left = state.powerLeft {
                if left == 0 {
                    state.powerOut = true
                    return .fail(.unavailable, "power cut")
                }
                state.powerLeft = left - 1
            }
            let lane = name.split(separator: "/", maxSplits: 1).first.map(String.init) ?? name
            let stream = operation + " " + lane
            let count = state.seen[stream, default: 0]
            state.seen[stream] = count + 1
            var generator = SplitMix64(seed: seed ^ Self.hash(stream) ^ (count &* 0x9E37_79B9_7F4A_7C15)
                ^ (UInt64(state.tick) &* 0xD6E8_FEB8_6659_FD93))
            var roll = Int(generator.next() % 10_000)
            let rates = state.rates
            let fate: Fate
            func take(_ rate: Int) -> Bool {
                defer { roll -= rate }
                return roll < rate
            }
            if take(rates.ioError) {
                fate = .fail(.internalError, "Input/output error (EIO)")
            } else if take(rates.noSpace) {
                fate = .fail(.noSpace, "No space left on device")
            } else if take(rates.serverError) {
                let kinds = ["HTTP 500 Internal Server Error", "HTTP 503 Slow Down", "connection reset by peer", "request timed out"]
                fate = .fail(.unavailable, kinds[Int(generator.next() % UInt64(kinds.count))])
            } else if mutation, take(rates.responseLost) {
                fate = .failAfter("request timed out (it may have taken effect)")
            } else if operation == "write" || operation == "beginWrite", take(rates.tornWrite) {
                fate = .tear
            } else if operation == "commit", take(rates.uploadLost) {
                fate = .loseUpload
            } else {
                fate = .pass
            }
            if case .pass = fate {} else { state.faults += 1 }
            return fate
        }
    }

    /// FNV-1a: a stable hash of a stream's name (Swift's own is seeded per process).
    private static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    private static func error(_ code: BasinError.Code, _ operation: String, _ name: String, _ message: String) -> BasinError {
        BasinError(code, "simulated fault: \(operation) of object '\(name)': \(message)")
    }

    private func published(_ name: String) {
        state.withLock { $0.published[name] = $0.tick }
    }

    // MARK: Backend

    package func list(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        if case .fail(let code, let message) = fate("list", prefix, mutation: false) {
            throw Self.error(code, "list", prefix, message)
        }
        let listed = try await storage.list(prefix: prefix)
        let (published, tick, lag) = state.withLock { ($0.published, $0.tick, $0.listLag) }
        return listed.filter { object in published[object.name].map { $0 + lag <= tick } ?? true }
    }

    package func read(_ name: String) async throws(BasinError) -> [UInt8] {
        if case .fail(let code, let message) = fate("read", name, mutation: false) { throw Self.error(code, "read", name, message) }
        return try await storage.read(name)
    }

    package func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        if case .fail(let code, let message) = fate("read", name, mutation: false) { throw Self.error(code, "read", name, message) }
        return try await storage.read(name, range: range)
    }

    package func stat(_ name: String) async throws(BasinError) -> ObjectInfo? {
        if case .fail(let code, let message) = fate("stat", name, mutation: false) { throw Self.error(code, "stat", name, message) }
        return try await storage.stat(name)
    }

    package func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        switch fate("write", name, mutation: true) {
        case .fail(let code, let message):
            throw Self.error(code, "write", name, message)
        case .tear, .loseUpload:
            // On a backend that writes atomically a torn write publishes nothing.
            throw Self.error(.unavailable, "write", name, "crash partway through the write, nothing published")
        case .failAfter(let message):
            try await storage.write(name, bytes: bytes)
            published(name)
            throw Self.error(.unavailable, "write", name, message)
        case .pass:
            try await storage.write(name, bytes: bytes)
            published(name)
        }
    }

    package func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        let epoch = state.withLock { $0.epoch }
        switch fate("beginWrite", name, mutation: false) {
        case .fail(let code, let message):
            throw Self.error(code, "beginWrite", name, message)
        case .tear:
            return Upload(backend: self, inner: try await storage.beginWrite(name), name: name, epoch: epoch, doomed: true)
        default:
            return Upload(backend: self, inner: try await storage.beginWrite(name), name: name, epoch: epoch, doomed: false)
        }
    }

    package func delete(_ name: String) async throws(BasinError) {
        switch fate("delete", name, mutation: true) {
        case .fail(let code, let message):
            throw Self.error(code, "delete", name, message)
        case .failAfter(let message):
            try await storage.delete(name)
            throw Self.error(.unavailable, "delete", name, message)
        default:
            try await storage.delete(name)
        }
    }

    /// An upload whose appends and commit go through the schedule; one begun by a client
    /// the power cut ended never lands.
    private final class Upload: ObjectUpload {
        let backend: SimulatedFaultBackend
        let inner: any ObjectUpload
        let name: String
        let epoch: Int
        /// A torn write: the upload crashes at its commit.
        let doomed: Bool

        init(backend: SimulatedFaultBackend, inner: any ObjectUpload, name: String, epoch: Int, doomed: Bool) {
            self.backend = backend
            self.inner = inner
            self.name = name
            self.epoch = epoch
            self.doomed = doomed
        }

        func append(_ bytes: [UInt8]) async throws(BasinError) {
            if case .fail(let code, let message) = backend.fate("append", name, mutation: false, uploadEpoch: epoch) {
                throw SimulatedFaultBackend.error(code, "append", name, message)
            }
            try await inner.append(bytes)
        }

        func commit() async throws(BasinError) {
            let fate = backend.fate("commit", name, mutation: true, uploadEpoch: epoch)
            if doomed {
                await inner.abort()
                throw SimulatedFaultBackend.error(.unavailable, "commit", name, "crash partway through the upload, nothing published")
            }
            switch fate {
            case .fail(let code, let message):
                await inner.abort()
                throw SimulatedFaultBackend.error(code, "commit", name, message)
            case .loseUpload, .tear:
                await inner.abort()
                throw SimulatedFaultBackend.error(.unavailable, "commit", name, "the upload is gone (aborted by the server), nothing published")
            case .failAfter(let message):
                try await inner.commit()
                backend.published(name)
                throw SimulatedFaultBackend.error(.unavailable, "commit", name, message)
            case .pass:
                try await inner.commit()
                backend.published(name)
            }
        }

        func abort() async {
            await inner.abort()
        }
    }
}
