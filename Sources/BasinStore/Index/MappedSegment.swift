import BasinBackend
import BasinCore
import Synchronization
import SystemPackage

/// One index segment, opened for lookups: a memory-mapped local file or a copy in memory.
///
/// Opening reads only the header, the trailer and the covered stratum ids (O(1) pages); a
/// lookup touches a few pages of the entries. What a lookup returns is only a hint: a corrupt
/// entry can at worst point at a wrong place (which the grain reader's key and AEAD checks
/// catch) or hide a key. So the whole segment is verified (``verifyOnce()``) before anything
/// is concluded from it: when a read it directed fails, and before an inventory.
/// The format is in docs/FORMAT.md, "Index segment".
package final class MappedSegment: Sendable {
    /// The segment's object name (`index/<16 hex digits>.seg`).
    package let name: String
    /// Where its regions lie.
    package let layout: IndexSegmentLayout
    /// The strata whose grains this segment indexes (every copy of every grain), ascending by id.
    package let strata: [IndexedStratum]
    /// The ids of ``strata``, ascending.
    package var coveredStrata: [UInt64] { strata.map(\.id) }
    let memory: SegmentMemory
    /// Whether ``verify()`` passed once: the bytes never change, so once is enough.
    private let isVerified = Atomic<Bool>(false)

    private init(name: String, memory: SegmentMemory) throws(BasinError) {
        self.name = name
        self.memory = memory
        do {
            layout = try IndexSegmentCodec.layout(of: memory.bytes)
            strata = try IndexSegmentCodec.strata(of: memory.bytes, layout: layout)
        } catch {
            throw BasinError(.corrupted, "index segment \(name) is corrupt", underlying: error)
        }
    }

    /// Maps a local segment file.
    /// - Parameters:
    ///   - path: The file.
    ///   - name: The segment's object name, for errors.
    /// - Throws: ``BasinError``: `.notFound` when the file is missing, `.unavailable` when it
    ///   cannot be mapped, `.corrupted` when its header or size is wrong.
    package convenience init(mapping path: String, name: String) throws(BasinError) {
        let memory: SegmentMemory
        do {
            memory = try SegmentMemory(mapping: path)
        } catch {
            throw BasinError(error == .noSuchFileOrDirectory ? .notFound : .unavailable,
                             "cannot map index segment \(name) at \(path)", underlying: error)
        }
        try self.init(name: name, memory: memory)
    }

    /// Opens a segment from its bytes (for backends that are not local files).
    /// - Parameters:
    ///   - bytes: The whole segment.
    ///   - name: The segment's object name, for errors.
    /// - Throws: ``BasinError`` `.corrupted` when its header or size is wrong.
    package convenience init(bytes: [UInt8], name: String) throws(BasinError) {
        try self.init(name: name, memory: SegmentMemory(copying: bytes))
    }

    /// Number of entries.
    package var count: Int { layout.entryCount }

    /// Size of the segment in bytes (mapped or held in memory).
    package var byteCount: Int { memory.bytes.count }

    private var entryRegion: UnsafeRawBufferPointer { IndexSegmentCodec.entries(of: memory.bytes, layout: layout) }

    /// An entry for `key` (any copy's, when several strata hold it), or nil.
    /// - Complexity: O(log log n) expected probes, O(log n) at worst.
    package func lookup(_ key: Key) -> IndexEntry? {
        let region = entryRegion
        guard let index = IndexSegmentCodec.search(key, in: region) else { return nil }
        return IndexSegmentCodec.entry(at: index, in: region)
    }

    /// Checks the trailer checksum and the order of the entries, reading every byte.
    /// - Throws: ``BasinError`` `.corrupted` naming the segment, with the ``CodecError`` (and its offset).
    package func verify() throws(BasinError) {
        do {
            try IndexSegmentCodec.verify(memory.bytes, layout: layout)
        } catch {
            throw BasinError(.corrupted, "index segment \(name) is corrupt", underlying: error)
        }
    }

    /// ``verify()``, unless it already passed on this segment.
    /// - Throws: as ``verify()``.
    package func verifyOnce() throws(BasinError) {
        guard !isVerified.load(ordering: .acquiring) else { return }
        try verify()
        isVerified.store(true, ordering: .releasing)
    }

    /// The entries in key order.
    package var entries: Entries { Entries(segment: self) }

    /// A segment's entries in key order, read on demand from the mapping.
    package struct Entries: RandomAccessCollection, Sendable {
        let segment: MappedSegment

        package var startIndex: Int { 0 }
        package var endIndex: Int { segment.count }

        /// Entry `position`, which must be in `startIndex ..< endIndex`.
        package subscript(position: Int) -> IndexEntry {
            guard let entry = IndexSegmentCodec.entry(at: position, in: segment.entryRegion) else {
                preconditionFailure("index segment entry \(position) out of range 0..<\(segment.count)")
            }
            return entry
        }
    }
}
