import BasinBackend
import BasinCore
import Foundation

/// The basin's `config` object: a JSON document, written once at init (docs/FORMAT.md, "Config").
public struct BasinConfig: Codable, Equatable, Sendable {
    public static let objectName = "config"
    public static let currentVersion = 1

    public struct Chunker: Codable, Equatable, Sendable {
        public var minSize: Int
        public var averageSize: Int
        public var maxSize: Int
    }

    public struct Compression: Codable, Equatable, Sendable {
        /// "zstd" or "none".
        public var algorithm: String
        public var level: Int32
    }

    /// Where a lane's strata live when not in the basin itself (docs/FORMAT.md §2).
    public struct LaneLocation: Codable, Equatable, Sendable {
        /// An absolute local path, or an S3 location (`s3:http://host/bucket/prefix`).
        public var location: String
        /// The S3 storage class of the lane's objects (`STANDARD_IA`, `GLACIER`, …); nil for
        /// the bucket's default. Absent from the JSON when nil, so older configs read alike.
        public var storageClass: String?

        public init(location: String, storageClass: String? = nil) {
            self.location = location
            self.storageClass = storageClass
        }
    }

    public var version: Int
    /// 64 hex digits, random: tells basins apart.
    public var id: String
    /// `PayloadAlgorithm.name`: "none", "chacha20-poly1305" or "aes-256-gcm".
    public var encryption: String
    public var compression: Compression
    public var chunker: Chunker
    public var stratumTargetSize: Int
    /// Lanes placed elsewhere, by lane folder name ("data").
    public var lanes: [String: LaneLocation]

    public init(id: String, encryption: PayloadAlgorithm, compressionLevel: Int32?, chunker: FastCDCParameters,
                stratumTargetSize: Int, lanes: [String: LaneLocation]) {
        version = Self.currentVersion
        self.id = id
        self.encryption = encryption.name
        compression = Compression(algorithm: compressionLevel == nil ? "none" : "zstd", level: compressionLevel ?? 0)
        self.chunker = Chunker(minSize: chunker.minSize, averageSize: chunker.averageSize, maxSize: chunker.maxSize)
        self.stratumTargetSize = stratumTargetSize
        self.lanes = lanes
    }

    public var payloadAlgorithm: PayloadAlgorithm? { PayloadAlgorithm(name: encryption) }
    public var compressionLevel: Int32? { compression.algorithm == "zstd" ? compression.level : nil }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// - Throws: `.corrupted` when the JSON does not decode, `.incompatibleVersion` for a newer format.
    public static func decode(_ bytes: [UInt8], location: String) throws(BasinError) -> BasinConfig {
        let config: BasinConfig
        do {
            config = try JSONDecoder().decode(BasinConfig.self, from: Data(bytes))
        } catch {
            throw BasinError(.corrupted, "the config of the basin at \(location) is not readable", underlying: error)
        }
        guard config.version == currentVersion else {
            throw BasinError(.incompatibleVersion, "the basin at \(location) has format version \(config.version); this basin reads version \(currentVersion)")
        }
        guard config.payloadAlgorithm != nil else {
            throw BasinError(.incompatibleVersion, "the basin at \(location) uses unknown encryption '\(config.encryption)'")
        }
        guard config.compression.algorithm == "zstd" || config.compression.algorithm == "none" else {
            throw BasinError(.incompatibleVersion, "the basin at \(location) uses unknown compression '\(config.compression.algorithm)'")
        }
        do {
            _ = try FastCDCParameters(minSize: config.chunker.minSize, averageSize: config.chunker.averageSize, maxSize: config.chunker.maxSize)
        } catch {
            throw BasinError(.corrupted, "the config of the basin at \(location) has invalid chunker sizes", underlying: error)
        }
        guard config.stratumTargetSize >= 4096, config.stratumTargetSize <= 1 << 31 else {
            throw BasinError(.corrupted, "the config of the basin at \(location) has an invalid stratum target size \(config.stratumTargetSize)")
        }
        return config
    }

    public var fastCDCParameters: FastCDCParameters {
        // Validated by decode() and by init's callers.
        try! FastCDCParameters(minSize: chunker.minSize, averageSize: chunker.averageSize, maxSize: chunker.maxSize)
    }
}
