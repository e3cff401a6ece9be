import BasinBackend
import BasinCore

/// A basin: the content-addressed store. Values go in with `put` and come back with `get`
/// under the key that is their (keyed) BLAKE3 hash.
///
/// Small values become one grain in the `data` lane; a value cut into several chunks becomes
/// one grain per chunk plus a clast in the `meta` lane. Grains are sealed into strata, which
/// are committed when full and on `flush()`: a value is durable once a `flush()` after its
/// `put` has returned. Writes are refused after a failed commit (the cause is rethrown).
public actor Basin {
    public nonisolated let config: BasinConfig
    /// Where the basin lives (its config, keys, meta and index lanes).
    public nonisolated let backend: any Backend
    /// Where the data lane lives: `backend` unless the config places it elsewhere.
    public nonisolated let dataBackend: any Backend
    nonisolated let keyFunction: KeyFunction
    nonisolated let reader: StratumReader
    nonisolated let index: SegmentedIndex
    nonisolated let parameters: FastCDCParameters
    nonisolated let compressionLevel: Int32?

    /// Grains sealed into strata not yet committed and indexed, by key.
    var pending: [Key: PendingGrain] = [:]
    var dataBuilder: StratumBuilder?
    var metaBuilder: StratumBuilder?
    /// Finished strata being written, by id: readable from here until indexed.
    var sealed: [UInt64: [UInt8]] = [:]
    /// Commits under way, in the order they were started; each removes itself when done.
    var commits: [Commit] = []
    var failure: BasinError?
    /// What this process has added to the basin.
    public internal(set) var written = WriteStatistics()
    /// What opening the basin found and repaired (stale or damaged index segments), for users.
    public internal(set) var warnings: [String] = []

    /// At most this many finished strata wait for their write: back-pressure on `put`. Data
    /// strata are written side by side, so this is also how many uploads overlap (a remote
    /// store's latency hides behind the others, and sealing goes on meanwhile).
    static let maxSealedInFlight = 3

    /// Counts of what a process added: new grains (not deduplicated ones) and committed strata.
    public struct WriteStatistics: Sendable, Equatable {
        public var grains = 0
        /// Plaintext bytes of the new grains.
        public var plainBytes: Int64 = 0
        public var strata = 0
        /// Bytes of the committed strata as stored.
        public var storedBytes: Int64 = 0
    }

    /// The commit of one stratum: its write, then its index segment.
    struct Commit {
        let stratumID: UInt64
        let task: Task<Void, Never>
    }

    struct PendingGrain {
        let lane: Lane
        let stratumID: UInt64
        let entry: StratumEntry
    }

    init(config: BasinConfig, backend: any Backend, dataBackend: any Backend, keys: MasterKeys?, index: SegmentedIndex) {
        self.config = config
        self.backend = backend
        self.dataBackend = dataBackend
        let algorithm = config.payloadAlgorithm ?? .none
        keyFunction = keys.map { KeyFunction.keyed(idKey: $0.idKey) } ?? .plain
        reader = StratumReader(main: backend, data: dataBackend, algorithm: algorithm, masterKey: keys?.masterKey ?? [],
                               keyFunction: keyFunction)
        self.index = index
        parameters = config.fastCDCParameters
        compressionLevel = config.compressionLevel
    }

    /// The key `value` has in this basin, without storing it.
    public nonisolated func key(of value: [UInt8]) -> Key { keyFunction.key(of: value) }

    // MARK: - Reading

    /// Whether the basin holds `key`, committed or pending.
    public func has(_ key: Key) -> Bool {
        pending[key] != nil || index.lookup(key) != nil
    }

    /// The whole value stored under `key`.
    /// - Throws: `.notFound` for an unknown key; `.corrupted` naming the stratum when a grain
    ///   fails its checks; never returns bytes that do not hash to `key`.
    public nonisolated func get(_ key: Key) async throws(BasinError) -> [UInt8] {
        var value: [UInt8] = []
        try await get(key) { (piece: [UInt8]) throws(BasinError) in value.append(contentsOf: piece) }
        return value
    }

    /// Streams the value stored under `key` into `sink`, one chunk at a time, so a value of
    /// any size is read with flat memory. The whole value's key is checked at the end: a
    /// caller must treat what it received as void when this throws.
    public nonisolated func get(_ key: Key, into sink: ([UInt8]) async throws(BasinError) -> Void) async throws(BasinError) {
        let grain = try await readGrain(key)
        guard grain.header.kind == .clast else {
            try await sink(grain.plain)
            return
        }
        let clast: Clast
        do {
            clast = try Clast.decode(grain.plain)
        } catch {
            throw BasinError(.corrupted, "clast \(key) is damaged: \(error)", underlying: error)
        }
        var hasher = keyFunction.makeHasher()
        // Chunks are read a window at a time through the planner (few requests, opened on both
        // cores), the next window while this one goes to the sink; memory: two windows.
        let windows = Self.windows(of: clast.chunks)
        var next: Task<[Key: Result<FetchedGrain, BasinError>], Never>? = fetchWindow(windows.first ?? [])
        defer { next?.cancel() }
        for (index, window) in windows.enumerated() {
            let fetched = await next!.value
            next = index + 1 < windows.count ? fetchWindow(windows[index + 1]) : nil
            for chunk in window {
                let piece: FetchedGrain
                switch fetched[chunk.key] {
                case let .success(grain)?:
                    piece = grain
                case let .failure(error)?:
                    // The clast names the chunk: a chunk the basin lacks is damage, not an absent key.
                    throw BasinError(error.code == .notFound ? .corrupted : error.code,
                                     "chunk \(chunk.key) of value \(key): \(error.message)", underlying: error)
                case nil:
                    throw BasinError(.internalError, "chunk \(chunk.key) of value \(key) was not read")
                }
                guard piece.kind == .blob, piece.plain.count == chunk.length else {
                    throw BasinError(.corrupted, "chunk \(chunk.key) of clast \(key) has the wrong kind or length")
                }
                hasher.update(piece.plain)
                try await sink(piece.plain)
            }
        }
        guard Key(bytes: hasher.finalize()) == key else {
            throw BasinError(.corrupted, "the value reassembled from clast \(key) does not match its key")
        }
    }

    /// Bytes of chunks `get` reads at a time.
    static let getWindowBytes = 32 << 20

    /// The chunks of a clast in windows of about ``getWindowBytes`` (at least one chunk each).
    static func windows(of chunks: [Clast.Chunk]) -> [[Clast.Chunk]] {
        var windows: [[Clast.Chunk]] = []
        var current: [Clast.Chunk] = []
        var bytes = 0
        for chunk in chunks {
            if !current.isEmpty, bytes + chunk.length > getWindowBytes {
                windows.append(current)
                current = []
                bytes = 0
            }
            current.append(chunk)
            bytes += chunk.length
        }
        if !current.isEmpty { windows.append(current) }
        return windows
    }

    /// Starts reading a window of chunks.
    private nonisolated func fetchWindow(_ window: [Clast.Chunk]) -> Task<[Key: Result<FetchedGrain, BasinError>], Never> {
        Task { await fetchAll(window.map(\.key)) }
    }

    /// Opens the grain stored under `key`, from a pending stratum or a committed one.
    nonisolated func readGrain(_ key: Key) async throws(BasinError) -> StratumParser.OpenedGrain {
        if let grain = try await readPendingGrain(key) { return grain }
        guard let entry = index.lookup(key), let kind = GrainKind(rawValue: entry.kind) else {
            throw BasinError(.notFound, "no grain with key \(key) in the basin")
        }
        return try await reader.readGrain(lane: kind.lane, id: entry.stratum, offset: Int(entry.offset),
                                          length: Int(entry.length), key: key)
    }

    func readPendingGrain(_ key: Key) throws(BasinError) -> StratumParser.OpenedGrain? {
        guard let pendingGrain = pending[key] else { return nil }
        let bytes: [UInt8]
        let builder = pendingGrain.lane == .data ? dataBuilder : metaBuilder
        if let builder, builder.stratumID == pendingGrain.stratumID {
            bytes = builder.bytes
        } else if let finished = sealed[pendingGrain.stratumID] {
            bytes = finished
        } else {
            return nil
        }
        let entry = pendingGrain.entry
        let frame = Array(bytes[Int(entry.offset)..<Int(entry.offset + entry.length)])
        let name = StratumName.objectName(lane: pendingGrain.lane, id: pendingGrain.stratumID)
        let header = try reader.decode(name) { () throws(CodecError) in try StratumHeader.decode(bytes) }
        let cipher = try reader.cipher(for: header)
        return try reader.decode(name) { () throws(CodecError) in
            try StratumReader.open(frame: frame, offset: Int(entry.offset), stratumID: pendingGrain.stratumID,
                                   cipher: cipher, keyFunction: keyFunction, key: key)
        }
    }
}
