/// One entry of a directory in a snapshot (docs/FORMAT.md, "Tree").
///
/// Names are raw bytes (any bytes but `/` and NUL, not only UTF-8). Inode, device and ctime
/// are kept for change detection against a parent snapshot, and inode/device/link count let
/// restore recreate hard links.
public struct TreeEntry: Equatable, Sendable {
    public enum EntryType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case file = 1
        case directory = 2
        case symlink = 3
        case fifo = 4
        case characterDevice = 5
        case blockDevice = 6
        case socket = 7

        public var description: String {
            switch self {
            case .file: "file"
            case .directory: "dir"
            case .symlink: "symlink"
            case .fifo: "fifo"
            case .characterDevice: "chardev"
            case .blockDevice: "blockdev"
            case .socket: "socket"
            }
        }
    }

    /// A point in time: seconds since the epoch (may be negative) and nanoseconds.
    public struct Timestamp: Equatable, Hashable, Sendable, Comparable {
        public var seconds: Int64
        public var nanoseconds: UInt32

        public init(seconds: Int64, nanoseconds: UInt32) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }

        public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
            (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
        }
    }

    public struct ExtendedAttribute: Equatable, Sendable {
        public var name: [UInt8]
        public var value: [UInt8]

        public init(name: [UInt8], value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    public var name: [UInt8]
    public var type: EntryType
    /// Permission bits and set-id/sticky bits (`st_mode & 07777`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var userName: String
    public var groupName: String
    public var modificationTime: Timestamp
    public var changeTime: Timestamp
    /// File size in bytes (0 for other types; a symlink's target length is in `linkTarget`).
    public var size: UInt64
    public var inode: UInt64
    public var device: UInt64
    public var linkCount: UInt64
    /// The device number of a character or block device.
    public var deviceNumber: UInt64
    public var extendedAttributes: [ExtendedAttribute]
    /// A file's content key (nil for an empty file); a directory's subtree key.
    public var content: Key?
    /// A symlink's target, raw bytes.
    public var linkTarget: [UInt8]

    public init(name: [UInt8], type: EntryType, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                userName: String = "", groupName: String = "",
                modificationTime: Timestamp = .init(seconds: 0, nanoseconds: 0),
                changeTime: Timestamp = .init(seconds: 0, nanoseconds: 0), size: UInt64 = 0, inode: UInt64 = 0,
                device: UInt64 = 0, linkCount: UInt64 = 1, deviceNumber: UInt64 = 0,
                extendedAttributes: [ExtendedAttribute] = [], content: Key? = nil, linkTarget: [UInt8] = []) {
        self.name = name
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.size = size
        self.inode = inode
        self.device = device
        self.linkCount = linkCount
        self.deviceNumber = deviceNumber
        self.extendedAttributes = extendedAttributes
        self.content = content
        self.linkTarget = linkTarget
    }

    /// The name as text for display: UTF-8 where valid, else with `\xNN` escapes.
    public var displayName: String { Tree.display(name) }
}
