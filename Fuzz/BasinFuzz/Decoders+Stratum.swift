import BasinCore

/// Grain frames, strata (header, frames, footer, index grain) and the index grain's plaintext.
extension FuzzDecoder {
    /// Mode byte, then one frame, opened at offset 64 of stratum `Fixture.stratumID`.
    static let grain = FuzzDecoder(name: "grain", maxLength: 16 << 10, run: { input in
        guard let (mode, bytes) = Mode.split(input) else { return false }
        let cipher = Fixture.cipher(mode.algorithm)
        var frame = bytes
        if mode.repairs { Repair.grainFrame(&frame, cipher: cipher, sealPayload: mode.sealsPayload) }
        guard let header = try? GrainFrameHeader.decode(frame: frame, offset: Fixture.frameOffset) else { return false }
        check(Int(header.length) == frame.count, "grain frame length \(header.length) for \(frame.count) bytes")
        guard let opened = try? StratumParser.openPayload(frame: frame, offset: Fixture.frameOffset,
                                                          stratumID: Fixture.stratumID, cipher: cipher) else { return false }
        let plain = try? PreparedGrain.decompress(opened.payload, flags: header.flags, plainLength: header.plainLength,
                                                  offset: Fixture.frameOffset)
        if let plain { check(plain.count == Int(header.plainLength), "grain plain length differs from its header") }
        let grain = try? StratumParser.openGrain(frame: frame, offset: Fixture.frameOffset, stratumID: Fixture.stratumID, cipher: cipher)
        check(grain?.plain == plain, "openGrain disagrees with openPayload and decompress")
        // Sealing the opened payload again must give back the very frame.
        var builder = StratumBuilder(header: StratumHeader(lane: .data, algorithm: mode.algorithm, stratumID: Fixture.stratumID,
                                                           salt: Fixture.salt), cipher: cipher)
        let appended = try? builder.append(PreparedGrain(kind: header.kind, key: header.key, flags: header.flags,
                                                         plainLength: header.plainLength, payload: opened.payload))
        check(appended != nil && Array(builder.bytes[Fixture.frameOffset...]) == frame, "grain frame does not re-encode to itself")
        return true
    }, seeds: Seeds.grainFrames)

    /// Mode byte (repairs only: the cipher is the stratum header's), then a whole stratum.
    static let stratum = FuzzDecoder(name: "stratum", maxLength: 32 << 10, run: { input in
        guard let (mode, original) = Mode.split(input) else { return false }
        var bytes = original
        if mode.repairs { Repair.stratum(&bytes) }
        guard let scan = try? StratumParser.scan(bytes) else { return false }
        check((try? StratumHeader.decode(scan.header.encoded())) == scan.header, "stratum header does not re-encode")
        var end = StratumHeader.size
        for entry in scan.entries {
            check(Int(entry.offset) == end && entry.frameEnd <= UInt64(bytes.count), "scanned frames are not contiguous")
            end = Int(entry.frameEnd)
        }
        check(end == scan.validLength, "scan's valid length is not the end of its last frame")
        let cipher = Fixture.cipher(scan.header.algorithm, salt: scan.header.salt)
        open(scan.entries, in: bytes, stratumID: scan.header.stratumID, cipher: cipher)
        guard bytes.count >= StratumHeader.size + StratumFooter.size else { return !scan.complete }
        let footerStart = bytes.count - StratumFooter.size
        guard let footer = try? StratumFooter.decode(Array(bytes[footerStart...]), offset: footerStart, stratumSize: bytes.count)
        else { return !scan.complete }
        check((try? StratumFooter.decode(footer.encoded(), offset: footerStart, stratumSize: bytes.count)) == footer,
              "stratum footer does not re-encode")
        let indexFrame = Array(bytes[Int(footer.indexOffset)..<footerStart])
        guard let entries = try? StratumParser.readIndex(frame: indexFrame, footer: footer, cipher: cipher) else { return !scan.complete }
        for entry in entries {
            check(entry.offset >= UInt32(StratumHeader.size) && entry.frameEnd <= footer.indexOffset, "index entry outside the stratum")
        }
        open(entries, in: bytes, stratumID: footer.stratumID, cipher: cipher)
        return true
    }, seeds: Seeds.strata)

    /// Opens the first few grains `entries` point at, as a reader would.
    private static func open(_ entries: [StratumEntry], in bytes: [UInt8], stratumID: UInt64, cipher: PayloadCipher) {
        for entry in entries.prefix(8) where entry.frameEnd <= UInt64(bytes.count) {
            let frame = Array(bytes[Int(entry.offset)..<Int(entry.frameEnd)])
            _ = try? StratumParser.openGrain(frame: frame, offset: Int(entry.offset), stratumID: stratumID, cipher: cipher)
        }
    }

    /// 8 bytes of limit (u64, little-endian), then an index grain's plaintext.
    static let indexGrain = FuzzDecoder(name: "index-grain", maxLength: 4 << 10, run: { input in
        guard input.count >= 8 else { return false }
        let limit = input.loadUInt64(at: 0)
        let plain = Array(input[8...])
        guard let entries = try? StratumIndexGrain.decode(plain, limit: limit) else { return false }
        for entry in entries {
            check(entry.kind != .index && entry.offset >= UInt32(StratumHeader.size) && entry.length >= UInt32(GrainFrameHeader.size)
                  && entry.frameEnd <= limit, "index grain entry out of bounds")
        }
        check(StratumIndexGrain.encode(entries) == plain, "index grain does not re-encode to itself")
        return true
    }, seeds: Seeds.indexGrains)
}

/// Rewrites the checksums (and lengths, and seals) a mutation broke, so that inputs reach the
/// decoding behind them.
enum Repair {
    static func grainFrame(_ frame: inout [UInt8], cipher: PayloadCipher, sealPayload: Bool) {
        guard frame.count >= GrainFrameHeader.size else { return }
        if sealPayload, let kind = GrainKind(rawValue: frame[8]) {
            let associatedData = GrainFrameHeader.associatedData(
                stratumID: Fixture.stratumID, kind: kind, flags: frame[9], key: Key(bytes: frame[10..<42])!,
                plainLength: frame.loadUInt32(at: 42))
            let sealed = try! cipher.seal(Array(frame[GrainFrameHeader.size...]), frameOffset: UInt64(Fixture.frameOffset),
                                          associatedData: associatedData)
            frame = Array(frame[..<GrainFrameHeader.size]) + sealed
        }
        frame.storeUInt32(UInt32(frame.count), at: 4)
        frame.storeUInt32(XXH32.hash(frame[4...]), at: 0)
    }

    /// Header checksum, the checksum of every frame a scan walks, and the footer checksum.
    static func stratum(_ bytes: inout [UInt8]) {
        guard bytes.count >= StratumHeader.size else { return }
        bytes.storeUInt32(XXH32.hash(bytes[0..<56]), at: 56)
        var offset = StratumHeader.size
        while offset + 8 <= bytes.count {
            let length = Int(bytes.loadUInt32(at: offset + 4))
            guard length >= GrainFrameHeader.size, length <= bytes.count - offset else { break }
            bytes.storeUInt32(XXH32.hash(bytes[(offset + 4)..<(offset + length)]), at: offset)
            offset += length
        }
        guard bytes.count >= StratumHeader.size + StratumFooter.size else { return }
        let footerStart = bytes.count - StratumFooter.size
        bytes.storeUInt32(XXH32.hash(bytes[footerStart..<(footerStart + 24)]), at: footerStart + 24)
    }
}
