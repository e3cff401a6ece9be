import BasinBackend
import BasinCore
import Synchronization

/// The basin's index: key → (stratum, offset, length, kind, plain length) for every copy of
/// every grain, and a record of each stratum (lane, size, grain count), over a set of immutable
/// segments. It is a full inventory of the strata, so prune planning, structural checks and
/// `stats` read the index lane and not the strata (the data lane may be in cold storage).
///
/// Each committed stratum adds a small segment (``addSegment(entries:strata:)``); segments are
/// merged like LSM runs when they pile up (``mergeIfNeeded(maxSegments:)``). The index is a
/// cache (docs/ARCHITECTURE.md, invariant 4): it can always be rebuilt from the strata
/// (``rebuild(from:)``), so a segment that cannot be opened is skipped and reported in
/// ``problems``, and the strata it covered show up as missing from ``coveredStrata``.
///
/// Segments are objects `index/<16 lowercase hex digits>.seg` (docs/FORMAT.md, "Index
/// segment"), memory-mapped when the backend is a ``LocalFileBackend`` and read into memory
/// otherwise. Lookups are synchronous and lock only to copy the list of segments; merges and
/// additions swap that list, and a segment stays mapped while any lookup still uses it.
public final class SegmentedIndex: Sendable {
    /// A segment that could not be used, and why.
    public struct Problem: Sendable, CustomStringConvertible {
        /// The segment's object name.
        public let name: String
        /// What went wrong (`.corrupted`, `.notFound`, `.unavailable`…).
        public let error: BasinError

        public var description: String { "\(name): \(error)" }

        /// Whether the segment is whole but of an older format version (a basin written
        /// before the current one): replaced at open, not a sign of damage. Version 0 never
        /// existed: a segment saying so is damaged (a flipped bit), and is named as such.
        public var isOlderFormat: Bool {
            guard case .unsupportedVersion(_, let version)? = error.underlying as? CodecError else { return false }
            return (1..<Int(IndexSegmentCodec.version)).contains(version)
        }
    }

    /// Sizes of the index, for `stats` output and benchmarks.
    public struct Statistics: Hashable, Sendable {
        /// Segments in use.
        public var segments: Int
        /// Entries over all segments (a key present in several segments counts each time).
        public var entries: Int
        /// Bytes of all segments, mapped or held in memory.
        public var bytesMapped: Int
        /// Distinct strata the segments cover.
        public var coveredStrata: Int
    }

    /// The prefix of every segment object.
    public static let directory = "index/"
    /// Bytes handed to the backend at a time when streaming a segment out.
    static let uploadChunkSize = 1 << 20

    struct State {
        /// Oldest first; lookups search newest first.
        var segments: [MappedSegment] = []
        var problems: [Problem] = []
        var isMerging = false
        /// Each covered stratum's record, from the newest segment covering it.
        var strata: [UInt64: IndexedStratum] = [:]
        /// Counts changes of ``segments``.
        var generation = 0

        mutating func replaceSegments(_ segments: [MappedSegment]) {
            self.segments = segments
            generation += 1
            strata = [:]
            for segment in segments {
                for record in segment.strata { strata[record.id] = record }
            }
        }
    }

    /// Where the segments live.
    public let backend: any Backend
    let state: Mutex<State>

    private init(backend: any Backend, segments: [MappedSegment], problems: [Problem]) {
        self.backend = backend
        var state = State(problems: problems)
        state.replaceSegments(segments)
        self.state = Mutex(state)
    }

    /// Opens every segment under `index/`.
    ///
    /// Only headers, trailers and covered strata are read, so this is fast whatever the size.
    /// A segment that cannot be opened is left out and listed in ``problems``. Segments found
    /// are searched largest last (merged segments hold older entries).
    /// - Parameter backend: Where the segments live.
    /// - Returns: The index.
    /// - Throws: ``BasinError`` from listing `index/` (a single bad segment does not throw).
    public static func open(backend: any Backend) async throws(BasinError) -> SegmentedIndex {
        let names = try await backend.list(prefix: directory).map(\.name).filter(isSegmentName).sorted()
        var segments: [MappedSegment] = []
        var problems: [Problem] = []
        for name in names {
            do {
                segments.append(try await openSegment(name, backend: backend))
            } catch {
                problems.append(Problem(name: name, error: error))
            }
        }
        segments.sort { $0.count > $1.count }
        return SegmentedIndex(backend: backend, segments: segments, problems: problems)
    }

    /// An entry for `key`, searching the newest segments first.
    /// - Parameter key: The key sought.
    /// - Returns: Where a copy of the grain was indexed, or nil. Not proof: the reader checks the grain.
    /// - Complexity: O(s · log log n) expected for s segments of n entries.
    public func lookup(_ key: Key) -> IndexEntry? {
        let segments = state.withLock { $0.segments }
        for segment in segments.reversed() {
            if let entry = segment.lookup(key) { return entry }
        }
        return nil
    }

    /// The strata whose grains are indexed; strata not in this set must be indexed again.
    public var coveredStrata: Set<UInt64> { state.withLock { Set($0.strata.keys) } }

    /// The record of every covered stratum, by id.
    public var strata: [UInt64: IndexedStratum] { state.withLock { $0.strata } }

    /// Changes whenever the segments in use change (added, merged, dropped, reloaded): a read
    /// that failed under an older generation may succeed under the current one.
    public var generation: Int { state.withLock { $0.generation } }

