import BasinBackend
import BasinCore

/// What `basin cat stratum ID` shows.
public struct StratumDescription: Codable, Sendable {
    public struct Grain: Codable, Sendable {
        public let key: String
        public let kind: String
        public let offset: UInt32
        public let length: UInt32
        public let plainLength: UInt32
        public let compressed: Bool
    }

    public let name: String
    public let lane: String
    public let id: String
    public let size: Int
    public let formatVersion: UInt16
    public let encryption: String
    /// False when the footer or index grain is damaged and the grains were found by scanning.
    public let complete: Bool
    public let grains: [Grain]
}

extension Basin {
    /// Describes the stratum with id `id` (16 hex digits) from its header and index grain.
    /// - Throws: `.notFound` when no lane holds it, `.corrupted` when its header is damaged.
    public nonisolated func describeStratum(_ id: UInt64) async throws(BasinError) -> StratumDescription {
        guard let stratum = try await listStrata().first(where: { $0.id == id }) else {
            throw BasinError(.notFound, "no stratum \(Hex.encode(id)) in the basin")
        }
        let name = StratumName.objectName(lane: stratum.lane, id: id)
        let headerBytes = try await lanes.backend(for: stratum.lane).read(name, range: 0..<min(StratumHeader.size, stratum.size))
        let header = try reader.decode(name) { () throws(CodecError) in try StratumHeader.decode(headerBytes) }
        let found = try await reader.entries(lane: stratum.lane, id: id, size: stratum.size)
        let grains = found.entries.map {
            StratumDescription.Grain(key: $0.key.hex, kind: $0.kind.description, offset: $0.offset, length: $0.length,
                                     plainLength: $0.plainLength, compressed: $0.flags & GrainFrameHeader.compressedFlag != 0)
        }
        return StratumDescription(name: name, lane: stratum.lane.folder, id: Hex.encode(id), size: stratum.size,
                                  formatVersion: header.version, encryption: header.algorithm.name, complete: found.complete,
                                  grains: grains)
    }

    /// The kind and plaintext of the grain stored under `key` (a clast's chunk list, not its value).
    public nonisolated func grain(_ key: Key) async throws(BasinError) -> (kind: GrainKind, plain: [UInt8]) {
        let grain = try await readGrain(key)
        return (grain.header.kind, grain.plain)
    }
}
