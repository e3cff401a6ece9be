import BasinCore
import BasinSystem

/// Compares two directory trees on disk, entry by entry, with `lstat`: what a restore (or an
/// extracted archive) must reproduce of what was backed up.
public enum TreeComparer {
    public struct Options: Sendable {
        /// Compare the two roots' own metadata, not only what is inside them.
        public var compareRoots = true
        public var ownership = true
        public var modes = true
        public var modificationTimes = true
        /// Directories' modification times (within `modificationTimes`).
        public var directoryTimes = true
        public var symlinkTimes = true
        public var extendedAttributes = true
        /// Which extended attributes count (by name prefix): by default `user.` only, since
        /// `security.*` and others depend on the system.
        public var attributePrefixes: [[UInt8]] = [Array("user.".utf8)]
        public var hardLinks = true
        public var deviceNumbers = true
        /// Source entries of these types are not expected in the restored tree.
        public var skippedTypes: Set<TreeEntry.EntryType> = []

        public init() {}
    }

    public struct Difference: Equatable, Sendable, CustomStringConvertible {
        public enum Kind: String, Sendable {
            case missing, unexpected, type, content, mode, owner, modificationTime, linkTarget, hardLinks
            case extendedAttributes, deviceNumber
        }

        /// The path relative to the roots, for display.
        public let path: String
        public let kind: Kind
        public let detail: String

        public var description: String { "\(path): \(kind.rawValue) \(detail)" }
    }

    /// - Returns: every difference, in path order; empty when the trees are equal.
    /// - Throws: when a tree cannot be read.
    public static func compare(source: String, restored: String, options: Options = Options()) throws -> [Difference] {
        var walk = Walk(options: options)
        let root = Array("".utf8)
        try walk.compare(root, Array(source.utf8), Array(restored.utf8), isRoot: true)
        walk.compareLinkGroups()
        return walk.differences
    }

    private struct Walk {
        let options: Options
        var differences: [Difference] = []
        /// Non-directory paths present in both trees, with their (device, inode) on each side.
        var inodes: [(path: [UInt8], source: [UInt64], restored: [UInt64])] = []

        mutating func report(_ relative: [UInt8], _ kind: Difference.Kind, _ detail: String) {
            differences.append(Difference(path: relative.isEmpty ? "." : Tree.display(relative), kind: kind, detail: detail))
        }

        mutating func compare(_ relative: [UInt8], _ source: [UInt8], _ restored: [UInt8], isRoot: Bool) throws {
            guard let left = try TestFileSystem.status(source) else { throw SystemError("fstatat", path: source, errno: .noSuchFileOrDirectory) }
            guard let right = try TestFileSystem.status(restored) else {
                report(relative, .missing, "(a \(left.type))")
                return
            }
            guard left.type == right.type else {
                report(relative, .type, "\(left.type) became \(right.type)")
                return
            }
            if !isRoot || options.compareRoots { try compareMetadata(relative, source, restored, left, right) }
            switch left.type {
            case .directory:
                let leftNames = try TestFileSystem.names(in: source)
                let rightNames = Set(try TestFileSystem.names(in: restored))
                var seen = Set<[UInt8]>()
                for name in leftNames {
                    let child = TestFileSystem.join(relative, name)
                    let childSource = TestFileSystem.join(source, name)
                    if let status = try TestFileSystem.status(childSource), options.skippedTypes.contains(status.type) {
                        if rightNames.contains(name) { report(child, .unexpected, "(a \(status.type) that is not restored)") }
                        seen.insert(name)
                        continue
                    }
                    seen.insert(name)
                    try compare(child, childSource, TestFileSystem.join(restored, name), isRoot: false)
                }
                for name in rightNames.subtracting(seen).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                    report(TestFileSystem.join(relative, name), .unexpected, "(not in the source)")
                }
            case .file:
                if left.size != right.size {
                    report(relative, .content, "size \(left.size) became \(right.size)")
                } else if try digest(source) != digest(restored) {
                    report(relative, .content, "differs (same size \(left.size))")
                }
                inodes.append((relative, [left.device, left.inode], [right.device, right.inode]))
            case .symlink:
                let leftTarget = try TestFileSystem.linkTarget(source), rightTarget = try TestFileSystem.linkTarget(restored)
                if leftTarget != rightTarget {
                    report(relative, .linkTarget, "\(Tree.display(leftTarget)) became \(Tree.display(rightTarget))")
                }
                inodes.append((relative, [left.device, left.inode], [right.device, right.inode]))
            case .characterDevice, .blockDevice:
                if options.deviceNumbers, left.deviceNumber != right.deviceNumber {
                    report(relative, .deviceNumber, "\(left.deviceNumber) became \(right.deviceNumber)")
                }
                inodes.append((relative, [left.device, left.inode], [right.device, right.inode]))
            case .fifo, .socket:
                inodes.append((relative, [left.device, left.inode], [right.device, right.inode]))
            }
        }

