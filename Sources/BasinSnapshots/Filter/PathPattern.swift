import BasinBackend
import BasinStore

/// A glob pattern over snapshot paths, with restic's rules (`--include`, `--exclude`).
///
/// A pattern is split at `/` into components, each matched against one path component:
/// `*` matches any run of characters, `?` one character, `[abc]`, `[a-z]` and `[!a]` (or
/// `[^a]`) one character of a set, and `\` escapes the next character. A component that is
/// exactly `**` matches any number of path components, none included.
///
/// A pattern starting with `/` is anchored at the snapshot's root; any other pattern may
/// match starting at any component (as if it began with `**/`). A pattern matches a path when
/// it matches the path or one of its ancestors, so a pattern naming a directory covers
/// everything inside it. Names are bytes: valid UTF-8 is matched character by character, and
/// any other byte stands for itself.
public struct PathPattern: Sendable, Equatable, CustomStringConvertible {
    /// One component of a pattern, as the units `matches` compares.
    enum Component: Sendable, Equatable {
        case anyComponents
        case literal([UInt32])
        case glob([UInt32])
    }

    public let description: String
    let components: [Component]

    /// - Parameter text: the pattern, as given by the user.
    /// - Throws: `.invalidArgument` for an empty pattern or an unclosed `[`.
    public init(_ text: String) throws(BasinError) {
        description = text
        var parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { Array($0) }
        guard !parts.isEmpty else { throw BasinError(.invalidArgument, "the pattern '\(text)' matches no path") }
        if !text.hasPrefix("/") { parts.insert(Array("**".utf8), at: 0) }
        var components: [Component] = []
        for part in parts {
            if part == Array("**".utf8) {
                if components.last != .anyComponents { components.append(.anyComponents) }
                continue
            }
            let units = Self.units(of: part)
            guard Self.isWellFormed(units) else {
                throw BasinError(.invalidArgument, "the pattern '\(text)' has an unclosed '[' or a trailing '\\'")
            }
            let special = units.contains { $0 == Self.star || $0 == Self.question || $0 == Self.open || $0 == Self.escape }
            components.append(special ? .glob(units) : .literal(units))
        }
        self.components = components
    }

    /// Whether the pattern matches the path (its components from the snapshot's root) or one
    /// of its ancestors.
    public func matches(_ path: [[UInt8]]) -> Bool {
        Self.matchesPrefix(components[...], path.map { Self.units(of: $0) }[...])
    }

    /// Whether the pattern could match a path strictly inside the directory `path`: restore
    /// walks into a directory that is not selected itself only when this holds.
    public func mayMatchInside(_ path: [[UInt8]]) -> Bool {
        Self.mayMatchBelow(components[...], path.map { Self.units(of: $0) }[...])
    }

    private static func matchesPrefix(_ pattern: ArraySlice<Component>, _ path: ArraySlice<[UInt32]>) -> Bool {
        guard let first = pattern.first else { return true }
        if first == .anyComponents {
            let rest = pattern.dropFirst()
            // `**` takes 0…all of the remaining components.
            for taken in 0...path.count where matchesPrefix(rest, path.dropFirst(taken)) { return true }
            return false
        }
        guard let name = path.first, matches(first, name) else { return false }
        return matchesPrefix(pattern.dropFirst(), path.dropFirst())
    }

    private static func mayMatchBelow(_ pattern: ArraySlice<Component>, _ path: ArraySlice<[UInt32]>) -> Bool {
        guard let first = pattern.first, let name = path.first else { return true }
        if first == .anyComponents { return true }
        return matches(first, name) && mayMatchBelow(pattern.dropFirst(), path.dropFirst())
    }

    private static func matches(_ component: Component, _ name: [UInt32]) -> Bool {
        switch component {
        case .anyComponents: true
        case let .literal(units): units == name
        case let .glob(units): glob(units[...], name[...])
        }
    }

    // MARK: - Glob matching of one component

