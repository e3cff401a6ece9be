import BasinBackend
import Synchronization

/// A ``Backend`` decorator for fault tests: it passes every call to the backend it wraps,
/// counts the calls by operation and object name, and applies the faults it is told to:
/// failures with any error code (an S3 500, a timeout, a full disk), calls that take effect
/// and fail anyway, writes dropped, writes torn by a crash, bits flipped and objects cut
/// short on read.
///
/// A fault is a ``Rule``: an ``Effect``, the operations and name prefix it applies to, how
/// many matching calls to let through first and how many to affect. Rules are tried in the
/// order injected; every matching rule counts the call, the first one due applies.
///
/// ```swift
/// let faulty = FaultInjectingBackend(wrapping: MemoryBackend())
/// faulty.inject(.init(.noSpace, on: [.write], skip: 2, times: 1))   // the 3rd write: ENOSPC
/// faulty.inject(.init(.flipBit(9), on: [.read, .readRange], prefix: "data/"))
/// ...
/// #expect(faulty.calls(.read, .readRange, prefix: "data/") == 0)
/// ```
package final class FaultInjectingBackend: Backend {
    /// A kind of call, for rules and counters; upload calls count under the object's name.
    package enum Operation: String, Sendable, Hashable, CaseIterable {
        case list, read, readRange, stat, write, beginWrite, append, commit, delete
    }

    /// What a fault does to a call.
    package enum Effect: Sendable {
        /// The call throws `code` with `message` and never reaches the backend; a `commit`
        /// aborts the upload first.
        case fail(BasinError.Code, String)
        /// The call reaches the backend and takes effect, then throws anyway: a timeout after
        /// the server did the work. On `beginWrite` the started upload is abandoned.
        case failAfter(BasinError.Code, String)
        /// `write`, `commit` or `delete` reports success and does nothing (a lost write); a
        /// dropped `commit` aborts the upload.
        case drop
        /// A crash during a write: only the object's first `keepingBytes` bytes reach the
        /// backend, the upload is abandoned (neither committed nor aborted, as a killed process
        /// leaves it), the call throws `.unavailable`, and nothing is published.
        /// On `write` the crash is immediate. On `beginWrite` the upload is doomed: appends pass
        /// until one would go past `keepingBytes` (it passes on what fits, then crashes), and
        /// `commit` crashes at the latest. On `commit`, the crash happens there. Later calls on
        /// a crashed upload fail with `.invalidArgument`.
        case tearWrite(keepingBytes: Int)
        /// `read` or `readRange` returns the object with bit `n` flipped (bit `n % 8` of its
        /// byte `n / 8`, counted from the object's start; outside a ranged read, no change).
        case flipBit(Int)
        /// `read`, `readRange` or `stat` sees only the object's first `length` bytes: a ranged
        /// read past them throws `.corrupted` as for a short object.
        case truncate(to: Int)

        /// An S3-style HTTP 500, retryable.
        package static var serverError: Effect { .fail(.unavailable, "HTTP 500 Internal Server Error") }
        /// A request that timed out, retryable.
        package static var timeout: Effect { .fail(.unavailable, "request timed out") }
        /// A full disk (ENOSPC).
        package static var noSpace: Effect { .fail(.noSpace, "No space left on device") }

        func applies(to operation: Operation) -> Bool {
            switch self {
            case .fail, .failAfter: true
            case .drop: [.write, .commit, .delete].contains(operation)
            case .tearWrite: [.write, .beginWrite, .commit].contains(operation)
            case .flipBit: [.read, .readRange].contains(operation)
            case .truncate: [.read, .readRange, .stat].contains(operation)
            }
        }
    }

    /// A fault: which calls it affects and how.
    package struct Rule: Sendable {
        package var effect: Effect
        package var operations: Set<Operation>
        package var prefix: String
        package var skip: Int
        package var times: Int?

        /// - Parameters:
        ///   - effect: What happens to an affected call.
        ///   - operations: The operations it applies to (those the effect makes sense for).
        ///   - prefix: Only objects (or list prefixes) whose name starts with it; "" for all.
        ///   - skip: How many matching calls to let through first (the Nth call: `skip: N-1`).
        ///   - times: How many calls to affect after those; nil for every one.
        package init(
            _ effect: Effect, on operations: Set<Operation> = Set(Operation.allCases),
            prefix: String = "", skip: Int = 0, times: Int? = nil
        ) {
            self.effect = effect
            self.operations = operations
            self.prefix = prefix
            self.skip = skip
            self.times = times
        }
    }

    private struct Armed {
        var rule: Rule
        var seen = 0
        var fired = 0
    }

    private struct State {
        var rules: [Armed] = []
        var calls: [Operation: [String: Int]] = [:]
        var abandoned: [any ObjectUpload] = []
    }

    /// The backend every call goes to.
    package let inner: any Backend
    private let state = Mutex(State())

    package var location: String { inner.location }

    /// Wraps `inner`, with no fault injected yet.
    package init(wrapping inner: any Backend) {
        self.inner = inner
    }

    // MARK: Rules and counters

    /// Adds a fault after those already injected.
    ///
    /// - Returns: The rule's number, for ``fired(_:)``.
    @discardableResult
    package func inject(_ rule: Rule) -> Int {
        state.withLock { state in
            state.rules.append(Armed(rule: rule))
            return state.rules.count - 1
        }
    }

    /// How many calls rule number `rule` has affected.
    package func fired(_ rule: Int) -> Int {
        state.withLock { $0.rules[rule].fired }
    }

    /// Removes every rule; calls pass through unchanged from now on.
    package func removeAllFaults() {
        state.withLock { $0.rules.removeAll() }
    }

    /// How many calls of `operations` (all operations when none is given) were made on
    /// objects whose name starts with `prefix`, faulty or not. For `list`, the name is the
    /// listed prefix.
    package func calls(_ operations: Operation..., prefix: String = "") -> Int {
        let wanted = operations.isEmpty ? Operation.allCases : operations
        return state.withLock { state in
            wanted.reduce(0) { total, operation in
                total + (state.calls[operation] ?? [:]).reduce(0) { $0 + ($1.key.hasPrefix(prefix) ? $1.value : 0) }
            }
        }
    }

    /// Sets every call counter back to zero.
    package func resetCounters() {
        state.withLock { $0.calls.removeAll() }
    }

    /// How many uploads a torn write has abandoned (kept alive, so a local backend's
    /// temporary files stay on disk as after a crash).
    package var abandonedUploads: Int {
        state.withLock { $0.abandoned.count }
    }

    /// Counts a call and returns the fault to apply to it, if any.
    private func fault(_ operation: Operation, _ name: String) -> Effect? {
        state.withLock { state in
            state.calls[operation, default: [:]][name, default: 0] += 1
            var chosen: Effect?
            for index in state.rules.indices {
                let rule = state.rules[index].rule
                guard rule.operations.contains(operation), rule.effect.applies(to: operation),
                      name.hasPrefix(rule.prefix) else { continue }
                state.rules[index].seen += 1
                let armed = state.rules[index]
                if chosen == nil, armed.seen > rule.skip, armed.fired < (rule.times ?? .max) {
                    state.rules[index].fired += 1
                    chosen = rule.effect
                }
            }
            return chosen
        }
    }

    private func abandon(_ upload: any ObjectUpload) {
        state.withLock { $0.abandoned.append(upload) }
    }

    private static func injected(_ code: BasinError.Code, _ operation: Operation, _ name: String, _ message: String) -> BasinError {
        BasinError(code, "injected fault: \(operation.rawValue) of object '\(name)': \(message)")
    }

    private static func crash(_ operation: Operation, _ name: String) -> BasinError {
        injected(.unavailable, operation, name, "crash while writing, nothing published")
    }

    // MARK: Backend

    package func list(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        let effect = fault(.list, prefix)
        if case .fail(let code, let message) = effect { throw Self.injected(code, .list, prefix, message) }
        let result = try await inner.list(prefix: prefix)
        if case .failAfter(let code, let message) = effect { throw Self.injected(code, .list, prefix, message) }
        return result
    }

    package func read(_ name: String) async throws(BasinError) -> [UInt8] {
        let effect = fault(.read, name)
        if case .fail(let code, let message) = effect { throw Self.injected(code, .read, name, message) }
        var bytes = try await inner.read(name)
        switch effect {
        case .failAfter(let code, let message)?: throw Self.injected(code, .read, name, message)
        case .flipBit(let bit)?: Self.flip(bit, in: &bytes, from: 0)
        case .truncate(let length)?: bytes = Array(bytes.prefix(max(0, length)))
        default: break
        }
        return bytes
    }

    package func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        let effect = fault(.readRange, name)
        switch effect {
        case .fail(let code, let message)?:
            throw Self.injected(code, .readRange, name, message)
        case .truncate(let length)? where range.upperBound > length:
            // What a reader gets from an object cut short: check the object exists first.
            guard let info = try await inner.stat(name) else { return try await inner.read(name, range: range) }
            let size = min(info.size, max(0, length))
            throw BasinError(.corrupted, "object '\(name)' is shorter than expected: \(size) bytes, "
                + "bytes \(range.lowerBound)..<\(range.upperBound) wanted (injected truncation)")
        default: break
        }
        var bytes = try await inner.read(name, range: range)
        switch effect {
        case .failAfter(let code, let message)?: throw Self.injected(code, .readRange, name, message)
        case .flipBit(let bit)?: Self.flip(bit, in: &bytes, from: range.lowerBound)
        default: break
        }
        return bytes
    }

    package func stat(_ name: String) async throws(BasinError) -> ObjectInfo? {
        let effect = fault(.stat, name)
        if case .fail(let code, let message) = effect { throw Self.injected(code, .stat, name, message) }
        let info = try await inner.stat(name)
        switch effect {
        case .failAfter(let code, let message)?: throw Self.injected(code, .stat, name, message)
        case .truncate(let length)?: return info.map { ObjectInfo(name: $0.name, size: min($0.size, max(0, length))) }
        default: return info
        }
    }

    package func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        switch fault(.write, name) {
        case .fail(let code, let message)?:
            throw Self.injected(code, .write, name, message)
        case .failAfter(let code, let message)?:
            try await inner.write(name, bytes: bytes)
            throw Self.injected(code, .write, name, message)
        case .drop?:
            return
        case .tearWrite(let keep)?:
            let upload = try await inner.beginWrite(name)
            abandon(upload)
            try await upload.append(Array(bytes.prefix(max(0, keep))))
            throw Self.crash(.write, name)
        default:
            try await inner.write(name, bytes: bytes)
        }
    }

    package func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        let effect = fault(.beginWrite, name)
        if case .fail(let code, let message) = effect { throw Self.injected(code, .beginWrite, name, message) }
        let upload = try await inner.beginWrite(name)
        switch effect {
        case .failAfter(let code, let message)?:
            abandon(upload)
            throw Self.injected(code, .beginWrite, name, message)
        case .tearWrite(let keep)?:
            return Upload(backend: self, inner: upload, name: name, tearingAt: max(0, keep))
        default:
            return Upload(backend: self, inner: upload, name: name, tearingAt: nil)
        }
    }

    package func delete(_ name: String) async throws(BasinError) {
        switch fault(.delete, name) {
        case .fail(let code, let message)?:
            throw Self.injected(code, .delete, name, message)
        case .failAfter(let code, let message)?:
            try await inner.delete(name)
            throw Self.injected(code, .delete, name, message)
        case .drop?:
            return
        default:
            try await inner.delete(name)
        }
    }

    private static func flip(_ bit: Int, in bytes: inout [UInt8], from offset: Int) {
        let index = bit / 8 - offset
        guard bit >= 0, bytes.indices.contains(index) else { return }
        bytes[index] ^= 1 << UInt8(bit % 8)
    }

    /// An upload passing through the decorator's rules for `append` and `commit`.
    private final class Upload: ObjectUpload {
        let backend: FaultInjectingBackend
        let inner: any ObjectUpload
        let name: String
        /// Where a doomed upload crashes (see ``Effect/tearWrite(keepingBytes:)``).
        let tearingAt: Int?
        /// Bytes passed on so far, and whether a torn write has ended the upload.
        private let progress = Mutex<(written: Int, crashed: Bool)>((0, false))

        init(backend: FaultInjectingBackend, inner: any ObjectUpload, name: String, tearingAt: Int?) {
            self.backend = backend
            self.inner = inner
            self.name = name
            self.tearingAt = tearingAt
        }

        func append(_ bytes: [UInt8]) async throws(BasinError) {
            let effect = backend.fault(.append, name)
            let written = try checkNotCrashed(.append)
            if let tearingAt, written + bytes.count > tearingAt {
                crash()
                try await inner.append(Array(bytes.prefix(tearingAt - written)))
                throw FaultInjectingBackend.crash(.append, name)
            }
            switch effect {
            case .fail(let code, let message)?:
                throw FaultInjectingBackend.injected(code, .append, name, message)
            default:
                try await inner.append(bytes)
                progress.withLock { $0.written += bytes.count }
                if case .failAfter(let code, let message)? = effect {
                    throw FaultInjectingBackend.injected(code, .append, name, message)
                }
            }
        }

        func commit() async throws(BasinError) {
            let effect = backend.fault(.commit, name)
            _ = try checkNotCrashed(.commit)
            if tearingAt != nil {
                crash()
                throw FaultInjectingBackend.crash(.commit, name)
            }
            switch effect {
            case .fail(let code, let message)?:
                await inner.abort()
                throw FaultInjectingBackend.injected(code, .commit, name, message)
            case .failAfter(let code, let message)?:
                try await inner.commit()
                throw FaultInjectingBackend.injected(code, .commit, name, message)
            case .drop?:
                await inner.abort()
            case .tearWrite?:
                crash()
                throw FaultInjectingBackend.crash(.commit, name)
            default:
                try await inner.commit()
            }
        }

        func abort() async {
            if progress.withLock({ $0.crashed }) { return }
            await inner.abort()
        }

        private func checkNotCrashed(_ operation: Operation) throws(BasinError) -> Int {
            let (written, crashed) = progress.withLock { $0 }
            if crashed {
                throw FaultInjectingBackend.injected(.invalidArgument, operation, name, "the upload crashed earlier")
            }
            return written
        }

        private func crash() {
            progress.withLock { $0.crashed = true }
            backend.abandon(inner)
        }
    }
}
