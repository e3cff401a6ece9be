/// One entry of a tar archive, encoded as POSIX.1-2001 (pax) tar: a ustar header, preceded
/// by a pax extended header for what ustar cannot hold — names longer than its fields or
/// not ASCII, times with nanoseconds or outside its range, large ids and sizes, extended
/// attributes (`SCHILY.xattr.*`, as GNU tar and bsdtar write them). Values that are not
/// UTF-8 (names are bytes) come with `hdrcharset=BINARY`, so readers take them as they are.
/// Used by `basin dump`; only writing is needed.
public struct TarHeader: Sendable {
    public enum EntryType: UInt8, Sendable {
        case regular = 0x30       // '0'
        case hardLink = 0x31      // '1'
        case symlink = 0x32       // '2'
        case characterDevice = 0x33
        case blockDevice = 0x34
        case directory = 0x35
        case fifo = 0x36
        case paxExtended = 0x78   // 'x'
    }

    public static let blockSize = 512
    /// Two zero blocks end an archive.
    public static let endOfArchive = [UInt8](repeating: 0, count: 2 * blockSize)

    public var path: [UInt8]
    public var type: EntryType
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var userName: String
    public var groupName: String
    public var size: UInt64
    public var modificationTime: TreeEntry.Timestamp
    public var linkTarget: [UInt8]
    public var deviceMajor: UInt64
    public var deviceMinor: UInt64
    public var extendedAttributes: [TreeEntry.ExtendedAttribute]

    /// - Parameters:
    ///   - path: the entry's path in the archive; a directory's ends with `/`.
    ///   - type: what the entry is; links and symlinks name their target in `linkTarget`.
    public init(path: [UInt8], type: EntryType, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                userName: String = "", groupName: String = "", size: UInt64 = 0,
                modificationTime: TreeEntry.Timestamp = .init(seconds: 0, nanoseconds: 0), linkTarget: [UInt8] = [],
                deviceMajor: UInt64 = 0, deviceMinor: UInt64 = 0, extendedAttributes: [TreeEntry.ExtendedAttribute] = []) {
        self.path = path
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.size = size
        self.modificationTime = modificationTime
        self.linkTarget = linkTarget
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.extendedAttributes = extendedAttributes
    }

    /// Zero bytes that pad content of `size` bytes to a whole block.
    public static func padding(after size: UInt64) -> Int {
        Int((UInt64(blockSize) - size % UInt64(blockSize)) % UInt64(blockSize))
    }

    /// The header blocks of this entry: a pax extended header first when needed, then the
    /// ustar header. The entry's content, padded to a whole block, follows them.
    public func encoded() -> [UInt8] {
        var records: [(key: [UInt8], value: [UInt8])] = []
        let name: [UInt8], prefix: [UInt8]
        if let fitting = Self.split(path) {
            (name, prefix) = fitting
        } else {
            records.append((Array("path".utf8), path))
            (name, prefix) = (Self.fallbackName(path), [])
        }
        if !Self.fitsLinkField(linkTarget) { records.append((Array("linkpath".utf8), linkTarget)) }
        let seconds = modificationTime.seconds
        if modificationTime.nanoseconds != 0 || seconds < 0 || seconds > 0o77777777777 {
            records.append((Array("mtime".utf8), Array(Self.paxTime(modificationTime).utf8)))
        }
        if uid > 0o7777777 { records.append((Array("uid".utf8), Array(String(uid).utf8))) }
        if gid > 0o7777777 { records.append((Array("gid".utf8), Array(String(gid).utf8))) }
        if size > 0o77777777777 { records.append((Array("size".utf8), Array(String(size).utf8))) }
        if userName.utf8.count > 31 || !userName.utf8.allSatisfy(Self.isPortable) {
            records.append((Array("uname".utf8), Array(userName.utf8)))
        }
        if groupName.utf8.count > 31 || !groupName.utf8.allSatisfy(Self.isPortable) {
            records.append((Array("gname".utf8), Array(groupName.utf8)))
        }
        for attribute in extendedAttributes {
            records.append((Array("SCHILY.xattr.".utf8) + attribute.name, attribute.value))
        }
        let header = block(name: name, prefix: prefix)
        guard !records.isEmpty else { return header }
        // Values that are not UTF-8 (names are bytes) are flagged so readers take them as is.
        if records.contains(where: { String(validating: $0.value, as: UTF8.self) == nil && !$0.key.starts(with: Array("SCHILY.xattr.".utf8)) }) {
            records.insert((Array("hdrcharset".utf8), Array("BINARY".utf8)), at: 0)
        }
        var body: [UInt8] = []
        for record in records { body += Self.paxRecord(record.key, record.value) }
        var extended = TarHeader(path: [], type: .paxExtended, mode: 0o644, size: UInt64(body.count),
                                 modificationTime: .init(seconds: max(0, min(seconds, 0o77777777777)), nanoseconds: 0))
        let paxName = Array("PaxHeaders/".utf8) + Self.fallbackName(Array(path.split(separator: UInt8(ascii: "/")).last ?? []))
        extended.path = Array(paxName.prefix(100))
        var out = extended.block(name: extended.path, prefix: [])
        out += body
        out += [UInt8](repeating: 0, count: Self.padding(after: UInt64(body.count)))
        return out + header
    }

