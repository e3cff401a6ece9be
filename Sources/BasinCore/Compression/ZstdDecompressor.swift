import CZstd

/// Streaming zstd decompression (a `ZSTD_DStream`) for values too large to hold compressed.
///
/// Feed compressed pieces to `decompress(_:)` and collect what each
/// returns; call ``finish()`` after the last piece to learn whether the input ended cleanly.
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
        var output: [UInt8] = []
        var produced = 0
        try run(input, into: &output, produced: &produced, growth: ZSTD_DStreamOutSize())
        output.removeLast(output.count - produced)
        return output
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

    /// Decodes a whole input in one go into a buffer that starts at `initialCapacity`.
    func decompressWhole(_ input: UnsafeRawBufferPointer, initialCapacity: Int) throws(CodecError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: min(initialCapacity, maxSize) + 1)
        var produced = 0
        try run(input, into: &output, produced: &produced, growth: 1 << 16)
        try finish()
        output.removeLast(output.count - produced)
        return output
    }

    /// Feeds all of `input`, appending output to `output[produced...]` and growing `output` as
    /// needed, up to one byte more than `maxSize` allows: producing that byte proves overflow.
    private func run(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], produced: inout Int, growth: Int) throws(CodecError) {
        if let failure { throw failure }
        let cap = maxSize == Int.max ? Int.max : maxSize - totalOut + 1
        var inPos = 0
        while true {
            let outputFull = produced == output.count
            if inPos == input.count, !outputFull { break }  // zstd flushed all it could
            if outputFull {
                output.append(contentsOf: repeatElement(0, count: min(cap - output.count, max(output.count, growth))))
            }
            let before = (inPos, produced)
            let result = output.withUnsafeMutableBytes { out in
                // SAFETY: zstd reads `input[inPos..<input.count]` and writes `out[produced..<out.count]`,
                // both live for this call; it advances the positions by what it used, never past the sizes.
                var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: inPos)
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: produced)
                defer { (inPos, produced) = (inBuffer.pos, outBuffer.pos) }
                return ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            }
            totalIn += inPos - before.0
            totalOut += produced - before.1
            if ZSTD_isError(result) != 0 {
                return try fail(Zstd.codecError(result, offset: totalIn, frameStart: frameStart))
            }
            if totalOut > maxSize {
                return try fail(.lengthOverflow(offset: totalIn, value: UInt64(totalOut)))
            }
            if result == 0 {
                isAtFrameBoundary = true
                frameStart = totalIn
            } else {
                isAtFrameBoundary = false
                inputHint = result
            }
            if (inPos, produced) == before {
                // Input exhausted and nothing left to flush: done. zstd always progresses given
                // input and room, but never spin if it somehow does not.
                if inPos == input.count { break }
                return try fail(.invalidValue(offset: totalIn, field: "zstd frame (no progress)"))
            }
        }
    }

    private func fail(_ error: CodecError) throws(CodecError) {
        failure = error
        throw error
    }
}
