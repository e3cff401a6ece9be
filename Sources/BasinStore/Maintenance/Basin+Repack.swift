import BasinCore

/// What repacking wrote.
public struct RepackResult: Sendable {
    /// The strata whose live grains were all copied: these may be condemned.
    public var repacked: [StratumInventory.Stratum] = []
    /// Strata left alone because a live grain in them could not be read (named in `problems`).
    public var failed: [StratumInventory.Stratum] = []
    public var problems: [BasinError] = []
    public var grainsWritten = 0
    public var strataWritten = 0
    public var bytesWritten = 0
}

extension Basin {
    /// Writes the given live grains again, into new strata, even though their keys are
    /// indexed: prune's compaction. Each grain is read and verified (key, AEAD tag), then
    /// sealed afresh; every new stratum is durable and indexed (its segment is the newest, so
    /// lookups find the new copy) before this returns, and only then may the old strata be
    /// condemned. Data strata are written before meta strata.
    /// - Parameter plan: the strata to repack and the grains of each to keep.
    /// - Returns: which strata were repacked whole and what was written.
    /// - Throws: the backend's errors; a grain that fails its checks is not thrown but makes
    ///   its stratum `failed` (never condemned).
    public nonisolated func repack(_ plan: [PrunePlan.Repack]) async throws(BasinError) -> RepackResult {
        var result = RepackResult()
        for lane in [Lane.data, .meta] {
            var builder: StratumBuilder?
            for item in plan where item.stratum.lane == lane {
                let copies: [PreparedGrain]
                do {
                    copies = try await liveGrains(of: item)
                } catch {
                    if error.code == .unavailable || error.code == .noSpace { throw error }
                    result.failed.append(item.stratum)
                    result.problems.append(error)
                    continue
                }
                for grain in copies {
                    if let current = builder, current.grainCount > 0,
                       current.projectedSize(adding: grain.payload.count) > config.stratumTargetSize {
                        try await commitRepacked(current, into: &result)
                        builder = nil
                    }
                    if builder == nil { builder = try makeBuilder(lane) }
                    do {
                        _ = try builder!.append(grain)
                    } catch {
                        throw BasinError(.internalError, "could not seal grain \(grain.key) again", underlying: error)
                    }
                    result.grainsWritten += 1
                }
                result.repacked.append(item.stratum)
            }
            if let builder, builder.grainCount > 0 { try await commitRepacked(builder, into: &result) }
        }
        try await index.mergeIfNeeded()
        return result
    }

    /// Reads a stratum whole (one request) and opens its live grains, ready to seal again.
    nonisolated func liveGrains(of item: PrunePlan.Repack) async throws(BasinError) -> [PreparedGrain] {
        let stratum = item.stratum
        let name = stratum.name
        let bytes = try await reader.backend(for: stratum.lane).read(name)
        let header = try reader.decode(name) { () throws(CodecError) in try StratumHeader.decode(bytes) }
        guard header.stratumID == stratum.id else { throw BasinError(.corrupted, "stratum \(name) has the header of another stratum") }
        let cipher = try reader.cipher(for: header)
        var grains: [PreparedGrain] = []
        for entry in item.live {
            let end = Int(entry.offset) + Int(entry.length)
            guard end <= bytes.count else { throw BasinError(.corrupted, "grain \(entry.key) runs past the end of stratum \(name)") }
            let frame = Array(bytes[Int(entry.offset)..<end])
            let opened = try reader.decode(name) { () throws(CodecError) in
                try StratumReader.open(frame: frame, offset: Int(entry.offset), stratumID: stratum.id, cipher: cipher,
                                       keyFunction: keyFunction, key: entry.key)
            }
            do {
                grains.append(try PreparedGrain.prepare(kind: opened.header.kind, key: entry.key, plain: opened.plain,
                                                        compressionLevel: compressionLevel))
            } catch {
                throw BasinError(.internalError, "could not prepare grain \(entry.key) of \(name)", underlying: error)
            }
        }
        return grains
    }

    nonisolated func makeBuilder(_ lane: Lane) throws(BasinError) -> StratumBuilder {
        let header = StratumHeader(lane: lane, algorithm: reader.algorithm, stratumID: UInt64.random(in: 1...UInt64.max),
                                   salt: SecureRandom.bytes(32))
        return StratumBuilder(header: header, cipher: try reader.cipher(for: header),
                              capacity: min(config.stratumTargetSize + (1 << 20), 64 << 20))
    }

    /// Writes a repacked stratum durably, then indexes it.
    nonisolated func commitRepacked(_ builder: StratumBuilder, into result: inout RepackResult) async throws(BasinError) {
        let lane = builder.header.lane
        let id = builder.stratumID
        let entries = builder.entries
        let bytes: [UInt8]
        do {
            bytes = try builder.finish()
        } catch {
            throw BasinError(.internalError, "could not finish stratum \(StratumName.objectName(lane: lane, id: id))", underlying: error)
        }
        try await reader.backend(for: lane).write(StratumName.objectName(lane: lane, id: id), bytes: bytes)
        try await index.addSegment(entries: entries.map { IndexEntry(stratum: id, $0) }, strata: [id])
        result.strataWritten += 1
        result.bytesWritten += bytes.count
    }
}
