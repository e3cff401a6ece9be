/// The rules every backend applies to object names and list prefixes.
///
/// A name is a slash-separated relative path (`config`, `keys/ab12…`, `data/3f/3f9a….stratum`).
/// It must be non-empty, relative, free of NUL, of empty segments and of `.`/`..` segments, and
/// no segment may start with `.tmp-`, the prefix the local backend keeps for its temporaries.
/// Checking names in every backend keeps their behaviour identical and keeps a local name
/// from ever escaping the basin's directory.
package enum ObjectName {
    /// The file-name prefix of a local backend's temporary files.
    package static let temporaryPrefix = ".tmp-"

    /// Checks an object name.
    ///
    /// - Parameter name: The name to check.
    /// - Throws: `.invalidArgument` naming the object and the rule it breaks.
    package static func validate(_ name: String) throws(BasinError) {
        guard !name.isEmpty else {
            throw BasinError(.invalidArgument, "invalid object name '': empty")
        }
        try validatePath(name, what: "object name")
    }

    /// Checks a list prefix: like a name, except that it may be empty and may end with `/`;
    /// its last segment may be partial (`data/3f/3f9`).
    ///
    /// - Parameter prefix: The prefix to check.
    /// - Throws: `.invalidArgument` naming the prefix.
    package static func validatePrefix(_ prefix: String) throws(BasinError) {
        if prefix.isEmpty { return }
        let whole = prefix.hasSuffix("/")
        let trimmed = whole ? String(prefix.dropLast()) : prefix
        guard !trimmed.isEmpty else {
            throw BasinError(.invalidArgument, "invalid list prefix '\(prefix)': absolute")
        }
        try validatePath(trimmed, what: "list prefix", original: prefix, lastMayBePartial: !whole)
    }

    private static func validatePath(
        _ path: String, what: String, original: String? = nil, lastMayBePartial: Bool = false
    ) throws(BasinError) {
        let shown = original ?? path
        func reject(_ reason: String) -> BasinError {
            BasinError(.invalidArgument, "invalid \(what) '\(shown.replacingNUL())': \(reason)")
        }
        if path.utf8.contains(0) { throw reject("contains NUL") }
        if path.hasPrefix("/") { throw reject("absolute") }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            if segment.isEmpty { throw reject("empty segment") }
            // A partial last segment of a prefix may be `.` or `..` only as the start of a
            // longer name, which is harmless: nothing is resolved from a prefix's last segment.
            if (segment == "." || segment == "..") && !(isLast && lastMayBePartial) {
                throw reject("'\(segment)' segment")
            }
            if segment.hasPrefix(temporaryPrefix) { throw reject("'\(temporaryPrefix)' is reserved") }
        }
    }
}

extension String {
    /// The string with NUL shown as `\0`, so an error message stays one printable line.
    fileprivate func replacingNUL() -> String {
        String(decoding: utf8.flatMap { $0 == 0 ? Array("\\0".utf8) : [$0] }, as: UTF8.self)
    }
}
