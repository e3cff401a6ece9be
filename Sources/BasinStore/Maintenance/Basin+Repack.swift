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
        let (data, meta) = Self.writers(lanes: lanes, keyring: keyring, index: index, targetSize: config.stratumTargetSize,
                                        deduplicates: false)
        for writer in [data, meta] {
            for item in plan where item.stratum.lane == writer.lane {
                let copies: [PreparedGrain]
                do {
                    copies = try await liveGrains(of: item)
                } catch {
                    if error.code == .unavailable || error.code == .noSpace { throw error }
                    result.failed.append(item.stratum)
                    result.problems.append(error)
                    continue
                }
                for grain in copies { try await writer.insert(grain) }
                result.repacked.append(item.stratum)
            }
            try await writer.flush()
        }
        let written = await data.written + meta.written
        result.grainsWritten = written.grains
        result.strataWritten = written.strata
        result.bytesWritten = Int(written.storedBytes)
        try await index.mergeIfNeeded()
        return result
    }

    /// Reads a stratum whole (one request) and opens its live grains, ready to seal again.
    nonisolated func liveGrains(of item: PrunePlan.Repack) async throws(BasinError) -> [PreparedGrain] {
        let stratum = item.stratum
        let name = stratum.name
        let bytes = try await lanes.backend(for: stratum.lane).read(name)
        let header = try reader.decode(name) { () throws(CodecError) in try StratumHeader.decode(bytes) }
        guard header.stratumID == stratum.id else { throw BasinError(.corrupted, "stratum \(name) has the header of another stratum") }
        let cipher = try keyring.cipher(for: header)
        for entry in item.live where Int(entry.offset) + Int(entry.length) > bytes.count {
            throw BasinError(.corrupted, "grain \(entry.key) runs past the end of stratum \(name)")
        }
        // Verified on both cores: a chunk is opened, decompressed and hashed, then sealed again
        // with its compressed payload as it was (compressing twice would only cost time).
        let keyFunction = keyFunction
        let id = stratum.id
        return try await Self.concurrently(item.live, width: 2) { entry throws(BasinError) in
            let frame = bytes[Int(entry.offset)..<(Int(entry.offset) + Int(entry.length))]
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
}