    /// Verifies every segment in use (each is read whole once per process) and stops using
    /// those that fail: they move to ``problems``, and the strata no other segment covers drop
    /// out of ``coveredStrata``, to be indexed again from the strata.
    /// - Returns: the segments this call found damaged.
    public func dropDamagedSegments() -> [Problem] {
        var damaged: [Problem] = []
        for segment in segments {
            do {
                try segment.verifyOnce()
            } catch {
                damaged.append(Problem(name: segment.name, error: error))
            }
        }
        guard !damaged.isEmpty else { return [] }
        let names = Set(damaged.map(\.name))
        return state.withLock { state in
            // Another caller may have dropped some meanwhile: report each segment once.
            let inUse = Set(state.segments.map(\.name))
            let dropped = damaged.filter { inUse.contains($0.name) }
            state.replaceSegments(state.segments.filter { !names.contains($0.name) })
            state.problems += dropped
            return dropped
        }
    }

    /// Segments that could not be opened or failed verification before a merge.
    public var problems: [Problem] { state.withLock { $0.problems } }

    /// The segments in use, oldest first (for `check`, which verifies each).
    package var segments: [MappedSegment] { state.withLock { $0.segments } }

    /// Counts of segments, entries, bytes and covered strata.
    public var statistics: Statistics {
        state.withLock { state in
            Statistics(segments: state.segments.count,
                       entries: state.segments.reduce(0) { $0 + $1.count },
                       bytesMapped: state.segments.reduce(0) { $0 + $1.byteCount },
                       coveredStrata: state.strata.count)
        }
    }

    /// Writes a new segment for freshly committed strata and starts using it.
    /// - Parameters:
    ///   - entries: Every grain of those strata, in any order.
    ///   - strata: The records of the strata the entries come from, including any without grains.
    /// - Throws: ``BasinError``: `.invalidArgument` for an entry whose length or kind does not
    ///   fit the format, or whatever the backend throws writing or reading the segment.
    public func addSegment(entries: [IndexEntry], strata: [IndexedStratum]) async throws(BasinError) {
        guard !entries.isEmpty || !strata.isEmpty else { return }
        let unique = IndexSegmentCodec.sortedUnique(entries)
        let segment = try await writeSegment(entryCount: unique.count, strata: strata, entries: unique)
        state.withLock { $0.replaceSegments($0.segments + [segment]) }
    }

    /// Replaces the whole index by one segment built from the strata's own indexes.
    ///
    /// Writes the new segment first, then deletes every other segment object: a crash in
    /// between leaves old segments beside the new one, which is harmless. Not meant to run
    /// concurrently with ``mergeIfNeeded(maxSegments:)``.
    /// - Parameter strata: Every stratum's record with its grains' entries.
    /// - Throws: ``BasinError`` as ``addSegment(entries:strata:)``, or from deleting.
    public func rebuild(from strata: [(record: IndexedStratum, entries: [IndexEntry])]) async throws(BasinError) {
        let unique = IndexSegmentCodec.sortedUnique(strata.flatMap(\.entries))
        let segment = try await writeSegment(entryCount: unique.count, strata: strata.map(\.record), entries: unique)
        state.withLock { state in
            state.replaceSegments([segment])
            state.problems = []
        }
        for object in try await backend.list(prefix: Self.directory) where Self.isSegmentName(object.name) && object.name != segment.name {
            try await backend.delete(object.name)
        }
    }

    /// Deletes segments that could not be used, once their strata are indexed again.
    /// - Parameter problems: Some of ``problems``.
    /// - Throws: ``BasinError`` from deleting.
    public func discard(_ problems: [Problem]) async throws(BasinError) {
        guard !problems.isEmpty else { return }
        for problem in problems { try await backend.delete(problem.name) }
        let names = Set(problems.map(\.name))
        state.withLock { $0.problems.removeAll { names.contains($0.name) } }
    }

    /// Streams a segment out to a new object, then opens it.
    func writeSegment(entryCount: Int, strata: [IndexedStratum], entries: some Sequence<IndexEntry>) async throws(BasinError) -> MappedSegment {
        let name = Self.newSegmentName()
        let encoder: IndexSegmentStreamEncoder
        do {
            encoder = try IndexSegmentStreamEncoder(entryCount: entryCount, strata: strata)
        } catch {
            throw BasinError(.invalidArgument, "cannot encode index segment \(name)", underlying: error)
        }
        let upload = try await backend.beginWrite(name)
        do {
            for entry in entries {
                try encoder.append(entry)
                if encoder.pendingByteCount >= Self.uploadChunkSize { try await upload.append(encoder.takePending()) }
            }
            try await upload.append(encoder.finish())
            try await upload.commit()
        } catch {
            await upload.abort()
            if let error = error as? BasinError { throw error }
            throw BasinError(.invalidArgument, "cannot encode index segment \(name)", underlying: error)
        }
        return try await Self.openSegment(name, backend: backend)
    }

    static func openSegment(_ name: String, backend: any Backend) async throws(BasinError) -> MappedSegment {
        if let local = backend as? any LocalFileBackend {
            return try MappedSegment(mapping: local.localPath(of: name), name: name)
        }
        return try MappedSegment(bytes: try await backend.read(name), name: name)
    }

    /// `index/<anything without a slash>.seg`.
    static func isSegmentName(_ name: String) -> Bool {
        guard name.hasPrefix(directory), name.hasSuffix(".seg") else { return false }
        return !name.dropFirst(directory.count).contains("/")
    }

    static func newSegmentName() -> String {
        let digits = String(UInt64.random(in: .min ... .max), radix: 16)
        return directory + String(repeating: "0", count: 16 - digits.count) + digits + ".seg"
    }
}
