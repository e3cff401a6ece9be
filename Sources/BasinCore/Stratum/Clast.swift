/// The grain standing for a value larger than one chunk: its chunks' keys and lengths, in
/// order (docs/FORMAT.md, "Clast"). Stored in the meta lane under the whole value's key.
public struct Clast: Equatable, Sendable {
    public struct Chunk: Equatable, Sendable {
        public let key: Key
        public let length: Int

        public init(key: Key, length: Int) {
            self.key = key
            self.length = length
        }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) {
        self.chunks = chunks
    }

    /// The whole value's length.
    public var totalLength: Int { chunks.reduce(0) { $0 + $1.length } }

    /// varint chunk count, then per chunk: 32-byte key, varint length.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 4 + chunks.count * 36)
        writer.writeVarint(UInt64(chunks.count))
        for chunk in chunks {
            writer.write(bytes: chunk.key.bytes)
            writer.writeVarint(UInt64(chunk.length))
        }
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> Clast {
        var reader = ByteReader(bytes)
        let count = try reader.readLength(limit: bytes.count / 33)
        var chunks: [Chunk] = []
        chunks.reserveCapacity(count)
        for _ in 0..<count {
            let key = Key(bytes: try reader.readBytes(32))!
            let length = try reader.readLength(limit: GrainFrameHeader.maxFrameLength)
            chunks.append(Chunk(key: key, length: length))
        }
        try reader.expectEnd()
        return Clast(chunks: chunks)
    }
}
