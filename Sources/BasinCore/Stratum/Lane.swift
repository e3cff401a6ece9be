/// A stream of strata of one type. Raw values are stored in stratum headers (docs/FORMAT.md).
public enum Lane: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// File content: chunks and small values.
    case data = 0
    /// Clasts, trees, snapshot records.
    case meta = 1
    /// Index segments (not strata: see docs/FORMAT.md, "Index segments").
    case index = 2

    /// The folder of the lane's objects in a basin.
    public var folder: String {
        switch self {
        case .data: "data"
        case .meta: "meta"
        case .index: "index"
        }
    }

    public var description: String { folder }
}

/// What a grain holds. Raw values are stored in grain frames and index entries (4 bits).
public enum GrainKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A whole small value, or one chunk of a large one.
    case blob = 1
    /// The chunk list of a value larger than one chunk.
    case clast = 2
    /// A directory of a snapshot.
    case tree = 3
    /// A snapshot record.
    case snapshot = 4
    /// The last grain of a stratum: where every other grain is.
    case index = 15

    /// The lane whose strata hold grains of this kind.
    public var lane: Lane {
        switch self {
        case .blob: .data
        case .clast, .tree, .snapshot: .meta
        case .index: .index
        }
    }

    public var description: String {
        switch self {
        case .blob: "blob"
        case .clast: "clast"
        case .tree: "tree"
        case .snapshot: "snapshot"
        case .index: "index"
        }
    }
}