    /// The 512-byte ustar header block.
    private func block(name: [UInt8], prefix: [UInt8]) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        func put(_ bytes: [UInt8], at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: UInt64, at offset: Int, width: Int) {
            let limit: UInt64 = (1 << (3 * UInt64(width - 1))) - 1
            let digits = String(min(value, limit), radix: 8)
            put(Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(UInt64(mode & 0o7777), at: 100, width: 8)
        octal(UInt64(uid), at: 108, width: 8)
        octal(UInt64(gid), at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(UInt64(max(0, modificationTime.seconds)), at: 136, width: 12)
        block[156] = type.rawValue
        if Self.fitsLinkField(linkTarget) { put(linkTarget, at: 157, width: 100) }
        put(Array("ustar\0".utf8), at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        put(Self.fallbackName(Array(userName.utf8)), at: 265, width: 31)
        put(Self.fallbackName(Array(groupName.utf8)), at: 297, width: 31)
        if type == .characterDevice || type == .blockDevice {
            octal(deviceMajor, at: 329, width: 8)
            octal(deviceMinor, at: 337, width: 8)
        }
        put(prefix, at: 345, width: 155)
        // The checksum is computed with its own field taken as spaces.
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8) + [0, 0x20], at: 148, width: 8)
        return block
    }

    /// `path` as ustar's name and prefix fields, if it fits them as printable ASCII.
    private static func split(_ path: [UInt8]) -> (name: [UInt8], prefix: [UInt8])? {
        guard path.allSatisfy(isPortable) else { return nil }
        if path.count <= 100 { return (path, []) }
        // Split at a slash so the prefix has at most 155 bytes and the name at most 100.
        for index in path.indices.reversed() where path[index] == UInt8(ascii: "/") {
            let prefix = Array(path[..<index]), name = Array(path[(index + 1)...])
            if name.count > 100 { return nil }
            if prefix.count <= 155, !name.isEmpty { return (name, prefix) }
        }
        return nil
    }

    private static func fitsLinkField(_ target: [UInt8]) -> Bool {
        target.count <= 100 && target.allSatisfy(isPortable)
    }

    private static func isPortable(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x7f }

    /// Printable ASCII stand-in for a name a pax record carries exactly.
    private static func fallbackName(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.map { isPortable($0) ? $0 : UInt8(ascii: "_") }.prefix(100))
    }

    /// `"<length> <key>=<value>\n"`, where the length counts the whole record, itself included.
    static func paxRecord(_ key: [UInt8], _ value: [UInt8]) -> [UInt8] {
        let rest = key.count + value.count + 3
        var length = rest + 1
        while String(length).count + rest != length { length = String(length).count + rest }
        return Array(String(length).utf8) + [0x20] + key + [UInt8(ascii: "=")] + value + [0x0A]
    }

    /// Seconds with nanoseconds as pax writes them; negative times count down from zero.
    static func paxTime(_ time: TreeEntry.Timestamp) -> String {
        func nine(_ value: UInt32) -> String {
            let digits = String(value)
            return String(repeating: "0", count: 9 - digits.count) + digits
        }
        if time.nanoseconds == 0 { return String(time.seconds) }
        if time.seconds >= 0 { return "\(time.seconds).\(nine(time.nanoseconds))" }
        return "-\(-(time.seconds + 1)).\(nine(1_000_000_000 - time.nanoseconds))"
    }
}
