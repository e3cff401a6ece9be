/// An object named by a path-like string (`data/3f/3f9a….stratum`) and its size.
public struct ObjectInfo: Hashable, Sendable {
    public let name: String
    public let size: Int

    public init(name: String, size: Int) {
        self.name = name
        self.size = size
    }
}

/// Where a basin's objects live: a local directory, memory, or an S3 bucket.
///
/// The store relies on nothing more than this: objects are written once, whole and atomically
/// (a reader never sees a partial object), never overwritten, read whole or by byte range,
/// listed by prefix and deleted. No rename and no compare-and-swap, so S3 can implement it.
/// Every method throws ``BasinError`` naming the object: `.notFound` for a missing object,
/// `.alreadyExists` when writing a name that exists, `.noSpace` for a full disk,
/// `.unavailable` for a transient failure.
public protocol Backend: Sendable {
    /// A human name for errors and logs (`/srv/basin`, `s3:http://host/bucket/prefix`).
    var location: String { get }

    /// Every object whose name starts with `prefix`, in no particular order.
    func list(prefix: String) async throws(BasinError) -> [ObjectInfo]

    /// The whole object.
    func read(_ name: String) async throws(BasinError) -> [UInt8]

    /// Bytes `range` of the object; a range past its end is `.corrupted` (short object).
    func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8]

    /// Size of the object, or nil when it does not exist.
    func stat(_ name: String) async throws(BasinError) -> ObjectInfo?

    /// Writes a new object atomically and durably; fails with `.alreadyExists` if `name` exists.
    func write(_ name: String, bytes: [UInt8]) async throws(BasinError)

    /// Starts a streamed write of a new object, for values too large to hold in memory.
    func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload

    /// Deletes the object; deleting a missing object is not an error.
    func delete(_ name: String) async throws(BasinError)
}

/// A new object being written piece by piece: invisible to readers until `commit`.
public protocol ObjectUpload: Sendable {
    func append(_ bytes: [UInt8]) async throws(BasinError)
    /// Makes the object visible, durably, under its name.
    func commit() async throws(BasinError)
    /// Discards everything written; the name stays free.
    func abort() async
}

/// A backend whose objects are plain local files, which the index can memory-map directly.
public protocol LocalFileBackend: Backend {
    /// The file holding object `name` (which may not exist).
    func localPath(of name: String) -> String
}
