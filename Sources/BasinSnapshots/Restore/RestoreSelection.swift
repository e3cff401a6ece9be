/// Which entries of a snapshot a restore takes, from its include and exclude patterns.
struct RestoreSelection: Sendable {
    enum Decision: Equatable {
        /// Restore the entry (and, for a directory, look at everything inside).
        case restore
        /// A directory not selected itself, but something inside may be: walk into it, and
        /// create it only if something inside is restored.
        case searchInside
        case skip
    }

    let includes: [PathPattern]
    let excludes: [PathPattern]

    /// - Parameters:
    ///   - path: the entry's components from the snapshot's root.
    ///   - ancestorSelected: whether a directory above was selected by an include, which
    ///     selects everything inside it.
    func decide(_ path: [[UInt8]], isDirectory: Bool, ancestorSelected: Bool) -> Decision {
        if excludes.contains(where: { $0.matches(path) }) { return .skip }
        if includes.isEmpty || ancestorSelected || includes.contains(where: { $0.matches(path) }) { return .restore }
        if isDirectory, includes.contains(where: { $0.mayMatchInside(path) }) { return .searchInside }
        return .skip
    }
}
