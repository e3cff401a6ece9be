/// Push-style FastCDC over a byte stream: append pieces, take chunks out as they are decided.
///
/// The building block of ``Chunker`` (pull from a `read` function) and ``AsyncChunkSequence``
/// (pull from an `AsyncSequence` of pieces). It cuts exactly as `FastCDC.cut(_:)`
/// would on the whole stream, whatever the piece sizes, and never rehashes a byte: a scan that
/// runs out of bytes resumes where it stopped.
///
/// Memory: it holds the bytes of the chunk being decided (fewer than `maxSize`) plus what was
/// appended since; drain it with ``nextChunk(atEnd:)`` after every append and it never holds
/// more than `maxSize` + one piece.
///
/// ```swift
/// var stream = ChunkStream(parameters: .default)
/// for piece in pieces {
///     stream.append(piece)
///     while let chunk = stream.nextChunk() { store(chunk) }
/// }
/// while let chunk = stream.nextChunk(atEnd: true) { store(chunk) }
/// ```
public struct ChunkStream: Sendable {
    /// The chunker that decides the cut points.
    public let chunker: FastCDC
    /// Bytes appended and not yet returned live in `storage[start..<end]`; the rest is free.
    private var storage: [UInt8] = []
    private var start = 0
    private var end = 0
    /// The scan of the chunk starting at `start`, resumed when more bytes arrive.
    private var scanState: FastCDC.ScanState

    /// Starts an empty stream.
    /// - Parameter parameters: The chunk sizes.
    public init(parameters: FastCDCParameters = .default) {
        chunker = FastCDC(parameters: parameters)
        scanState = FastCDC.ScanState(parameters)
    }

    /// Bytes appended and not yet returned in a chunk.
    public var bufferedByteCount: Int { end - start }

    /// The size of the buffer, free space included.
    var storageCount: Int { storage.count }

    /// Appends the next bytes of the stream.
    /// - Parameter bytes: The next piece (may be empty).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        reserveFreeSpace(bytes.count)
        storage.withUnsafeMutableBytes { buffer in
            // SAFETY: `reserveFreeSpace` made `storage[end ..< end + bytes.count]` exist, and
            // `bytes` is another allocation (the caller's), so the copy cannot overlap.
            UnsafeMutableRawBufferPointer(rebasing: buffer[end..<(end + bytes.count)]).copyMemory(from: bytes)
        }
        end += bytes.count
    }

    /// Appends the next bytes of the stream.
    /// - Parameter bytes: The next piece (may be empty).
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends bytes that `read` writes straight into the stream's buffer (no extra copy).
    ///
    /// `read` has the shape of POSIX `read(2)`: it fills a prefix of the buffer it is given and
    /// returns how many bytes it wrote, 0 meaning the end of the input.
    /// - Parameters:
    ///   - maxCount: The size of the buffer passed to `read` (at least 1).
    ///   - read: Fills a prefix of its buffer; must return a count in `0...buffer.count`.
    /// - Returns: What `read` returned.
    /// - Throws: Whatever `read` throws; the stream is then unchanged.
    public mutating func append<E: Error>(
        upTo maxCount: Int, from read: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) -> Int {
        precondition(maxCount > 0, "ChunkStream.append(upTo:from:) needs room for at least one byte")
        reserveFreeSpace(maxCount)
        let count = try storage.withUnsafeMutableBytes { buffer in
            // SAFETY: `reserveFreeSpace` made `storage[end ..< end + maxCount]` exist; `read`
            // only sees that region and only for the duration of this call.
            Result { () throws(E) -> Int in try read(UnsafeMutableRawBufferPointer(rebasing: buffer[end..<(end + maxCount)])) }
        }.get()
        precondition((0...maxCount).contains(count), "read returned \(count) for a buffer of \(maxCount) bytes")
        end += count
        return count
    }

    /// Takes the next chunk out of the stream if the bytes appended so far decide it.
    /// - Parameter atEnd: Pass true once every byte of the stream is appended: the remaining
    ///   bytes are then cut to the end, the last chunk possibly shorter than `minSize`.
    /// - Returns: The next chunk, or nil when more input is needed (or, at the end, when no
    ///   bytes remain).
    /// - Complexity: O(bytes newly scanned + length of the chunk returned).
    public mutating func nextChunk(atEnd: Bool = false) -> [UInt8]? {
        let pending = end - start
        guard pending > 0 else { return nil }
        let parameters = chunker.parameters
        let limit = min(pending, parameters.maxSize)
        var length: Int? = nil
        if limit > parameters.minSize {
            length = storage.withUnsafeBytes { buffer in
                chunker.scan(UnsafeRawBufferPointer(rebasing: buffer[start..<end]), limit: limit, state: &scanState)
            }
        }
        if length == nil, pending >= parameters.maxSize || atEnd {
            length = limit
        }
        guard let length else { return nil }
        let chunk = Array(storage[start..<(start + length)])
        start += length
        scanState = FastCDC.ScanState(parameters)
        if start == end { (start, end) = (0, 0) }
        return chunk
    }

    /// Makes `storage[end ..< end + count]` exist, first sliding the pending bytes to the front
    /// when the free tail is too short, so the buffer stays near `maxSize` + one piece.
    private mutating func reserveFreeSpace(_ count: Int) {
        if storage.count - end >= count { return }
        if start > 0 {
            let pending = end - start
            storage.withUnsafeMutableBytes { buffer in
                // SAFETY: both ranges lie within `buffer` (`start + pending == end <= count`);
                // `copyMemory` is a memmove, so the overlap is fine.
                buffer.baseAddress.unsafelyUnwrapped.copyMemory(from: buffer.baseAddress.unsafelyUnwrapped + start, byteCount: pending)
            }
            (start, end) = (0, pending)
        }
        if storage.count - end < count {
            storage.append(contentsOf: repeatElement(0, count: end + count - storage.count))
        }
    }
}
