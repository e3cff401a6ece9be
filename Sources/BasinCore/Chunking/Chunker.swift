/// Pull-style FastCDC: cuts whatever a `read` function yields into chunks, one call at a time.
///
/// `read` has the shape of POSIX `read(2)`, so a file descriptor plugs in directly:
///
/// ```swift
/// var chunker = Chunker(parameters: .default)
/// while let chunk = try chunker.next(read: { buffer in
///     let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
///     guard count >= 0 else { throw Errno(rawValue: errno) }
///     return count
/// }) {
///     store(chunk)
/// }
/// ```
///
/// Memory stays below `maxSize + readSize` whatever the input's length.
public struct Chunker: Sendable {
    var stream: ChunkStream
    /// The most bytes asked of `read` in one call.
    public let readSize: Int
    private var inputEnded = false

    /// Makes a chunker over a fresh stream.
    /// - Parameters:
    ///   - parameters: The chunk sizes.
    ///   - readSize: The buffer size passed to `read` (at least 1; 1 MiB by default).
    public init(parameters: FastCDCParameters = .default, readSize: Int = 1 << 20) {
        precondition(readSize > 0, "Chunker.readSize must be positive")
        stream = ChunkStream(parameters: parameters)
        self.readSize = readSize
    }

    /// The next chunk of the input, reading as much as deciding it takes.
    /// - Parameter read: Fills a prefix of its buffer with the next input bytes and returns how
    ///   many (`0...buffer.count`); 0 means the input has ended. Not called again after that.
    /// - Returns: The next chunk (the last may be shorter than `minSize`), or nil once the
    ///   input is exhausted.
    /// - Throws: Whatever `read` throws; calling `next` again retries from where it stopped.
    public mutating func next<E: Error>(read: (UnsafeMutableRawBufferPointer) throws(E) -> Int) throws(E) -> [UInt8]? {
        while true {
            if let chunk = stream.nextChunk(atEnd: inputEnded) { return chunk }
            if inputEnded { return nil }
            if try stream.append(upTo: readSize, from: read) == 0 { inputEnded = true }
        }
    }
}