        mutating func compareMetadata(_ relative: [UInt8], _ source: [UInt8], _ restored: [UInt8], _ left: FileStatus,
                                      _ right: FileStatus) throws {
            // Linux symlinks always have mode 0777.
            if options.modes, left.type != .symlink, left.mode != right.mode {
                report(relative, .mode, "\(String(left.mode, radix: 8)) became \(String(right.mode, radix: 8))")
            }
            if options.ownership, left.uid != right.uid || left.gid != right.gid {
                report(relative, .owner, "\(left.uid):\(left.gid) became \(right.uid):\(right.gid)")
            }
            let timed = options.modificationTimes && (left.type != .directory || options.directoryTimes)
                && (left.type != .symlink || options.symlinkTimes)
            if timed, left.modificationTime != right.modificationTime {
                report(relative, .modificationTime, "\(Self.show(left.modificationTime)) became \(Self.show(right.modificationTime))")
            }
            if options.extendedAttributes {
                let wanted = { (attribute: TreeEntry.ExtendedAttribute) in
                    options.attributePrefixes.contains { attribute.name.starts(with: $0) }
                }
                let leftAttributes = try TestFileSystem.extendedAttributes(source).filter(wanted)
                let rightAttributes = try TestFileSystem.extendedAttributes(restored).filter(wanted)
                if leftAttributes != rightAttributes {
                    report(relative, .extendedAttributes, "\(Self.show(leftAttributes)) became \(Self.show(rightAttributes))")
                }
            }
        }

        /// Paths that share an inode in the source must share one in the restored tree, and no others.
        mutating func compareLinkGroups() {
            guard options.hardLinks else { return }
            var sourceGroups: [[UInt64]: [[UInt8]]] = [:], restoredGroups: [[UInt64]: [[UInt8]]] = [:]
            for item in inodes {
                sourceGroups[item.source, default: []].append(item.path)
                restoredGroups[item.restored, default: []].append(item.path)
            }
            var reported = Set<[UInt8]>()
            for item in inodes where !reported.contains(item.path) {
                let expected = sourceGroups[item.source] ?? [], actual = restoredGroups[item.restored] ?? []
                if expected != actual {
                    reported.formUnion(expected)
                    report(item.path, .hardLinks, "linked with [\(expected.map(Tree.display).joined(separator: ", "))] became [\(actual.map(Tree.display).joined(separator: ", "))]")
                }
            }
        }

        func digest(_ path: [UInt8]) throws -> [UInt8] {
            var hasher = BLAKE3Hasher()
            try TestFileSystem.readFile(path) { hasher.update($0) }
            return hasher.finalize()
        }

        static func show(_ time: TreeEntry.Timestamp) -> String { "\(time.seconds).\(time.nanoseconds)" }

        static func show(_ attributes: [TreeEntry.ExtendedAttribute]) -> String {
            "{" + attributes.map { "\(Tree.display($0.name))=\(Tree.display($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}
