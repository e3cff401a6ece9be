import CZstd

/// Streaming zstd compression (a `ZSTD_CStream`) for values too large to compress in one call.
///
/// Feed pieces with `compress(_:_:)` and `.continue`; end the frame
/// with `.end`, after which the next call starts a new frame. The frames it makes are ordinary
/// zstd frames: `Zstd.decompress(_:maxSize:)` and ``ZstdDecompressor`` read them.
///
/// Not safe for concurrent use: it owns one C context. `@unchecked Sendable` lets it move from
/// task to task (a pipeline stage hands it on); never use one instance from two tasks at once.
public final class ZstdCompressor: @unchecked Sendable {
    /// What to do after taking a piece of input.
    public enum Directive: Sendable {
        /// Buffer as zstd likes; output may lag the input.
        case `continue`
        /// Emit everything fed so far as complete blocks; the frame stays open.
        case flush
        /// Finish the frame (checksum-free epilogue); the next piece starts a new frame.
        case end

        var zstd: ZSTD_EndDirective {
            switch self {
            case .continue: ZSTD_e_continue
            case .flush: ZSTD_e_flush
            case .end: ZSTD_e_end
            }
        }
    }

    private let context: OpaquePointer
    /// The compression level of every frame.
    public let level: Int32

    /// Makes a compressor.
    /// - Parameter level: A zstd level; values outside zstd's range are clamped.
    /// - Throws: ``CodecError/invalidValue(offset:field:)`` if libzstd cannot make a context.
    public init(level: Int32 = Zstd.defaultLevel) throws(CodecError) {
        guard let context = ZSTD_createCCtx() else { throw .invalidValue(offset: 0, field: "zstd context (out of memory)") }
        self.context = context
        self.level = level
        let clamped = min(max(level, ZSTD_minCLevel()), ZSTD_maxCLevel())
        let result = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, clamped)
        guard ZSTD_isError(result) == 0 else {
            ZSTD_freeCCtx(context)
            throw Zstd.codecError(result, offset: 0)
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
    }

    /// Compresses the next piece of the value.
    /// - Parameters:
    ///   - input: The next bytes (may be empty, e.g. to flush or end).
    ///   - directive: Whether to flush or end the frame after this piece.
    /// - Returns: The compressed bytes this call produced (concatenate them all for the frame).
    /// - Throws: ``CodecError`` if libzstd reports an error; the frame is then abandoned.
    public func compress(_ input: UnsafeRawBufferPointer, _ directive: Directive = .continue) throws(CodecError) -> [UInt8] {
        var output: [UInt8] = []
        var inPos = 0
        // One piece is usually enough: zstd never needs more than the bound for its input.
        let step = max(ZSTD_CStreamOutSize(), ZSTD_compressBound(input.count))
        while true {
            var result = 0
            let piece = [UInt8](unsafeUninitializedCapacity: step) { buffer, initialized in
                // SAFETY: zstd reads `input[inPos..<input.count]` and writes `buffer[0..<step]`, both
                // live for this call; it advances the positions by what it used, never past the
                // sizes, and only the `outBuffer.pos` bytes it wrote are marked initialized.
                var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: inPos)
                var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: step, pos: 0)
                result = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive.zstd)
                inPos = inBuffer.pos
                initialized = ZSTD_isError(result) == 0 ? outBuffer.pos : 0
            }
            guard ZSTD_isError(result) == 0 else {
                ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
                throw Zstd.codecError(result, offset: inPos)
            }
            if output.isEmpty { output = piece } else { output += piece }
            // `.continue` is done once the input is taken; flush and end once zstd reports 0 left.
            if directive == .continue ? inPos == input.count : result == 0 { break }
        }
        return output
    }

    /// Compresses the next piece of the value.
    /// - Parameters:
    ///   - input: The next bytes.
    ///   - directive: Whether to flush or end the frame after this piece.
    /// - Returns: The compressed bytes this call produced.
    /// - Throws: ``CodecError`` if libzstd reports an error.
    public func compress(_ input: [UInt8], _ directive: Directive = .continue) throws(CodecError) -> [UInt8] {
        try input.withUnsafeBytes { bytes in Result { () throws(CodecError) in try compress(bytes, directive) } }.get()
    }

    /// Abandons the current frame, if any; the next call starts a new one.
    public func reset() {
        ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
    }
}
