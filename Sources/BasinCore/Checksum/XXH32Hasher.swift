import CXXHash

/// Streaming XXH32: feed bytes in pieces, then read the digest.
///
/// `digest()` does not end the stream: more bytes may be added afterwards and the next digest
/// covers everything fed so far. Noncopyable because it owns a libxxhash state, freed when the
/// value is destroyed; `@unchecked Sendable` is sound because a noncopyable value has exactly
/// one owner, so it can be moved to another task but never shared.
public struct XXH32Hasher: ~Copyable, @unchecked Sendable {
    private let state: OpaquePointer

    /// Starts an empty stream.
    /// - Parameter seed: The xxHash seed; 0 unless a format says otherwise.
    public init(seed: UInt32 = 0) {
        // XXH32_createState only fails when malloc does; there is nothing sensible to do then.
        guard let state = XXH32_createState() else { fatalError("XXH32_createState: out of memory") }
        XXH32_reset(state, seed)
        self.state = state
    }

    deinit {
        XXH32_freeState(state)
    }

    /// Adds bytes to the stream.
    /// - Parameter bytes: The next bytes (may be empty).
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        // SAFETY: `bytes` is valid for `bytes.count` bytes during the call; libxxhash copies what
        // it keeps into its own state and accepts a nil base with a zero length.
        XXH32_update(state, bytes.baseAddress, bytes.count)
    }

    /// Adds bytes to the stream.
    /// - Parameter bytes: The next bytes (may be empty).
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds bytes to the stream.
    /// - Parameter bytes: The next bytes (may be empty).
    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The XXH32 of every byte fed so far.
    /// - Returns: What the one-shot `XXH32.hash` gives on the concatenation of all updates.
    public func digest() -> UInt32 {
        XXH32_digest(state)
    }
}
