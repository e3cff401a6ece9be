import BasinBackend
import BasinCore

extension SegmentedIndex {
    /// Merges the smallest segments into one when there are more than `maxSegments`.
    ///
    /// Size-tiered: it takes the fewest smallest segments that bring the count back to
    /// `maxSegments`, then keeps adding the next smallest while that one is no larger than
    /// all taken so far together, so entries are rewritten O(log n) times overall rather than
    /// on every merge. Inputs are verified (trailer checksum, key order) first; one that fails
    /// is dropped from the index, deleted and reported in ``problems`` (the index is a cache:
    /// its strata leave ``coveredStrata`` and get indexed again). The merge streams: a first
    /// pass counts the distinct entries (the header needs the count), a second writes the merged
    /// segment in 1 MiB pieces, so memory stays bounded whatever the inputs' sizes.
    ///
    /// The merged segment is written before the inputs are deleted. A crash in between leaves
    /// both, which is harmless: they hold the same entries, lookups find either, and the next
    /// merge folds them together.
    /// - Parameter maxSegments: The most segments to keep without merging (at least 1).
    /// - Returns: Whether the set of segments changed.
    /// - Throws: ``BasinError``: `.invalidArgument` for `maxSegments` < 1, or what the backend
    ///   throws; on an error the index keeps using its inputs.
    @discardableResult
    public func mergeIfNeeded(maxSegments: Int = 8) async throws(BasinError) -> Bool {
        guard maxSegments >= 1 else { throw BasinError(.invalidArgument, "maxSegments must be at least 1, not \(maxSegments)") }
        let picked: [MappedSegment]? = state.withLock { state in
            guard !state.isMerging, state.segments.count > maxSegments else { return nil }
            state.isMerging = true
            let positions = Self.mergeSelection(counts: state.segments.map(\.count), maxSegments: maxSegments)
            return positions.map { state.segments[$0] }
        }
        guard let picked else { return false }
        defer { state.withLock { $0.isMerging = false } }

        var inputs: [MappedSegment] = []
        var corrupt: [(segment: MappedSegment, error: BasinError)] = []
        for segment in picked {
            do { try segment.verifyOnce(); inputs.append(segment) } catch { corrupt.append((segment, error)) }
        }
        if !corrupt.isEmpty { try await drop(corrupt) }
        guard inputs.count >= 2 else { return !corrupt.isEmpty }

        let merged = try await writeSegment(entryCount: SegmentMergeIterator.count(inputs),
                                            strata: inputs.flatMap(\.strata),
                                            entries: IteratorSequence(SegmentMergeIterator(inputs)))
        state.withLock { state in
            let replaced = Set(inputs.map(ObjectIdentifier.init))
            let newest = ObjectIdentifier(inputs[inputs.count - 1])
            // The merged segment takes its newest input's place in the search order.
            state.replaceSegments(state.segments.compactMap { segment in
                let id = ObjectIdentifier(segment)
                return id == newest ? merged : replaced.contains(id) ? nil : segment
            })
        }
        for input in inputs { try await backend.delete(input.name) }
        return true
    }

    /// Which segments to merge: positions into `counts` (entries per segment), ascending.
    /// - Parameters:
    ///   - counts: Entries per segment, in search order.
    ///   - maxSegments: The most segments to keep.
    /// - Returns: At least `counts.count - maxSegments + 1` positions (and at least 2), or
    ///   none when no merge is needed.
    static func mergeSelection(counts: [Int], maxSegments: Int) -> [Int] {
        guard counts.count > maxSegments else { return [] }
        let bySize = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] < counts[$1] : $0 < $1 }
        var taken = max(2, counts.count - maxSegments + 1)
        var total = bySize.prefix(taken).reduce(0) { $0 + counts[$1] }
        while taken < bySize.count, counts[bySize[taken]] <= total {
            total += counts[bySize[taken]]
            taken += 1
        }
        return bySize.prefix(taken).sorted()
    }

    /// Removes segments that failed verification from the index and the backend.
    private func drop(_ corrupt: [(segment: MappedSegment, error: BasinError)]) async throws(BasinError) {
        let ids = Set(corrupt.map { ObjectIdentifier($0.segment) })
        state.withLock { state in
            state.replaceSegments(state.segments.filter { !ids.contains(ObjectIdentifier($0)) })
            state.problems += corrupt.map { Problem(name: $0.segment.name, error: $0.error) }
        }
        for (segment, _) in corrupt { try await backend.delete(segment.name) }
    }
}
