import CZstd
import Synchronization

/// One-shot zstd compression (libzstd), the "compress" half of sealing a payload.
///
/// Decompression treats its input as untrusted: output is bounded by the caller's `maxSize`
/// (whatever a frame header claims), the decoder's window is capped at zstd's default limit
/// (128 MiB), and every failure is a ``CodecError``, never a trap.
public enum Zstd {
    /// The level Basin uses unless configured otherwise.
    public static let defaultLevel: Int32 = 3

    /// Compresses `input` into one zstd frame (content size recorded in the header).
    /// - Parameters:
    ///   - input: The bytes to compress (may be empty).
    ///   - level: A zstd level; values outside zstd's range are clamped by zstd.
    /// - Returns: The frame.
    /// - Throws: ``CodecError/invalidValue(offset:field:)`` if libzstd reports an error
    ///   (not expected for valid arguments).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel) throws(CodecError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        guard ZSTD_isError(bound) == 0 else { throw codecError(bound, offset: 0) }
        guard let context = compressionContexts.take() else { throw .invalidValue(offset: 0, field: "zstd context (out of memory)") }
        defer { compressionContexts.giveBack(context) }
        var result = 0
        let frame = [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            // SAFETY: `buffer` has room for `bound` bytes, which is what we tell zstd; zstd
            // writes only a prefix and returns its length, which alone we mark initialized.
            // `input` is valid for `input.count` bytes (nil only when empty, which zstd accepts).
            // `context` is this call's alone until `giveBack`.
            result = ZSTD_compressCCtx(context.pointer, buffer.baseAddress, bound, input.baseAddress, input.count, level)
            initialized = ZSTD_isError(result) == 0 ? result : 0
        }
        guard ZSTD_isError(result) == 0 else { throw codecError(result, offset: 0) }
        return frame
    }

    /// A libzstd context (compression or decompression) lent to one call at a time (hence
    /// `@unchecked Sendable`).
    // SAFETY: a context has exactly one holder at any time, the idle list or the one call that
    // took it; only that call uses it, and it is freed only when the idle list is full.
    struct Context: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Contexts kept between one-shot calls: making one per call allocates and clears its
    /// tables (about a MiB to compress at level 3, a few hundred KiB to decompress) each
    /// time, which shows when values are many and small. One-shot calls reset what matters:
    /// `ZSTD_compressCCtx` uses the level given, `ZSTD_decompressDCtx` starts a new frame.
    final class ContextPool: Sendable {
        private let idle = Mutex<[Context]>([])
        private let make: @Sendable () -> OpaquePointer?
        private let free: @Sendable (OpaquePointer) -> Void
        /// Idle contexts kept at most (concurrent callers use about one per core); zstd itself
        /// shrinks a context whose tables stay oversized for its later inputs.
        static let maxIdle = 8

        init(make: @escaping @Sendable () -> OpaquePointer?, free: @escaping @Sendable (OpaquePointer) -> Void) {
            self.make = make
            self.free = free
        }

        func take() -> Context? {
            if let context = idle.withLock({ $0.popLast() }) { return context }
            return make().map(Context.init)
        }

        func giveBack(_ context: Context) {
            let kept = idle.withLock { idle in
                guard idle.count < Self.maxIdle else { return false }
                idle.append(context)
                return true
            }
            if !kept { free(context.pointer) }
        }
    }

    static let compressionContexts = ContextPool(make: { ZSTD_createCCtx() }, free: { _ = ZSTD_freeCCtx($0) })
    static let decompressionContexts = ContextPool(make: { ZSTD_createDCtx() }, free: { _ = ZSTD_freeDCtx($0) })

    /// Compresses `input` into one zstd frame.
    /// - Parameters:
    ///   - input: The bytes to compress (may be empty).
    ///   - level: A zstd level.
    /// - Returns: The frame.
    /// - Throws: ``CodecError`` if libzstd reports an error.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws(CodecError) -> [UInt8] {
        try input.withUnsafeBytes { bytes in Result { () throws(CodecError) in try compress(bytes, level: level) } }.get()
    }

    /// Decompresses one or more concatenated zstd frames, refusing to produce more than `maxSize`.
    /// - Parameters:
    ///   - input: Untrusted bytes: whole frames and nothing else.
    ///   - maxSize: The most bytes the result may hold (the caller's expected plain size).
    /// - Returns: The decompressed bytes.
    /// - Throws: ``CodecError``: `truncated` if the input ends inside a frame (or is empty),
    ///   `badMagic` if a frame does not start with zstd's magic, `lengthOverflow` if the output
    ///   would exceed `maxSize`, `checksumMismatch` for a failed frame checksum, `invalidValue`
    ///   for any other corruption. Offsets are the input bytes consumed when it was detected.
    public static func decompress(_ input: UnsafeRawBufferPointer, maxSize: Int) throws(CodecError) -> [UInt8] {
        precondition(maxSize >= 0, "Zstd.decompress: maxSize must not be negative")
        let declared = input.count >= 4 ? ZSTD_getFrameContentSize(input.baseAddress, input.count) : unknownContentSize
        if declared < unknownContentSize - 1, declared > UInt64(maxSize) {
            throw .lengthOverflow(offset: 0, value: declared)
        }
        // Start from the declared size when there is one (up to 64 MiB: a header is untrusted
        // and `maxSize` may be generous); otherwise, and beyond that, grow as output appears, so
        // garbage never makes us allocate more than twice what it actually decodes to.
        if declared < unknownContentSize - 1, declared <= 1 << 26, let whole = decompressDeclared(input, size: Int(declared)) {
            return whole
        }
        let initialCapacity = declared < unknownContentSize - 1
            ? Int(min(declared, 1 << 26)) : min(maxSize, max(input.count * 4, 1 << 16))
        let decoder = try ZstdDecompressor(maxSize: maxSize)
        let output = try decoder.decompressWhole(input, initialCapacity: initialCapacity)
        return output
    }

    /// The common case, frames Basin wrote: one frame whose header gives its size, decoded in
    /// one call with a pooled context into a buffer of exactly that size. Nil when that does
    /// not succeed (more frames, a wrong size, damage): the streaming path then decodes it
    /// again and names the failure precisely.
    static func decompressDeclared(_ input: UnsafeRawBufferPointer, size: Int) -> [UInt8]? {
        guard let context = decompressionContexts.take() else { return nil }
        defer { decompressionContexts.giveBack(context) }
        var result = 0
        let output = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            // SAFETY: `buffer` has room for `size` bytes, which is what we tell zstd; it writes
            // at most that and returns how many, which alone we mark initialized. `input` is
            // valid for `input.count` bytes; `context` is this call's alone until `giveBack`.
            result = ZSTD_decompressDCtx(context.pointer, buffer.baseAddress, size, input.baseAddress, input.count)
            initialized = ZSTD_isError(result) == 0 ? result : 0
        }
        guard ZSTD_isError(result) == 0, output.count == size else { return nil }
        return output
    }

    /// Decompresses one or more concatenated zstd frames, refusing to produce more than `maxSize`.
    /// - Parameters:
    ///   - input: Untrusted bytes: whole frames and nothing else.
    ///   - maxSize: The most bytes the result may hold.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``CodecError`` as the `UnsafeRawBufferPointer` overload does.
    public static func decompress(_ input: [UInt8], maxSize: Int) throws(CodecError) -> [UInt8] {
        try input.withUnsafeBytes { bytes in Result { () throws(CodecError) in try decompress(bytes, maxSize: maxSize) } }.get()
    }

    /// `ZSTD_CONTENTSIZE_UNKNOWN`; `ZSTD_CONTENTSIZE_ERROR` is one less. (C macros Swift cannot import.)
    static let unknownContentSize = UInt64.max

    /// Maps a libzstd error result to the codec's error.
    /// - Parameters:
    ///   - result: A `size_t` for which `ZSTD_isError` is true.
    ///   - offset: Input bytes consumed when it happened.
    ///   - frameStart: Where the frame being decoded began (where a bad magic number is).
    static func codecError(_ result: Int, offset: Int, frameStart: Int = 0) -> CodecError {
        let name = String(cString: ZSTD_getErrorName(result))
        switch ZSTD_getErrorCode(result) {
        case ZSTD_error_prefix_unknown: return .badMagic(offset: frameStart)
        case ZSTD_error_checksum_wrong: return .checksumMismatch(offset: offset)
        case ZSTD_error_srcSize_wrong: return .truncated(offset: offset, needed: 1)
        case ZSTD_error_frameParameter_windowTooLarge: return .lengthOverflow(offset: frameStart, value: UInt64(offset))
        default: return .invalidValue(offset: offset, field: "zstd frame (\(name))")
        }
    }
}
