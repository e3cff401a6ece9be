import BasinCore

/// Builds a directory tree on disk with every kind of entry a backup must keep: nested and
/// empty directories, empty, small and large files (several MiB, crossing chunk boundaries),
/// names with newlines, spaces, leading dashes, glob characters, non-UTF-8 bytes and 255 bytes,
/// hard links (within and across directories), symlinks (relative, absolute, dangling,
/// non-UTF-8 target), a fifo, a device node and other owners when root, set-id, sticky, 0000
/// and read-only modes, extended attributes, and fixed modification times with nanoseconds.
public enum TreeGenerator {
    public struct Options: Sendable {
        public var seed: UInt64 = 1
        /// Sizes of the large random files.
        public var largeFileSizes = [3 << 20 + 12_345, 5 << 20 + 1]
        /// A character device node (needs root).
        public var device = TestFileSystem.isRoot
        /// Give some entries owners other than the caller (needs root).
        public var otherOwners = TestFileSystem.isRoot
        public var extendedAttributes = true

        public init() {}
    }

    /// What was generated, for tests that check particular entries.
    public struct Summary: Sendable {
        /// Every path created, relative to the root, in creation order.
        public var paths: [[UInt8]] = []
        public var types: [TreeEntry.EntryType: Int] = [:]
        /// Paths of each hard-link group.
        public var linkGroups: [[[UInt8]]] = []
        public var largeFiles: [[UInt8]] = []
    }

    /// The uid/gid pairs given to entries when `otherOwners` is set.
    public static let owners: [(uid: UInt32, gid: UInt32)] = [(1234, 5678), (4321, 8765)]
    public static let longName = [UInt8](repeating: UInt8(ascii: "n"), count: 254) + [UInt8(ascii: ".")]
    public static let nonUTF8Name: [UInt8] = [0x66, 0xFF, 0xFE, 0x80, 0x2D, 0x6E, 0x6F, 0x74]

    /// Creates the tree at `root`, which must not exist.
    public static func generate(at root: String, options: Options = Options()) throws -> Summary {
        var builder = Builder(root: Array(root.utf8), generator: SplitMix64(seed: options.seed))
        try builder.build(options)
        return builder.summary
    }

    private struct Builder {
        let root: [UInt8]
        var generator: SplitMix64
        var summary = Summary()
        /// Modes to set once everything is created (a read-only directory would refuse its content).
        var modes: [([UInt8], UInt32)] = []

        init(root: [UInt8], generator: SplitMix64) {
            self.root = root
            self.generator = generator
        }

        func full(_ relative: [UInt8]) -> [UInt8] { TestFileSystem.join(root, relative) }

        mutating func note(_ relative: [UInt8], _ type: TreeEntry.EntryType) {
            summary.paths.append(relative)
            summary.types[type, default: 0] += 1
        }

        mutating func directory(_ relative: String) throws { try directory(Array(relative.utf8)) }

        mutating func directory(_ relative: [UInt8], mode: UInt32 = 0o755) throws {
            try TestFileSystem.makeDirectory(full(relative), mode: 0o755)
            if mode != 0o755 { modes.append((relative, mode)) }
            note(relative, .directory)
        }

        mutating func file(_ relative: String, size: Int, mode: UInt32 = 0o644) throws {
            try file(Array(relative.utf8), size: size, mode: mode)
        }

        mutating func file(_ relative: [UInt8], size: Int, mode: UInt32 = 0o644) throws {
            try TestFileSystem.writeFile(full(relative), generator.bytes(size))
            modes.append((relative, mode))
            note(relative, .file)
        }

        mutating func symlink(_ relative: String, to target: [UInt8]) throws {
            try TestFileSystem.makeSymlink(full(Array(relative.utf8)), target: target)
            note(Array(relative.utf8), .symlink)
        }

        mutating func links(_ paths: [String]) throws {
            let group = paths.map { Array($0.utf8) }
            for path in group.dropFirst() { try TestFileSystem.makeHardLink(full(path), to: full(group[0])) }
            summary.linkGroups.append(group)
        }