    static let star = UInt32(UInt8(ascii: "*"))
    static let question = UInt32(UInt8(ascii: "?"))
    static let open = UInt32(UInt8(ascii: "["))
    static let close = UInt32(UInt8(ascii: "]"))
    static let escape = UInt32(UInt8(ascii: "\\"))
    static let dash = UInt32(UInt8(ascii: "-"))

    /// Classic wildcard matching with backtracking to the last `*` only: linear in practice.
    private static func glob(_ pattern: ArraySlice<UInt32>, _ name: ArraySlice<UInt32>) -> Bool {
        var p = pattern.startIndex, n = name.startIndex
        var starP: Int?, starN = 0
        while n < name.endIndex {
            if p < pattern.endIndex, pattern[p] == star {
                starP = p
                starN = n
                p += 1
                continue
            }
            if p < pattern.endIndex, let next = matchOne(pattern, at: p, name[n]) {
                p = next
                n += 1
                continue
            }
            guard let star = starP else { return false }
            p = star + 1
            starN += 1
            n = starN
        }
        while p < pattern.endIndex, pattern[p] == star { p += 1 }
        return p == pattern.endIndex
    }

    /// If the pattern element at `p` (not `*`) matches `unit`, the index after that element.
    private static func matchOne(_ pattern: ArraySlice<UInt32>, at p: Int, _ unit: UInt32) -> Int? {
        switch pattern[p] {
        case question:
            return p + 1
        case escape:
            return p + 1 < pattern.endIndex && pattern[p + 1] == unit ? p + 2 : nil
        case open:
            var i = p + 1
            let negated = i < pattern.endIndex && (pattern[i] == UInt32(UInt8(ascii: "!")) || pattern[i] == UInt32(UInt8(ascii: "^")))
            if negated { i += 1 }
            var found = false
            var first = true
            while i < pattern.endIndex, pattern[i] != close || first {
                first = false
                var low = pattern[i]
                if low == escape, i + 1 < pattern.endIndex { i += 1; low = pattern[i] }
                var high = low
                if i + 2 < pattern.endIndex, pattern[i + 1] == dash, pattern[i + 2] != close {
                    high = pattern[i + 2]
                    if high == escape, i + 3 < pattern.endIndex { high = pattern[i + 3]; i += 1 }
                    i += 2
                }
                if low <= unit, unit <= high { found = true }
                i += 1
            }
            guard i < pattern.endIndex else { return nil }
            return found != negated ? i + 1 : nil
        default:
            return pattern[p] == unit ? p + 1 : nil
        }
    }

    /// Whether every `[` has its `]` and no `\` ends the component.
    private static func isWellFormed(_ units: [UInt32]) -> Bool {
        var i = 0
        while i < units.count {
            switch units[i] {
            case escape:
                guard i + 1 < units.count else { return false }
                i += 2
            case open:
                var j = i + 1
                if j < units.count, units[j] == UInt32(UInt8(ascii: "!")) || units[j] == UInt32(UInt8(ascii: "^")) { j += 1 }
                if j < units.count, units[j] == close { j += 1 }  // a leading ']' is a member
                while j < units.count, units[j] != close {
                    if units[j] == escape { j += 1 }
                    j += 1
                }
                guard j < units.count else { return false }
                i = j + 1
            default:
                i += 1
            }
        }
        return true
    }

    /// Unicode scalars where the bytes are valid UTF-8; any other byte becomes a unit of its
    /// own above the scalar range, so it matches only itself (or `?`, `*`).
    static func units(of bytes: [UInt8]) -> [UInt32] {
        if let text = String(validating: bytes, as: UTF8.self) { return text.unicodeScalars.map(\.value) }
        var units: [UInt32] = []
        var index = 0
        while index < bytes.count {
            var taken = false
            for length in stride(from: min(4, bytes.count - index), through: 1, by: -1) {
                if let piece = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
                    units.append(contentsOf: piece.unicodeScalars.map(\.value))
                    index += length
                    taken = true
                    break
                }
            }
            if !taken {
                units.append(0x11_0000 + UInt32(bytes[index]))
                index += 1
            }
        }
        return units
    }
}
