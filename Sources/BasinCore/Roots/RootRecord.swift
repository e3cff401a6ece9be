/// One root record (docs/FORMAT.md, "Roots"): a batch of changes to what the basin keeps
/// besides its snapshots, the values stored with `put` and the names given to keys.
///
/// A pure codec: decoding any bytes either returns a record or throws a ``CodecError``.
public struct RootRecord: Equatable, Sendable {
    public enum Operation: Equatable, Sendable {
        /// Keep the value stored under the key.
        case addKey(Key)
        /// Stop keeping it (names pointing at it still keep it).
        case removeKey(Key)
        /// Map the name to the key, replacing any earlier mapping.
        case setName(String, Key)
        case removeName(String)
    }

    /// When the record was written: UTC nanoseconds since 1970 (never negative).
    public var time: Int64
    /// The record holds the whole state: the records ordered before it are superseded.
    public var isCheckpoint: Bool
    public var operations: [Operation]

    public init(time: Int64, isCheckpoint: Bool = false, operations: [Operation]) {
        self.time = time
        self.isCheckpoint = isCheckpoint
        self.operations = operations
    }

    public static let magic: [UInt8] = Array("BSROOT".utf8)
    public static let version: UInt8 = 1
    /// A name's UTF-8 length, at most.
    public static let maxNameLength = 1024

    enum Opcode: UInt8 {
        case addKey = 1, removeKey = 2, setName = 3, removeName = 4
    }

    /// Whether `name` can be stored: non-empty and at most ``maxNameLength`` UTF-8 bytes.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxNameLength
    }

    /// magic, version u8, time i64, flags u8, varint operation count, then per operation an
    /// opcode u8 and its fields (32-byte keys; names as varint length and UTF-8 bytes).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 24 + operations.count * 34)
        writer.write(bytes: Self.magic)
        writer.write(Self.version)
        writer.write(time)
        writer.write(UInt8(isCheckpoint ? 1 : 0))
        writer.writeVarint(UInt64(operations.count))
        for operation in operations {
            switch operation {
            case let .addKey(key):
                writer.write(Opcode.addKey.rawValue)
                writer.write(bytes: key.bytes)
            case let .removeKey(key):
                writer.write(Opcode.removeKey.rawValue)
                writer.write(bytes: key.bytes)
            case let .setName(name, key):
                writer.write(Opcode.setName.rawValue)
                writer.writeLengthPrefixed(Array(name.utf8))
                writer.write(bytes: key.bytes)
            case let .removeName(name):
                writer.write(Opcode.removeName.rawValue)
                writer.writeLengthPrefixed(Array(name.utf8))
            }
        }
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> RootRecord {
        var reader = ByteReader(bytes)
        guard try reader.readBytes(magic.count) == magic else { throw .badMagic(offset: 0) }
        let version = try reader.readUInt8()
        guard version == Self.version else { throw .unsupportedVersion(offset: magic.count, version: Int(version)) }
        let timeOffset = reader.absolutePosition
        let time = try reader.readInt64()
        guard time >= 0 else { throw .invalidValue(offset: timeOffset, field: "time") }
        let flagsOffset = reader.absolutePosition
        let flags = try reader.readUInt8()
        guard flags & ~1 == 0 else { throw .invalidValue(offset: flagsOffset, field: "flags") }
        // The smallest operation takes 2 bytes: the count can never need more.
        let count = try reader.readLength(limit: reader.remaining / 2)
        var operations: [Operation] = []
        operations.reserveCapacity(count)
        for _ in 0..<count {
            let opcodeOffset = reader.absolutePosition
            guard let opcode = Opcode(rawValue: try reader.readUInt8()) else {
                throw .invalidValue(offset: opcodeOffset, field: "operation")
            }
            switch opcode {
            case .addKey: operations.append(.addKey(try readKey(&reader)))
            case .removeKey: operations.append(.removeKey(try readKey(&reader)))
            case .setName:
                let name = try readName(&reader)
                operations.append(.setName(name, try readKey(&reader)))
            case .removeName: operations.append(.removeName(try readName(&reader)))
            }
        }
        try reader.expectEnd()
        return RootRecord(time: time, isCheckpoint: flags & 1 != 0, operations: operations)
    }

    static func readKey(_ reader: inout ByteReader) throws(CodecError) -> Key {
        Key(bytes: try reader.readBytes(Key.byteCount))!
    }

    static func readName(_ reader: inout ByteReader) throws(CodecError) -> String {
        let offset = reader.absolutePosition
        let bytes = try reader.readLengthPrefixed(limit: maxNameLength)
        guard !bytes.isEmpty, let name = String(validating: bytes, as: UTF8.self) else {
            throw .invalidValue(offset: offset, field: "name")
        }
        return name
    }
}

/// What the root records say the basin keeps: the fold of every record in order.
public struct RootState: Equatable, Sendable {
    /// Keys of values stored with `put` and not removed.
    public var keys: Set<Key> = []
    /// Named keys, by name.
    public var names: [String: Key] = [:]

    public init(keys: Set<Key> = [], names: [String: Key] = [:]) {
        self.keys = keys
        self.names = names
    }

    /// Every key the state keeps alive: stored values and named keys.
    public var liveKeys: Set<Key> { keys.union(names.values) }

    /// Applies `record`; a checkpoint first forgets everything before it.
    public mutating func apply(_ record: RootRecord) {
        if record.isCheckpoint { self = RootState() }
        for operation in record.operations {
            switch operation {
            case let .addKey(key): keys.insert(key)
            case let .removeKey(key): keys.remove(key)
            case let .setName(name, key): names[name] = key
            case let .removeName(name): names[name] = nil
            }
        }
    }

    /// The state as the operations of one checkpoint record (keys, then names, sorted so
    /// equal states encode equally).
    public var operations: [RootRecord.Operation] {
        keys.sorted().map { .addKey($0) }
            + names.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }.map { .setName($0.key, $0.value) }
    }

    /// The names starting with `prefix` (compared as UTF-8 bytes), sorted by their UTF-8 bytes.
    public func names(prefix: String) -> [(name: String, key: Key)] {
        let prefixBytes = Array(prefix.utf8)
        return names.filter { Array($0.key.utf8).starts(with: prefixBytes) }
            .map { (name: $0.key, key: $0.value) }
            .sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }
}
