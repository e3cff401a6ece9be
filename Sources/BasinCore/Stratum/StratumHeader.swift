/// The first 64 bytes of every stratum (docs/FORMAT.md, "Stratum header").
public struct StratumHeader: Equatable, Sendable {
    public static let size = 64
    public static let magic: [UInt8] = Array("BSNSTRAT".utf8)
    public static let currentVersion: UInt16 = 1

    public var version: UInt16
    public var lane: Lane
    public var algorithm: PayloadAlgorithm
    public var stratumID: UInt64
    /// Per-stratum random salt: the payload key is derived from it and the master key.
    public var salt: [UInt8]

    public init(lane: Lane, algorithm: PayloadAlgorithm, stratumID: UInt64, salt: [UInt8], version: UInt16 = StratumHeader.currentVersion) {
        precondition(salt.count == 32, "a stratum salt is 32 bytes")
        self.version = version
        self.lane = lane
        self.algorithm = algorithm
        self.stratumID = stratumID
        self.salt = salt
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.write(bytes: Self.magic)
        writer.write(version)
        writer.write(lane.rawValue)
        writer.write(algorithm.rawValue)
        writer.write(UInt32(0))
        writer.write(stratumID)
        writer.write(bytes: salt)
        writer.write(XXH32.hash(writer.bytes))
        writer.write(UInt32(0))
        return writer.bytes
    }

    /// - Throws: `CodecError` on a short buffer, wrong magic, unknown version, lane or
    ///   algorithm, or a checksum mismatch.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> StratumHeader {
        var reader = ByteReader(bytes)
        guard try reader.readBytes(8) == magic else { throw .badMagic(offset: 0) }
        let version = try reader.readUInt16()
        guard version == currentVersion else { throw .unsupportedVersion(offset: 8, version: Int(version)) }
        let laneByte = try reader.readUInt8()
        let algorithmByte = try reader.readUInt8()
        try reader.skip(4)
        let stratumID = try reader.readUInt64()
        let salt = try reader.readBytes(32)
        let checksum = try reader.readUInt32()
        try reader.skip(4)
        guard checksum == XXH32.hash(bytes[0..<56]) else { throw .checksumMismatch(offset: 56) }
        guard let lane = Lane(rawValue: laneByte) else { throw .invalidValue(offset: 10, field: "lane") }
        guard let algorithm = PayloadAlgorithm(rawValue: algorithmByte) else {
            throw .invalidValue(offset: 11, field: "payload algorithm")
        }
        return StratumHeader(lane: lane, algorithm: algorithm, stratumID: stratumID, salt: salt, version: version)
    }
}
