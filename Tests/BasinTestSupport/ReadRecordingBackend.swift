import BasinCore
import BasinStore
import Synchronization

/// A ``Backend`` decorator that records every read: the object and the byte range (nil for a
/// whole object). Tests use it to prove what an operation read, e.g. that `check` or prune's
/// planning never touches grain payloads of the data lane.
public final class ReadRecordingBackend: Backend {
    public struct Read: Sendable, Equatable {
        public let name: String
        /// nil when the whole object was read.
        public let range: Range<Int>?
    }

    public let inner: any Backend
    private let recorded = Mutex<[Read]>([])

    public init(wrapping inner: any Backend) {
        self.inner = inner
    }

    public var location: String { inner.location }

    /// Every read so far, in order.
    public var reads: [Read] { recorded.withLock { $0 } }

    public func reset() { recorded.withLock { $0.removeAll() } }

    /// The reads of strata that reach into their grains (between the 64-byte header and the
    /// index grain), given each stratum's grain region from an inventory.
    public func payloadReads(_ inventory: StratumInventory) -> [Read] {
        var regions: [String: Range<Int>] = [:]
        for stratum in inventory.strata {
            regions[stratum.name] = StratumHeader.size..<(StratumHeader.size + stratum.grainBytes)
        }
        return reads.filter { read in
            guard read.name.hasSuffix(StratumName.suffix) else { return false }
            guard let range = read.range else { return true }
            guard let region = regions[read.name] else { return true }
            return range.overlaps(region)
        }
    }

    public func list(prefix: String) async throws(BasinError) -> [ObjectInfo] { try await inner.list(prefix: prefix) }

    public func read(_ name: String) async throws(BasinError) -> [UInt8] {
        recorded.withLock { $0.append(Read(name: name, range: nil)) }
        return try await inner.read(name)
    }

    public func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        recorded.withLock { $0.append(Read(name: name, range: range)) }
        return try await inner.read(name, range: range)
    }

    public func stat(_ name: String) async throws(BasinError) -> ObjectInfo? { try await inner.stat(name) }
    public func write(_ name: String, bytes: [UInt8]) async throws(BasinError) { try await inner.write(name, bytes: bytes) }
    public func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload { try await inner.beginWrite(name) }
    public func delete(_ name: String) async throws(BasinError) { try await inner.delete(name) }
}
