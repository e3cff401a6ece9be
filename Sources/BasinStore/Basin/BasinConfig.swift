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

    public package(set) var version: Int
    /// 64 hex digits, random: tells basins apart.
    public let id: String
    /// `PayloadAlgorithm.name`: "none", "chacha20-poly1305" or "aes-256-gcm".
    public let encryption: String
    public let compression: Compression
    public let chunker: Chunker
    public let stratumTargetSize: Int
    /// Lanes placed elsewhere, by lane folder name ("data").
    public let lanes: [String: LaneLocation]
    /// `chunker` as checked parameters: a config holds only valid sizes, so reading them cannot fail.
    public let fastCDCParameters: FastCDCParameters

    /// The JSON's fields (docs/FORMAT.md, "Config"); `fastCDCParameters` is derived from `chunker`.
    enum CodingKeys: String, CodingKey {
        case version, id, encryption, compression, chunker, stratumTargetSize, lanes
    }

    /// Accepted stratum target sizes: a stratum must hold its header and footer, and offsets stay in 32 bits.
    public static let stratumTargetSizes = 4096...(1 << 31)

    /// A new config, checked as `decode` checks one read from a basin.
    /// - Throws: `.invalidArgument` naming the first field out of range.
    public init(id: String, encryption: PayloadAlgorithm, compressionLevel: Int32?, chunker: FastCDCParameters,
                stratumTargetSize: Int, lanes: [String: LaneLocation]) throws(BasinError) {
        guard Self.stratumTargetSizes.contains(stratumTargetSize) else {
            throw BasinError(.invalidArgument, "a stratum target size must be 4096 to 2^31 bytes, not \(stratumTargetSize)")
        }
        if let compressionLevel, !Self.compressionLevels.contains(compressionLevel) {
            throw BasinError(.invalidArgument, "a zstd compression level must be 1 to 22, not \(compressionLevel)")
        }
        version = Self.currentVersion
        self.id = id
        self.encryption = encryption.name
        compression = Compression(algorithm: compressionLevel == nil ? "none" : "zstd", level: compressionLevel ?? 0)
        self.chunker = Chunker(minSize: chunker.minSize, averageSize: chunker.averageSize, maxSize: chunker.maxSize)
        fastCDCParameters = chunker
        self.stratumTargetSize = stratumTargetSize
        self.lanes = lanes
    }

    /// zstd levels a new config takes (0 means no compression: pass nil).
    public static let compressionLevels: ClosedRange<Int32> = 1...22

    /// Decodes the JSON's fields; chunker sizes that FastCDC refuses are a decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        id = try container.decode(String.self, forKey: .id)
        encryption = try container.decode(String.self, forKey: .encryption)
        compression = try container.decode(Compression.self, forKey: .compression)
        chunker = try container.decode(Chunker.self, forKey: .chunker)
        stratumTargetSize = try container.decode(Int.self, forKey: .stratumTargetSize)
        lanes = try container.decode([String: LaneLocation].self, forKey: .lanes)
        do {
            fastCDCParameters = try FastCDCParameters(minSize: chunker.minSize, averageSize: chunker.averageSize, maxSize: chunker.maxSize)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .chunker, in: container, debugDescription: "invalid chunker sizes: \(error)")
        }
    }

    public var payloadAlgorithm: PayloadAlgorithm? { PayloadAlgorithm(name: encryption) }
    public var compressionLevel: Int32? { compression.algorithm == "zstd" ? compression.level : nil }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// Only the version, read first: a newer format is reported as such even when its other
    /// fields would not decode here.
    private struct Versioned: Decodable {
        let version: Int
    }

    /// - Throws: `.corrupted` when the JSON does not decode (chunker sizes included),
    ///   `.incompatibleVersion` for a newer format.
    public static func decode(_ bytes: [UInt8], location: String) throws(BasinError) -> BasinConfig {
        let config: BasinConfig
        do {
            let version = try JSONDecoder().decode(Versioned.self, from: Data(bytes)).version
            guard version == currentVersion else {
                throw BasinError(.incompatibleVersion, "the basin at \(location) has format version \(version); this basin reads version \(currentVersion)")
            }
            config = try JSONDecoder().decode(BasinConfig.self, from: Data(bytes))
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.corrupted, "the config of the basin at \(location) is not readable", underlying: error)
        }
        guard config.payloadAlgorithm != nil else {
            throw BasinError(.incompatibleVersion, "the basin at \(location) uses unknown encryption '\(config.encryption)'")
        }
        guard config.compression.algorithm == "zstd" || config.compression.algorithm == "none" else {
            throw BasinError(.incompatibleVersion, "the basin at \(location) uses unknown compression '\(config.compression.algorithm)'")
        }
        guard stratumTargetSizes.contains(config.stratumTargetSize) else {
            throw BasinError(.corrupted, "the config of the basin at \(location) has an invalid stratum target size \(config.stratumTargetSize)")
        }
        return config
    }
}
