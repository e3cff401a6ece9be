import BasinBackend
extension SegmentedIndex {
    /// Opens the segments under `index/` again, replacing those in use: another process may
    /// have added, merged or rewritten segments since this index was opened.
    /// - Throws: ``BasinError`` from listing `index/` (a bad segment is listed in ``problems``).
    public func reload() async throws(BasinError) {
        let fresh = try await SegmentedIndex.open(backend: backend)
        let (segments, problems) = fresh.state.withLock { ($0.segments, $0.problems) }
        state.withLock { state in
            state.replaceSegments(segments)
            state.problems = problems
        }
    }
}
