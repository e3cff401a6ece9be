/// xxh32 (seed 0) for index segments: one shot over a buffer, or streamed piece by piece.
final class SegmentChecksum {
    private var hasher = XXH32Hasher(seed: 0)

    init() {}

    func update(_ bytes: ArraySlice<UInt8>) { hasher.update(bytes) }

    var digest: UInt32 { hasher.digest() }

    /// xxh32 of all of `buffer`.
    static func of(_ buffer: UnsafeRawBufferPointer) -> UInt32 { XXH32.hash(buffer) }

    /// xxh32 of all of `bytes`.
    static func of(_ bytes: [UInt8]) -> UInt32 { XXH32.hash(bytes) }
}
