import CXXHash

/// xxh32 (seed 0) for index segments: one shot over a buffer, or streamed piece by piece.
///
/// The only place the index calls libxxhash; it can be swapped for BasinCore's own XXH32
/// wrapper without touching the codec.
final class SegmentChecksum {
    // SAFETY: `state` is created here, never shared (the class is neither Sendable nor
    // exposed) and freed exactly once in deinit.
    private let state: OpaquePointer

    init() {
        guard let state = XXH32_createState() else { fatalError("xxh32: out of memory") }
        self.state = state
        XXH32_reset(state, 0)
    }

    deinit { XXH32_freeState(state) }

    func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { buffer in
            // SAFETY: `buffer` is valid for `buffer.count` bytes for the duration of the call.
            _ = XXH32_update(state, buffer.baseAddress, buffer.count)
        }
    }

    var digest: UInt32 { XXH32_digest(state) }

    /// xxh32 of all of `buffer`.
    static func of(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        // SAFETY: `buffer` is valid for `buffer.count` bytes (a nil base only when empty).
        XXH32(buffer.baseAddress, buffer.count, 0)
    }

    /// xxh32 of all of `bytes`.
    static func of(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { of($0) }
    }
}
