import BasinBackend
import BasinCore
import BasinStore

/// The basin as a key/value store: each call below is a batch of its own (durable and kept
/// when it returns); ``Basin/batch(policy:_:)`` commits many steps at once, which is much
/// cheaper per value (one lock, one flush, one root record).
extension Basin {
    /// Stores `value` and returns its key (its keyed BLAKE3 hash). It is kept until removed:
    /// by key, or, when `name` is given, by that name (replacing what the name mapped to).
    @discardableResult
    public nonisolated func put(_ value: [UInt8], name: String? = nil) async throws(BasinError) -> Key {
        try await single { $0.put(value, name: name) }
    }

    /// Stores the contents of the file at `path`, read in pieces (flat memory).
    /// - Throws: `.invalidArgument` when the file cannot be opened, `.unavailable` when it
    ///   cannot be read, besides what ``put(_:name:)`` throws.
    @discardableResult
    public nonisolated func put(contentsOfFile path: String, name: String? = nil) async throws(BasinError) -> Key {
        try await single { $0.put(contentsOfFile: path, name: name) }
    }

    /// Stores a value read piece by piece from `read` (see ``BasinBatch/put(name:reading:)``).
    @discardableResult
    public nonisolated func put(name: String? = nil,
                                reading read: @escaping @Sendable (UnsafeMutableRawBufferPointer) throws -> Int) async throws(BasinError) -> Key {
        try await single { $0.put(name: name, reading: read) }
    }

    /// The value the name `name` maps to.
    /// - Throws: `.notFound` when no key has that name; what ``get(_:)`` throws.
    public nonisolated func get(named name: String) async throws(BasinError) -> [UInt8] {
        try await get(try await key(forName: name))
    }

    /// The key the name `name` maps to.
    /// - Throws: `.notFound` when no key has that name.
    public nonisolated func key(forName name: String) async throws(BasinError) -> Key {
        guard let key = try await key(named: name) else { throw BasinError(.notFound, "no key is named '\(name)' in the basin") }
        return key
    }

    /// Stops keeping the value stored (without a name) under `key`; a later prune reclaims it
    /// unless something else reaches it.
    /// - Throws: `.notFound` when `key` is not a stored value.
    public nonisolated func remove(_ key: Key) async throws(BasinError) {
        try await batch { $0.remove(key) }
    }

    /// Removes the name `name`.
    /// - Throws: `.notFound` when no key has that name.
    public nonisolated func remove(named name: String) async throws(BasinError) {
        try await batch { $0.remove(named: name) }
    }

    /// The names starting with `prefix` and the keys they map to, sorted by name.
    public nonisolated func names(prefix: String = "") async throws(BasinError) -> [(name: String, key: Key)] {
        try await roots().state.names(prefix: prefix)
    }

    /// The keys of the values stored without a name (kept until removed), sorted.
    public nonisolated func storedKeys() async throws(BasinError) -> [Key] {
        try await roots().state.keys.sorted()
    }

    /// A batch of one put.
    private nonisolated func single(_ step: (inout BasinBatch) -> Void) async throws(BasinError) -> Key {
        guard let key = try await batch(step).first else { throw BasinError(.internalError, "a put returned no key") }
        return key
    }
}
