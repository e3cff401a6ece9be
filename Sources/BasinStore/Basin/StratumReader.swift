import BasinBackend
import BasinCore

/// Reads strata of the `data` and `meta` lanes with as few requests as possible: a grain is
/// one ranged read once its stratum's header (for the payload key) is known; locating every
/// grain of a stratum is two ranged reads (footer, then index grain).
final class StratumReader: Sendable {
    let lanes: LaneBackends
    let keyring: Keyring

    init(lanes: LaneBackends, keyring: Keyring) {
        self.lanes = lanes
        self.keyring = keyring
    }

    var keyFunction: KeyFunction { keyring.keyFunction }

    /// The payload cipher of a stratum, reading its header on first use.
    func cipher(lane: Lane, id: UInt64) async throws(BasinError) -> PayloadCipher {
        if let cached = keyring.cachedCipher(id) { return cached }
        let bytes = try await lanes.backend(for: lane).read(StratumName.objectName(lane: lane, id: id), range: 0..<StratumHeader.size)
        return try cipher(lane: lane, id: id, headerBytes: bytes)
    }

    /// The payload cipher of a stratum, from bytes read from its start (its header first).
    func cipher(lane: Lane, id: UInt64, headerBytes: [UInt8]) throws(BasinError) -> PayloadCipher {
        let name = StratumName.objectName(lane: lane, id: id)
        let header = try decode(name) { () throws(CodecError) in try StratumHeader.decode(headerBytes) }
        guard header.stratumID == id, header.lane == lane else {
            throw BasinError(.corrupted, "stratum \(name) has the header of another stratum")
        }
        return try keyring.cipher(for: header)
    }

    /// Reads, opens and verifies one grain.
    /// - Throws: `.corrupted` naming the stratum when it fails its checks or is missing: the
    ///   index lists the grain in it, so a missing stratum is damage, not an absent key.
    func readGrain(lane: Lane, id: UInt64, offset: Int, length: Int, key: Key) async throws(BasinError) -> StratumParser.OpenedGrain {
        let name = StratumName.objectName(lane: lane, id: id)
        let frame: [UInt8]
        let cipher: PayloadCipher
        do {
            cipher = try await self.cipher(lane: lane, id: id)
            frame = try await lanes.backend(for: lane).read(name, range: offset..<(offset + length))
        } catch where error.code == .notFound {
            throw Self.missing(name, listing: key, error)
        }
        return try openGrain(frame: frame[...], lane: lane, id: id, offset: offset, cipher: cipher, key: key)
    }

    /// Opens the frame of a grain read from stratum `id` and checks its key.
    /// - Throws: `.corrupted` naming the stratum.
    func openGrain(frame: ArraySlice<UInt8>, lane: Lane, id: UInt64, offset: Int, cipher: PayloadCipher,
                   key: Key, checkContent: Bool = true) throws(BasinError) -> StratumParser.OpenedGrain {
        try decode(StratumName.objectName(lane: lane, id: id)) { () throws(CodecError) in
            try Self.open(frame: frame, offset: offset, stratumID: id, cipher: cipher, keyFunction: keyFunction, key: key,
                          checkContent: checkContent)
        }
    }

    /// A stratum that is gone while the index lists `key` in it: damage naming the stratum,
    /// not an absent key.
    static func missing(_ name: String, listing key: Key, _ error: BasinError) -> BasinError {
        BasinError(.corrupted, "stratum \(name) is missing, though the index lists grain \(key) in it", underlying: error)
    }

    /// Opens a grain and checks its key: content hash for blobs and the like; a clast's key is
    /// its whole value's, checked once the value is reassembled, as is a chunk's when the
    /// caller hashes the whole value (`checkContent` false).
    static func open(frame: ArraySlice<UInt8>, offset: Int, stratumID: UInt64, cipher: PayloadCipher, keyFunction: KeyFunction,
                     key: Key, checkContent: Bool = true) throws(CodecError) -> StratumParser.OpenedGrain {
        let grain = try StratumParser.openGrain(frame: frame, offset: offset, stratumID: stratumID, cipher: cipher)
        guard grain.header.key == key else { throw .keyMismatch(offset: offset) }
        if checkContent, grain.header.kind != .clast, keyFunction.key(of: grain.plain) != key { throw .keyMismatch(offset: offset) }
        return grain
    }

    /// The entries of a committed stratum, from its footer and index grain; a stratum without
    /// a valid footer (cut off, or damaged at its end) is scanned instead, up to its last whole grain.
    func entries(lane: Lane, id: UInt64, size: Int) async throws(BasinError) -> (entries: [StratumEntry], complete: Bool) {
        let name = StratumName.objectName(lane: lane, id: id)
        let backend = lanes.backend(for: lane)
        let footerStart = size - StratumFooter.size
        if footerStart > StratumHeader.size {
            let footerBytes = try await backend.read(name, range: footerStart..<size)
            if let footer = try? StratumFooter.decode(footerBytes, offset: footerStart, stratumSize: size), footer.stratumID == id {
                let cipher = try await cipher(lane: lane, id: id)
                let start = Int(footer.indexOffset)
                let frame = try await backend.read(name, range: start..<(start + Int(footer.indexLength)))
                if let entries = try? StratumParser.readIndex(frame: frame, footer: footer, cipher: cipher) {
                    return (entries, true)
                }
            }
        }
        let whole = try await backend.read(name)
        let scan = try decode(name) { () throws(CodecError) in try StratumParser.scan(whole) }
        guard scan.header.stratumID == id, scan.header.lane == lane else {
            throw BasinError(.corrupted, "stratum \(name) has the header of another stratum")
        }
        _ = try keyring.cipher(for: scan.header)
        return (scan.entries, scan.complete)
    }

    func decode<T>(_ name: String, _ body: () throws(CodecError) -> T) throws(BasinError) -> T {
        do {
            return try body()
        } catch {
            throw BasinError(.corrupted, "stratum \(name) is damaged: \(error)", underlying: error)
        }
    }
}
