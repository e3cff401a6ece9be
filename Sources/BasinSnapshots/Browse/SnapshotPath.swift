import BasinBackend
import BasinCore
import BasinStore

/// An absolute path inside a snapshot as a list of name components (raw bytes: names need
/// not be UTF-8). The root tree mirrors absolute paths: `/home/u/docs` is
/// `["home", "u", "docs"]`, `/` is `[]`. Backup, browsing and check join, display and look up
/// paths through this one type.
public struct SnapshotPath: Hashable, Sendable, CustomStringConvertible {
    public var components: [[UInt8]]

    public init(_ components: [[UInt8]] = []) {
        self.components = components
    }

    /// Splits a path typed by a user into components. Empty components and `.` are dropped;
    /// `\xNN` stands for the byte NN, as listings print bytes that are not UTF-8.
    /// - Throws: `.invalidArgument` for a relative path or a `..` component.
    public init(parsing path: [UInt8]) throws(BasinError) {
        let slash = UInt8(ascii: "/")
        guard path.first == slash else {
            throw BasinError(.invalidArgument, "'\(Tree.display(path))' is not an absolute path: snapshot paths start with /")
        }
        var components: [[UInt8]] = []
        for part in path.split(separator: slash, omittingEmptySubsequences: true) {
            let name = Self.unescape(Array(part))
            if name == [UInt8(ascii: ".")] { continue }
            guard name != Array("..".utf8) else {
                throw BasinError(.invalidArgument, "'\(Tree.display(path))': '..' is not allowed in a snapshot path")
            }
            components.append(name)
        }
        self.init(components)
    }

    /// The last component; nil for the root.
    public var name: [UInt8]? { components.last }

    /// The directory holding this path (the root for the root).
    public var parent: SnapshotPath { SnapshotPath(Array(components.dropLast())) }

    /// The path of the entry `name` inside this directory.
    public func appending(_ name: [UInt8]) -> SnapshotPath {
        var path = self
        path.components.append(name)
        return path
    }

    /// The path's bytes: `/` joined components with a leading `/`; `/` for the root.
    public var bytes: [UInt8] {
        guard !components.isEmpty else { return [UInt8(ascii: "/")] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(components.reduce(0) { $0 + $1.count + 1 })
        for component in components {
            bytes.append(UInt8(ascii: "/"))
            bytes.append(contentsOf: component)
        }
        return bytes
    }

    /// The path as text, with `\xNN` for bytes that are not UTF-8 (see ``Tree/display(_:)``).
    public var description: String { Tree.display(bytes) }

    /// The path as text for a line of output: control bytes escaped too, so a name stays on
    /// its line (see ``Tree/display(_:escapingControls:)``).
    public var line: String { Tree.display(bytes, escapingControls: true) }

    /// Replaces each `\xNN` (two hex digits) with the byte NN.
    static func unescape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count, bytes[index + 1] == UInt8(ascii: "x"),
               let high = hexValue(bytes[index + 2]), let low = hexValue(bytes[index + 3]) {
                out.append(high << 4 | low)
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
