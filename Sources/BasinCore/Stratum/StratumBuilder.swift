/// Builds one stratum in memory, grain by grain: header, sealed grain frames, then on
/// `finish` the index grain and the footer (docs/FORMAT.md, "Stratum").
///
/// Memory is bounded by the stratum's target size, which the lane writer enforces.
public struct StratumBuilder: Sendable {
    public let header: StratumHeader
    public let cipher: PayloadCipher
    public private(set) var bytes: [UInt8]
    public private(set) var entries: [StratumEntry] = []

    public init(header: StratumHeader, cipher: PayloadCipher, capacity: Int = 0) {
        self.header = header
        self.cipher = cipher
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: header.encoded())
    }

    public var stratumID: UInt64 { header.stratumID }
    /// Bytes so far, before the index grain and footer.
    public var byteCount: Int { bytes.count }
    public var grainCount: Int { entries.count }

    /// The size `finish()` would produce after appending `grain` too, roughly: for deciding
    /// whether a grain still fits under the target size.
    public func projectedSize(adding payloadLength: Int) -> Int {
        bytes.count + GrainFrameHeader.size + payloadLength + cipher.algorithm.tagLength
            + GrainFrameHeader.size + 4 + (entries.count + 1) * StratumEntry.encodedSize + 16 + StratumFooter.size
    }

    /// Seals `grain` and appends its frame.
    /// - Returns: where the grain lies in this stratum.
    @discardableResult
    public mutating func append(_ grain: PreparedGrain) throws -> StratumEntry {
        let offset = bytes.count
        let length = try appendFrame(kind: grain.kind, key: grain.key, flags: grain.flags,
                                     plainLength: grain.plainLength, payload: grain.payload)
        let entry = StratumEntry(key: grain.key, kind: grain.kind, flags: grain.flags, offset: UInt32(offset),
                                 length: UInt32(length), plainLength: grain.plainLength)
        entries.append(entry)
        return entry
    }

    /// Appends the index grain and the footer.
    /// - Returns: the complete stratum.
    public consuming func finish() throws -> [UInt8] {
        let indexOffset = bytes.count
        let plain = StratumIndexGrain.encode(entries)
        let indexLength = try appendFrame(kind: .index, key: Self.indexGrainKey, flags: 0,
                                          plainLength: UInt32(plain.count), payload: plain)
        let footer = StratumFooter(indexOffset: UInt64(indexOffset), indexLength: UInt32(indexLength),
                                   grainCount: UInt32(entries.count), stratumID: header.stratumID)
        bytes.append(contentsOf: footer.encoded())
        return bytes
    }

    /// The index grain's key field: all zeros (it is found through the footer, never by key).
    public static let indexGrainKey = Key(w0: 0, w1: 0, w2: 0, w3: 0)

    private mutating func appendFrame(kind: GrainKind, key: Key, flags: UInt8, plainLength: UInt32, payload: [UInt8]) throws -> Int {
        let offset = bytes.count
        let associatedData = GrainFrameHeader.associatedData(stratumID: header.stratumID, kind: kind, flags: flags,
                                                             key: key, plainLength: plainLength)
        let sealed = try cipher.seal(payload, frameOffset: UInt64(offset), associatedData: associatedData)
        let length = GrainFrameHeader.size + sealed.count
        guard length <= GrainFrameHeader.maxFrameLength, offset + length <= Int(UInt32.max) else {
            throw CodecError.lengthOverflow(offset: offset, value: UInt64(length))
        }
        let frameHeader = GrainFrameHeader(length: UInt32(length), kind: kind, flags: flags, key: key, plainLength: plainLength)
        bytes.append(contentsOf: [0, 0, 0, 0])
        bytes.append(contentsOf: frameHeader.encodedAfterChecksum())
        bytes.append(contentsOf: sealed)
        let checksum = XXH32.hash(bytes[(offset + 4)...])
        var writer = ByteWriter()
        writer.write(checksum)
        bytes.replaceSubrange(offset..<(offset + 4), with: writer.bytes)
        return length
    }
}
