/// The chunks of a stream delivered as an `AsyncSequence` of byte pieces.
///
/// Holds at most `maxSize` + one piece at a time, so memory stays flat however long the stream;
/// the base sequence is pulled only when the chunk being decided needs more bytes.
public struct AsyncChunkSequence<Base: AsyncSequence>: AsyncSequence where Base.Element == [UInt8] {
    /// A chunk: the bytes of one content-defined piece of the stream.
    public typealias Element = [UInt8]

    private let base: Base
    private let parameters: FastCDCParameters

    /// Cuts `base` into chunks.
    /// - Parameters:
    ///   - base: The stream, as pieces of any size (empty pieces are fine).
    ///   - parameters: The chunk sizes.
    public init(_ base: Base, parameters: FastCDCParameters = .default) {
        self.base = base
        self.parameters = parameters
    }

    /// Starts cutting: pulls the base sequence only as the chunks are asked for.
    /// - Returns: An iterator over the chunks.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), stream: ChunkStream(parameters: parameters))
    }

    /// Yields the chunks one by one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: Base.AsyncIterator
        private var stream: ChunkStream
        private var baseEnded = false

        init(base: Base.AsyncIterator, stream: ChunkStream) {
            self.base = base
            self.stream = stream
        }

        /// The next chunk.
        /// - Returns: The next chunk (the last may be shorter than `minSize`), or nil at the end.
        /// - Throws: Whatever the base sequence throws.
        public mutating func next() async throws -> [UInt8]? {
            while true {
                if let chunk = stream.nextChunk(atEnd: baseEnded) { return chunk }
                if baseEnded { return nil }
                if let piece = try await base.next() {
                    stream.append(piece)
                } else {
                    baseEnded = true
                }
            }
        }
    }
}

extension AsyncChunkSequence: Sendable where Base: Sendable {}

extension AsyncSequence where Element == [UInt8] {
    /// Cuts this stream of byte pieces into FastCDC chunks.
    /// - Parameter parameters: The chunk sizes.
    /// - Returns: A sequence of the chunks, in order; they concatenate to the stream.
    public func chunked(_ parameters: FastCDCParameters = .default) -> AsyncChunkSequence<Self> {
        AsyncChunkSequence(self, parameters: parameters)
    }
}
