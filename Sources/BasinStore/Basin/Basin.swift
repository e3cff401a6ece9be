import BasinBackend
import BasinCore

/// A basin: the content-addressed store. Values go in with `put` and come back with `get`
/// under the key that is their (keyed) BLAKE3 hash.
///
/// Small values become one grain in the `data` lane; a value cut into several chunks becomes
/// one grain per chunk plus a clast in the `meta` lane. Each lane's ``StratumWriter`` seals
/// grains into strata, committed when full and on `flush()`: a value is durable once a
/// `flush()` after its `put` has returned. Writes are refused after a failed commit (the
/// cause is rethrown). The basin itself is the facade: it chunks, hashes and compresses,
/// then hands grains to the writers; reads go through the ``StratumReader`` and the index.
public actor Basin {
    public nonisolated let config: BasinConfig
    /// Where the basin lives (its config, keys, meta and index lanes). `package`: writing or
    /// deleting its objects directly could damage the basin.
    package nonisolated var backend: any Backend { lanes.main }
    /// Where the data lane lives: `backend` unless the config places it elsewhere.
    package nonisolated var dataBackend: any Backend { lanes.data }
    /// Where the basin lives, for messages: a directory or an `s3:` location.
    public nonisolated var location: String { backend.location }
    nonisolated let lanes: LaneBackends
    nonisolated let keyring: Keyring
    nonisolated let reader: StratumReader
    nonisolated let index: SegmentedIndex
    nonisolated let parameters: FastCDCParameters
    nonisolated let compressionLevel: Int32?
    /// The writers of the data and meta lanes; meta follows data (its commits wait for data's).
    nonisolated let dataWriter: StratumWriter
    nonisolated let metaWriter: StratumWriter
    /// What opening the basin found and repaired (stale or damaged index segments), for users.
    public internal(set) var warnings: [String] = []

    init(config: BasinConfig, backend: any Backend, dataBackend: any Backend, keys: MasterKeys?, index: SegmentedIndex) {
        self.config = config
        lanes = LaneBackends(main: backend, data: dataBackend)
        keyring = Keyring(keys: keys, algorithm: config.payloadAlgorithm ?? .none)
        reader = StratumReader(lanes: lanes, keyring: keyring)
        self.index = index
        parameters = config.fastCDCParameters
        compressionLevel = config.compressionLevel
        let writers = Self.writers(lanes: lanes, keyring: keyring, index: index, targetSize: config.stratumTargetSize,
                                   deduplicates: true)
        dataWriter = writers.data
        metaWriter = writers.meta
    }

    /// A data writer and a meta writer that follows it, sharing one failure.
    static func writers(lanes: LaneBackends, keyring: Keyring, index: SegmentedIndex, targetSize: Int,
                        deduplicates: Bool) -> (data: StratumWriter, meta: StratumWriter) {
        let failure = WriteFailure()
        let data = StratumWriter(lane: .data, backend: lanes.data, keyring: keyring, index: index, targetSize: targetSize,
                                 predecessor: nil, failure: failure, deduplicates: deduplicates)
        let meta = StratumWriter(lane: .meta, backend: lanes.main, keyring: keyring, index: index, targetSize: targetSize,
                                 predecessor: data, failure: failure, deduplicates: deduplicates)
        return (data, meta)
    }

    nonisolated var keyFunction: KeyFunction { keyring.keyFunction }

    /// The writer of `lane`'s strata.
    nonisolated func writer(_ lane: Lane) -> StratumWriter { lane == .data ? dataWriter : metaWriter }

    /// What this process has added to the basin.
    public nonisolated var written: WriteStatistics {
        get async { await dataWriter.written + metaWriter.written }
    }

    /// The key `value` has in this basin, without storing it.
    public nonisolated func key(of value: [UInt8]) -> Key { keyFunction.key(of: value) }

    // MARK: - Reading

    /// Whether the basin holds `key`, committed or pending.
    public nonisolated func has(_ key: Key) async -> Bool {
        // The writers first: a grain leaves them only once indexed.
        if await dataWriter.holds(key) { return true }
        if await metaWriter.holds(key) { return true }
        return index.lookup(key) != nil
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
        // Each chunk is checked against its own key before the sink sees it: a stream cannot
        // take back bytes it has handed over (restore, which can remove a file, hashes once).
        Task { await fetchAll(window.map(\.key)) }
    }

    /// Opens the grain stored under `key`, from a pending stratum or a committed one.
    nonisolated func readGrain(_ key: Key) async throws(BasinError) -> StratumParser.OpenedGrain {
        if let grain = try await readPendingGrain(key) { return grain }
        return try await readIndexedGrain(key)
    }

    /// Opens a grain sealed by this process and not indexed yet; nil when there is none.
    nonisolated func readPendingGrain(_ key: Key) async throws(BasinError) -> StratumParser.OpenedGrain? {
        for writer in [dataWriter, metaWriter] {
            guard let (header, frame, offset) = await writer.pendingFrame(key) else { continue }
            let cipher = try keyring.cipher(for: header)
            return try reader.openGrain(frame: frame[...], lane: header.lane, id: header.stratumID, offset: offset, cipher: cipher, key: key)
        }
        return nil
    }
}
