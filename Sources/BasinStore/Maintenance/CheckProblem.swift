/// One problem `basin check` found, naming the object concerned.
public struct CheckProblem: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        case config
        case keyFile = "key_file"
        /// A stratum's header, footer or index grain.
        case stratum
        /// An index segment that cannot be used.
        case indexSegment = "index_segment"
        /// The index and the strata disagree.
        case index
        /// A grain that fails its checks when read (`--read-data`).
        case data
        /// A snapshot ref or snapshot grain.
        case snapshot
        /// A tree that cannot be read or decoded, or whose entries are inconsistent.
        case tree
        /// A key a snapshot reaches that the basin does not hold.
        case missing
        /// A clast that cannot be read, or that disagrees with its chunks.
        case clast
        /// A root record (stored values, names) that cannot be read or decoded.
        case roots
    }

    public let kind: Kind
    /// The object: `data/3f/3f….stratum`, `index/….seg`, `keys/…`, `snapshot 1a2b3c4d`, a key.
    public let object: String
    /// A path in the snapshot, for problems found below a snapshot's root.
    public let path: String?
    public let message: String

    public init(_ kind: Kind, object: String, path: String? = nil, _ message: String) {
        self.kind = kind
        self.object = object
        self.path = path
        self.message = message
    }

    public var description: String {
        if let path { return "\(object): \(path): \(message)" }
        return "\(object): \(message)"
    }
}

/// What `basin check` reads beyond the structure.
public enum DataSelection: Sendable, Equatable {
    /// Nothing: no grain payload of the data lane is read.
    case none
    /// Every stratum of both lanes.
    case all
    /// Subset `n` of `m` (1-based), chosen by stratum id, so `1/5` … `5/5` together read all.
    case group(Int, of: Int)
    /// About this fraction (0 < f ≤ 1) of the strata, at random (at least one).
    case fraction(Double)
}
