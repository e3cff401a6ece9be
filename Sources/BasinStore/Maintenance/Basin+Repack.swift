import BasinBackend
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
        for entry in item.live where Int(entry.offset) + Int(entry.length) > bytes.count {
            throw BasinError(.corrupted, "grain \(entry.key) runs past the end of stratum \(name)")
        }
        // Verified on both cores: a chunk is opened, decompressed and hashed, then sealed again
        // with its compressed payload as it was (compressing twice would only cost time).
        let keyFunction = keyFunction
        let id = stratum.id
        return try await Self.concurrently(item.live, width: 2) { entry throws(BasinError) in
            let frame = Array(bytes[Int(entry.offset)..<(Int(entry.offset) + Int(entry.length))])
            do throws(CodecError) {
                let (header, payload) = try StratumParser.openPayload(frame: frame, offset: Int(entry.offset), stratumID: id, cipher: cipher)
                let plain = try PreparedGrain.decompress(payload, flags: header.flags, plainLength: header.plainLength, offset: Int(entry.offset))
                guard header.key == entry.key, header.kind == .clast || keyFunction.key(of: plain) == entry.key else {
                    throw .keyMismatch(offset: Int(entry.offset))
                }
                return PreparedGrain(kind: header.kind, key: entry.key, flags: header.flags, plainLength: header.plainLength, payload: payload)
            } catch {
                throw BasinError(.corrupted, "stratum \(name) is damaged: \(error)", underlying: error)
            }
        }
    }

    /// `transform` applied to every element, `width` at a time, results in order.
    static func concurrently<T: Sendable, R: Sendable>(_ items: [T], width: Int,
                                                      _ transform: @escaping @Sendable (T) throws(BasinError) -> R) async throws(BasinError) -> [R] {
        let chunk = max(1, (items.count + width - 1) / width)
        let slices = stride(from: 0, to: items.count, by: chunk).map { Array(items[$0..<min($0 + chunk, items.count)]) }
        let results: [[R]]
        do {
            results = try await withThrowingTaskGroup(of: (Int, [R]).self) { group in
                for (index, slice) in slices.enumerated() {
                    group.addTask { (index, try slice.map { item throws(BasinError) in try transform(item) }) }
                }
                var done = [[R]](repeating: [], count: slices.count)
                for try await (index, mapped) in group { done[index] = mapped }
                return done
            }
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.internalError, "repacking failed", underlying: error)
        }
        return results.flatMap { $0 }
    }

    /// A new, empty stratum of `lane` with a fresh id and salt (for puts and for repacking).
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
        try await index.addStratum(lane: lane, id: id, size: bytes.count, entries: entries)
        result.strataWritten += 1
        result.bytesWritten += bytes.count
    }
}