        mutating func build(_ options: Options) throws {
            try TestFileSystem.makeDirectory(root, mode: 0o755)
            try file("plain.txt", size: 100)
            try file("empty", size: 0)
            try directory("empty-dir")
            try directory("nested")
            try directory("nested/a")
            try directory("nested/a/b")
            try file("nested/a/b/deep.bin", size: 5000)
            try file("nested/a/sibling", size: 1)

            try directory("large")
            for (index, size) in options.largeFileSizes.enumerated() {
                try file("large/big\(index).bin", size: size)
                summary.largeFiles.append(Array("large/big\(index).bin".utf8))
            }

            try directory("odd")
            let oddNames: [[UInt8]] = [
                Array("new\nline".utf8), Array("  spaces  ".utf8), Array("-leading-dash".utf8), Array("--".utf8),
                Array("tab\there".utf8), Array("back\\slash".utf8), Array("*?[glob]".utf8), Array(".hidden".utf8),
                Array("ünïcødé-名前".utf8), TreeGenerator.longName, TreeGenerator.nonUTF8Name,
            ]
            for name in oddNames { try file(TestFileSystem.join(Array("odd".utf8), name), size: name.count) }
            let oddDirectory = Array("odd/".utf8) + TreeGenerator.nonUTF8Name + Array("-dir".utf8)
            try directory(oddDirectory)
            try file(oddDirectory + Array("/inside\n".utf8), size: 10)
            try directory(Array("odd/".utf8) + TreeGenerator.longName.dropLast(4) + Array("-dir".utf8))

            try directory("links")
            try file("links/original", size: 3000)
            try links(["links/original", "links/hard1", "nested/a/hard2"])
            try file("links/pair-a", size: 0)
            try links(["links/pair-a", "links/pair-b"])
            try symlink("links/relative", to: Array("original".utf8))
            try symlink("links/absolute", to: Array("/etc/hostname".utf8))
            try symlink("links/dangling", to: Array("does/not/exist".utf8))
            try symlink("links/to-directory", to: Array("../nested".utf8))
            try symlink("links/odd-target", to: [0xFF, 0x0A, 0x78])

            try directory("special")
            try TestFileSystem.makeFifo(full(Array("special/fifo".utf8)), mode: 0o640)
            note(Array("special/fifo".utf8), .fifo)
            if options.device {
                // The numbers of /dev/null (1, 3); mknod works on any file system for root.
                try TestFileSystem.makeCharacterDevice(full(Array("special/null".utf8)), number: 0x103, mode: 0o620)
                note(Array("special/null".utf8), .characterDevice)
            }

            try directory("modes")
            try file("modes/setuid", size: 10, mode: 0o4755)
            try file("modes/setgid", size: 10, mode: 0o2750)
            try file("modes/none", size: 10, mode: 0)
            try file("modes/private", size: 10, mode: 0o600)
            try directory(Array("modes/sticky".utf8), mode: 0o1777)
            try directory(Array("modes/read-only".utf8), mode: 0o555)
            try file("modes/read-only/inside", size: 10)

            if options.extendedAttributes {
                try directory("xattrs")
                try file("xattrs/file", size: 10)
                let file = full(Array("xattrs/file".utf8))
                try TestFileSystem.setExtendedAttribute(file, name: Array("user.comment".utf8), value: Array("hello".utf8))
                try TestFileSystem.setExtendedAttribute(file, name: Array("user.binary".utf8), value: [0, 1, 2, 0xFF])
                try TestFileSystem.setExtendedAttribute(full(Array("xattrs".utf8)), name: Array("user.directory".utf8), value: Array("yes".utf8))
            }

            if options.otherOwners {
                try directory("owned")
                try file("owned/file", size: 10, mode: 0o4750)
                try symlink("owned/link", to: Array("file".utf8))
                let (first, second) = (TreeGenerator.owners[0], TreeGenerator.owners[1])
                try TestFileSystem.changeOwner(full(Array("owned".utf8)), uid: first.uid, gid: first.gid)
                try TestFileSystem.changeOwner(full(Array("owned/file".utf8)), uid: second.uid, gid: first.gid)
                try TestFileSystem.changeOwner(full(Array("owned/link".utf8)), uid: second.uid, gid: second.gid)
            }

            // Modes after ownership (chown clears set-id bits), deepest paths first so a
            // read-only directory is made read-only after its content.
            for (relative, mode) in modes.reversed() { try TestFileSystem.changeMode(full(relative), mode) }
            try setTimes()
        }

        /// Fixed times with nanoseconds on every entry, children before their directories.
        mutating func setTimes() throws {
            for (index, relative) in summary.paths.enumerated().reversed() {
                let time = TreeEntry.Timestamp(seconds: 1_600_000_000 + Int64(index) * 3_600,
                                               nanoseconds: UInt32((index * 123_456_789 + 1) % 1_000_000_000))
                try TestFileSystem.setTimes(full(relative), time)
            }
            try TestFileSystem.setTimes(root, .init(seconds: 1_500_000_000, nanoseconds: 987_654_321))
        }
    }
}
