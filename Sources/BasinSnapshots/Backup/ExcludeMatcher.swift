#if canImport(Glibc)
import Glibc
#endif

/// Decides which paths a backup leaves out, with restic's pattern rules: `*`, `?` and
/// `[...]` match within one path component, `**` matches any number of components, and a
/// pattern not starting with `/` may match at any depth (as if it began with `**/`). A
/// pattern matching a directory excludes everything below it.
public struct ExcludeMatcher: Sendable {
    struct Pattern: Sendable {
        let components: [[UInt8]]
        let caseInsensitive: Bool
    }

    private let patterns: [Pattern]

    /// - Parameters:
    ///   - patterns: matched as given.
    ///   - caseInsensitive: matched ignoring ASCII case (`--iexclude`).
    public init(patterns: [String], caseInsensitive: [String] = []) {
        self.patterns = patterns.compactMap { Self.compile($0, caseInsensitive: false) }
            + caseInsensitive.compactMap { Self.compile($0, caseInsensitive: true) }
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Patterns from an exclude file: one a line; blank lines and lines starting with `#` skipped.
    public static func patterns(fromFile text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    private static func compile(_ text: String, caseInsensitive: Bool) -> Pattern? {
        var pattern = text
        while pattern.count > 1, pattern.hasSuffix("/") { pattern.removeLast() }
        guard !pattern.isEmpty else { return nil }
        var components = pattern.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.utf8) }
        if !pattern.hasPrefix("/") { components.insert(Array("**".utf8), at: 0) }
        if caseInsensitive { components = components.map(lowercased) }
        return Pattern(components: components, caseInsensitive: caseInsensitive)
    }

    /// Whether the absolute path (components from the root) is excluded.
    public func excludes(_ path: [[UInt8]]) -> Bool {
        guard !patterns.isEmpty else { return false }
        let lowered = patterns.contains(where: \.caseInsensitive) ? path.map(lowercased) : []
        return patterns.contains { pattern in
            Self.match(pattern.components[...], pattern.caseInsensitive ? lowered[...] : path[...])
        }
    }

    /// Whether `pattern` matches all of `path`.
    private static func match(_ pattern: ArraySlice<[UInt8]>, _ path: ArraySlice<[UInt8]>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == Array("**".utf8) {
            let rest = pattern.dropFirst()
            var remaining = path
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let component = path.first, matchComponent(first, component) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    private static func matchComponent(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        var cPattern = pattern
        cPattern.append(0)
        var cName = name
        cName.append(0)
        return cPattern.withUnsafeBufferPointer { patternBuffer in
            cName.withUnsafeBufferPointer { nameBuffer in
                patternBuffer.withMemoryRebound(to: CChar.self) { p in
                    nameBuffer.withMemoryRebound(to: CChar.self) { n in
                        fnmatch(p.baseAddress!, n.baseAddress!, 0) == 0
                    }
                }
            }
        }
    }
}

private func lowercased(_ bytes: [UInt8]) -> [UInt8] {
    bytes.map { (65...90).contains($0) ? $0 + 32 : $0 }
}
