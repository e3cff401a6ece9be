import CZstd

/// Streaming zstd decompression (a `ZSTD_DStream`) for values read piece by piece.
///
/// Feed compressed pieces to `decompress(_:)` and collect what each returns; call
/// ``finish()`` after the last piece to learn whether the input ended cleanly.
/// The total output is bounded by `maxSize`. After any error the decompressor stays failed.
///
/// Not safe for concurrent use: it owns one C context. `@unchecked Sendable` lets it move from
/// task to task (a pipeline stage hands it on); never use one instance from two tasks at once.
public final class ZstdDecompressor: @unchecked Sendable {
    private let context: OpaquePointer
    /// The most bytes this decompressor will produce in total.
    public let maxSize: Int
    /// Bytes produced so far.
    public private(set) var totalOut = 0
    /// Compressed bytes consumed so far (the offset reported in errors).
    public private(set) var totalIn = 0
    /// Where the current frame began in the input.
    private var frameStart = 0
    /// True between frames: nothing started and unfinished.
    public private(set) var isAtFrameBoundary = true
    private var failure: CodecError?
    /// zstd's hint of how many more input bytes the unfinished frame needs.
    private var inputHint = 1

    /// Makes a decompressor.
    /// - Parameter maxSize: The most bytes it may produce over all pieces.
    /// - Throws: ``CodecError/invalidValue(offset:field:)`` if libzstd cannot make a context.
    public init(maxSize: Int) throws(CodecError) {
        precondition(maxSize >= 0, "ZstdDecompressor: maxSize must not be negative")
        guard let context = ZSTD_createDCtx() else { throw .invalidValue(offset: 0, field: "zstd context (out of memory)") }
        self.context = context
        self.maxSize = maxSize
    }

    deinit {
        ZSTD_freeDCtx(context)
    }

    /// Decompresses the next piece of compressed input.
    /// - Parameter input: The next compressed bytes (any split of the frames is fine).
    /// - Returns: Every byte this piece let the decoder produce (possibly none).
    /// - Throws: ``CodecError`` as `Zstd.decompress(_:maxSize:)` does, except that running out
    ///   of input is not an error until ``finish()``.
    public func decompress(_ input: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        try run(input, firstStep: ZSTD_DStreamOutSize(), maxStep: 1 << 22)
    }

    /// Decompresses the next piece of compressed input.
    /// - Parameter input: The next compressed bytes.
    /// - Returns: Every byte this piece let the decoder produce.
    /// - Throws: ``CodecError`` (see the `UnsafeRawBufferPointer` overload).
    public func decompress(_ input: [UInt8]) throws(CodecError) -> [UInt8] {
        try input.withUnsafeBytes { bytes in Result { () throws(CodecError) in try decompress(bytes) } }.get()
    }

    /// Checks that the input ended at the end of a frame.
    /// - Throws: ``CodecError/truncated(offset:needed:)`` if a frame is unfinished (or nothing
    ///   was fed at all), or the error that failed an earlier call.
    public func finish() throws(CodecError) {
        if let failure { throw failure }
        guard isAtFrameBoundary, totalIn > 0 else { throw .truncated(offset: totalIn, needed: isAtFrameBoundary ? 4 : inputHint) }
    }

    /// Decodes a whole input in one go; with the right `initialCapacity` (the declared size),
    /// the output is produced in one piece and never copied.
    func decompressWhole(_ input: UnsafeRawBufferPointer, initialCapacity: Int) throws(CodecError) -> [UInt8] {
        let output = try run(input, firstStep: initialCapacity + 1, maxStep: 1 << 26)
        try finish()
        return output
    }

    /// Feeds all of `input` to zstd and returns what it produced, in pieces of growing size.
    /// A piece never exceeds one byte more than `maxSize` still allows: filling that byte
    /// proves overflow.
    private func run(_ input: UnsafeRawBufferPointer, firstStep: Int, maxStep: Int) throws(CodecError) -> [UInt8] {
        if let failure { throw failure }
        var output: [UInt8] = []
        var inPos = 0
        var step = max(firstStep, 1)
        while true {
            let room = maxSize == .max ? step : min(step, maxSize - totalOut + 1)
            let before = inPos
            var result = 0
            let piece = [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
                // SAFETY: zstd reads `input[inPos..<input.count]` and writes `buffer[0..<room]`, both
                // live for this call; it advances the positions by what it used, never past the
                // sizes, and only the `outBuffer.pos` bytes it wrote are marked initialized.
                var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: inPos)
                var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: room, pos: 0)
                result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                inPos = inBuffer.pos
                initialized = ZSTD_isError(result) == 0 ? outBuffer.pos : 0
            }
            totalIn += inPos - before
            totalOut += piece.count
            if ZSTD_isError(result) != 0 {
                try fail(Zstd.codecError(result, offset: totalIn, frameStart: frameStart))
            }
            if totalOut > maxSize {
                try fail(.lengthOverflow(offset: totalIn, value: UInt64(totalOut)))
            }
            if output.isEmpty { output = piece } else { output += piece }
            if result == 0 {
                isAtFrameBoundary = true
                frameStart = totalIn
            } else {
                isAtFrameBoundary = false
                inputHint = result
            }
            if piece.count == room {
                step = min(step * 2, max(maxStep, step))  // more to flush: a bigger piece next
            } else if inPos == input.count {
                break  // zstd flushed all it could and needs more input (or the frames ended)
            } else if inPos == before, piece.isEmpty {
                // zstd always progresses given input and room; never spin if it somehow does not.
                try fail(.invalidValue(offset: totalIn, field: "zstd frame (no progress)"))
            }
        }
        return output
    }

    private func fail(_ error: CodecError) throws(CodecError) -> Never {
        failure = error
        throw error
    }
}
