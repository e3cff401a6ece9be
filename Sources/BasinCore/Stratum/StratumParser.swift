/// Decodes what a stratum holds: single grains from their frames, the index grain, and a
/// front-to-back scan for strata cut off before their footer.
public enum StratumParser {
    /// An opened grain: its frame header and plaintext (not yet checked against its key).
    public struct OpenedGrain: Sendable {
        public let header: GrainFrameHeader
        public let plain: [UInt8]
    }

    /// Verifies a frame's checksum, opens its payload and decompresses it.
    ///
    /// - Parameters:
    ///   - frame: exactly the frame's bytes.
    ///   - offset: the frame's offset in the stratum (the nonce).
    /// - Throws: `CodecError` naming the offset: checksum, authentication or length failures.
    public static func openGrain(frame: [UInt8], offset: Int, stratumID: UInt64, cipher: PayloadCipher) throws(CodecError) -> OpenedGrain {
        try openGrain(frame: frame[...], offset: offset, stratumID: stratumID, cipher: cipher)
    }

    /// ``openGrain(frame:offset:stratumID:cipher:)`` of a frame inside a larger buffer (a range
    /// read of many frames), without copying it out.
    public static func openGrain(frame: ArraySlice<UInt8>, offset: Int, stratumID: UInt64, cipher: PayloadCipher) throws(CodecError) -> OpenedGrain {
        let (header, payload) = try openPayload(frame: frame, offset: offset, stratumID: stratumID, cipher: cipher)
        let plain = try PreparedGrain.decompress(payload, flags: header.flags, plainLength: header.plainLength, offset: offset)
        return OpenedGrain(header: header, plain: plain)
    }

    /// Verifies a frame's checksum and opens its payload, leaving it compressed when it is
    /// (prune's repacking seals it again as it is, without compressing it a second time).
    /// - Throws: `CodecError` naming the offset: checksum or authentication failures.
    public static func openPayload(frame: [UInt8], offset: Int, stratumID: UInt64,
                                   cipher: PayloadCipher) throws(CodecError) -> (header: GrainFrameHeader, payload: [UInt8]) {
        try openPayload(frame: frame[...], offset: offset, stratumID: stratumID, cipher: cipher)
    }

    /// ``openPayload(frame:offset:stratumID:cipher:)`` of a frame inside a larger buffer.
    public static func openPayload(frame: ArraySlice<UInt8>, offset: Int, stratumID: UInt64,
                                   cipher: PayloadCipher) throws(CodecError) -> (header: GrainFrameHeader, payload: [UInt8]) {
        let header = try GrainFrameHeader.decode(frame: frame, offset: offset)
        let sealed = frame.dropFirst(GrainFrameHeader.size)
        let associatedData = GrainFrameHeader.associatedData(stratumID: stratumID, kind: header.kind, flags: header.flags,
                                                             key: header.key, plainLength: header.plainLength)
        return (header, try cipher.open(sealed, frameOffset: UInt64(offset), associatedData: associatedData))
    }

    /// Opens and verifies a grain, checking that its content hashes to `expected`.
    public static func readGrain(frame: [UInt8], offset: Int, stratumID: UInt64, cipher: PayloadCipher,
                                 keyFunction: KeyFunction, expected: Key) throws(CodecError) -> OpenedGrain {
        let grain = try openGrain(frame: frame, offset: offset, stratumID: stratumID, cipher: cipher)
        guard grain.header.key == expected, keyFunction.key(of: grain.plain) == expected else {
            throw .keyMismatch(offset: offset)
        }
        return grain
    }

    /// Opens the index grain found through `footer`.
    public static func readIndex(frame: [UInt8], footer: StratumFooter, cipher: PayloadCipher) throws(CodecError) -> [StratumEntry] {
        let grain = try openGrain(frame: frame, offset: Int(footer.indexOffset), stratumID: footer.stratumID, cipher: cipher)
        guard grain.header.kind == .index else { throw .invalidValue(offset: Int(footer.indexOffset) + 8, field: "index grain kind") }
        let entries = try StratumIndexGrain.decode(grain.plain, limit: footer.indexOffset)
        guard entries.count == Int(footer.grainCount) else {
            throw .lengthOverflow(offset: Int(footer.indexOffset), value: UInt64(entries.count))
        }
        return entries
    }

    /// The result of scanning a stratum front to back.
    public struct Scan: Sendable {
        public let header: StratumHeader
        /// Every whole grain frame with a valid checksum, in order, index grain excluded.
        public let entries: [StratumEntry]
        /// Bytes up to the end of the last whole frame: what survived.
        public let validLength: Int
        /// True when the scan reached a valid footer right after the index grain.
        public let complete: Bool
    }

    /// Walks the frames of a stratum, possibly cut off by a crash, up to the last whole grain.
    /// Checks frame checksums only (no keys needed); payloads are verified when read.
    public static func scan(_ bytes: [UInt8]) throws(CodecError) -> Scan {
        let header = try StratumHeader.decode(bytes)
        var entries: [StratumEntry] = []
        var offset = StratumHeader.size
        var complete = false
        while let length = GrainFrameHeader.peekLength(bytes[offset...]), length >= GrainFrameHeader.size,
              length <= bytes.count - offset {
            let frame = Array(bytes[offset..<(offset + length)])
            guard let frameHeader = try? GrainFrameHeader.decode(frame: frame, offset: offset) else { break }
            if frameHeader.kind == .index {
                let footerStart = offset + length
                if bytes.count - footerStart == StratumFooter.size,
                   (try? StratumFooter.decode(Array(bytes[footerStart...]), offset: footerStart, stratumSize: bytes.count)) != nil {
                    complete = true
                }
                break
            }
            entries.append(StratumEntry(key: frameHeader.key, kind: frameHeader.kind, flags: frameHeader.flags,
                                        offset: UInt32(offset), length: UInt32(length), plainLength: frameHeader.plainLength))
            offset += length
        }
        return Scan(header: header, entries: entries, validLength: offset, complete: complete)
    }
}
