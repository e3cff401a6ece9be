import BasinBackend
import BasinStore
import Foundation

/// Decides which paths a backup leaves out: `PathPattern`s (restic's rules, shared with
/// restore's `--include`/`--exclude`), some of them matched ignoring ASCII case (`--iexclude`).
/// A pattern matching a directory excludes everything below it.
public struct ExcludeMatcher: Sendable {
    private let patterns: [PathPattern]
    private let caseInsensitive: [PathPattern]

    /// - Throws: `.invalidArgument` naming a malformed pattern.
    public init(patterns: [String], caseInsensitive: [String] = []) throws(BasinError) {
        self.patterns = try patterns.map { text throws(BasinError) in try PathPattern(text) }
        self.caseInsensitive = try caseInsensitive.map { text throws(BasinError) in try PathPattern(text.lowercased()) }
    }

    public var isEmpty: Bool { patterns.isEmpty && caseInsensitive.isEmpty }

    /// Patterns from an exclude file: one a line; blank lines and lines starting with `#` skipped.
    public static func patterns(fromFile text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// Whether the absolute path (components from the root) is excluded.
    public func excludes(_ path: [[UInt8]]) -> Bool {
        if patterns.contains(where: { $0.matches(path) }) { return true }
        guard !caseInsensitive.isEmpty else { return false }
        let lowered = path.map { $0.map { (65...90).contains($0) ? $0 + 32 : $0 } }
        return caseInsensitive.contains { $0.matches(lowered) }
    }
}
