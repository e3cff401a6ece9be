/// A directory of a snapshot: its entries sorted by name bytes, encoded deterministically so
/// identical directories give identical tree grains (docs/FORMAT.md, "Tree").
public struct Tree: Equatable, Sendable {
    public static let formatVersion: UInt8 = 1
    /// Longest name accepted on decode (Linux allows 255 bytes; leave room for other systems).
    public static let maxNameLength = 4096

    public private(set) var entries: [TreeEntry]

    /// - Parameter entries: in any order; sorted here. Names must be unique.
    public init(entries: [TreeEntry]) {
        self.entries = entries.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// The entry named `name`, by binary search.
    public func entry(named name: [UInt8]) -> TreeEntry? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].name == name { return entries[middle] }
            if entries[middle].name.lexicographicallyPrecedes(name) { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + entries.count * 96)
        writer.write(Self.formatVersion)
        writer.writeVarint(UInt64(entries.count))
        for entry in entries {
            writer.writeLengthPrefixed(entry.name)
            writer.write(entry.type.rawValue)
            writer.writeVarint(UInt64(entry.mode))
            writer.writeVarint(UInt64(entry.uid))
            writer.writeVarint(UInt64(entry.gid))
            writer.writeLengthPrefixed(Array(entry.userName.utf8))
            writer.writeLengthPrefixed(Array(entry.groupName.utf8))
            Self.write(entry.modificationTime, to: &writer)
            Self.write(entry.changeTime, to: &writer)
            writer.writeVarint(entry.size)
            writer.writeVarint(entry.inode)
            writer.writeVarint(entry.device)
            writer.writeVarint(entry.linkCount)
            writer.writeVarint(entry.deviceNumber)
            writer.writeVarint(UInt64(entry.extendedAttributes.count))
            for attribute in entry.extendedAttributes {
                writer.writeLengthPrefixed(attribute.name)
                writer.writeLengthPrefixed(attribute.value)
            }
            if let content = entry.content {
                writer.write(UInt8(1))
                writer.write(bytes: content.bytes)
            } else {
                writer.write(UInt8(0))
            }
            writer.writeLengthPrefixed(entry.linkTarget)
        }
        return writer.bytes
    }

    /// - Throws: `CodecError` for any malformed input: unknown version or type, overlong
    ///   fields, names out of order or duplicated, trailing bytes.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> Tree {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8()
        guard version == formatVersion else { throw .unsupportedVersion(offset: 0, version: Int(version)) }
        let count = try reader.readLength(limit: bytes.count / 20)
        var entries: [TreeEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let at = reader.absolutePosition
            let name = try reader.readLengthPrefixed(limit: maxNameLength)
            guard !name.isEmpty, !name.contains(0), !name.contains(UInt8(ascii: "/")) else {
                throw .invalidValue(offset: at, field: "entry name")
            }
            if let previous = entries.last, !previous.name.lexicographicallyPrecedes(name) {
                throw .invalidValue(offset: at, field: "entry order")
            }
            let typeAt = reader.absolutePosition
            guard let type = TreeEntry.EntryType(rawValue: try reader.readUInt8()) else {
                throw .invalidValue(offset: typeAt, field: "entry type")
            }
            let mode = try readUInt32(&reader)
            let uid = try readUInt32(&reader)
            let gid = try readUInt32(&reader)
            let userName = String(decoding: try reader.readLengthPrefixed(limit: 1024), as: UTF8.self)
            let groupName = String(decoding: try reader.readLengthPrefixed(limit: 1024), as: UTF8.self)
            let modificationTime = try readTimestamp(&reader)
            let changeTime = try readTimestamp(&reader)
            let size = try reader.readVarint()
            let inode = try reader.readVarint()
            let device = try reader.readVarint()
            let linkCount = try reader.readVarint()
            let deviceNumber = try reader.readVarint()
            let attributeCount = try reader.readLength(limit: reader.remaining / 2)
            var attributes: [TreeEntry.ExtendedAttribute] = []
            for _ in 0..<attributeCount {
                let attributeName = try reader.readLengthPrefixed(limit: 255)
                let value = try reader.readLengthPrefixed(limit: 1 << 20)
                attributes.append(.init(name: attributeName, value: value))
            }
            let hasContentAt = reader.absolutePosition
            var content: Key?
            switch try reader.readUInt8() {
            case 0: content = nil
            case 1: content = Key(bytes: try reader.readBytes(32))
            default: throw .invalidValue(offset: hasContentAt, field: "content flag")
            }
            let linkTarget = try reader.readLengthPrefixed(limit: 1 << 16)
            entries.append(TreeEntry(name: name, type: type, mode: mode, uid: uid, gid: gid, userName: userName,
                                     groupName: groupName, modificationTime: modificationTime, changeTime: changeTime,
                                     size: size, inode: inode, device: device, linkCount: linkCount,
                                     deviceNumber: deviceNumber, extendedAttributes: attributes, content: content,
                                     linkTarget: linkTarget))
        }
        try reader.expectEnd()
        var tree = Tree(entries: [])
        tree.entries = entries
        return tree
    }

    private static func write(_ time: TreeEntry.Timestamp, to writer: inout ByteWriter) {
        // Zigzag, so times before 1970 stay short.
        writer.writeVarint(UInt64(bitPattern: (time.seconds << 1) ^ (time.seconds >> 63)))
        writer.writeVarint(UInt64(time.nanoseconds))
    }

    private static func readTimestamp(_ reader: inout ByteReader) throws(CodecError) -> TreeEntry.Timestamp {
        let zigzag = try reader.readVarint()
        let seconds = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        let at = reader.absolutePosition
        let nanoseconds = try reader.readVarint()
        guard nanoseconds < 1_000_000_000 else { throw .invalidValue(offset: at, field: "nanoseconds") }
        return TreeEntry.Timestamp(seconds: seconds, nanoseconds: UInt32(nanoseconds))
    }

    private static func readUInt32(_ reader: inout ByteReader) throws(CodecError) -> UInt32 {
        let at = reader.absolutePosition
        let value = try reader.readVarint()
        guard value <= UInt64(UInt32.max) else { throw .lengthOverflow(offset: at, value: value) }
        return UInt32(value)
    }

    /// Bytes as text: UTF-8 where valid, `\xNN` for bytes that are not, so any name can be shown.
    public static func display(_ bytes: [UInt8]) -> String { display(bytes, escapingControls: false) }

    /// Bytes as text, as ``display(_:)``.
    /// - Parameter escapingControls: also `\xNN` for control bytes (newline, escape, DEL…),
    ///   for text output where a name must stay on its line and cannot steer the terminal.
    public static func display(_ bytes: [UInt8], escapingControls: Bool) -> String {
        func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7f }
        if !escapingControls || !bytes.contains(where: isControl), let text = String(validating: bytes, as: UTF8.self) { return text }
        var out = ""
        var index = 0
        while index < bytes.count {
            // Take the longest valid UTF-8 sequence starting here, else escape one byte.
            var taken = false
            for length in stride(from: min(4, bytes.count - index), through: 1, by: -1) {
                if escapingControls && bytes[index..<(index + length)].contains(where: isControl) { continue }
                if let piece = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
                    out += piece
                    index += length
                    taken = true
                    break
                }
            }
            if !taken {
                out += "\\x" + Hex.encode([bytes[index]])
                index += 1
            }
        }
        return out
    }
}
