import BasinBackend
import BasinCore

/// How to create a basin.
public struct BasinCreateOptions: Sendable {
    public var encryption: PayloadAlgorithm = .chacha20Poly1305
    public var compressionLevel: Int32? = 3
    public var chunker: FastCDCParameters = .default
    public var stratumTargetSize = 16 << 20
    /// Lanes to place elsewhere: lane folder name → location (a path or an `s3:` location).
    public var laneLocations: [String: String] = [:]
    /// S3 storage classes of lanes placed elsewhere: lane folder name → class (`STANDARD_IA`).
    public var laneStorageClasses: [String: String] = [:]
    public var kdf: KeyFile.KDFParameters = .standard

    public init() {}
}

/// Opens backends for lane locations written in a config (`--data-location PATH`), with the
/// lane's storage class where one is set.
public typealias BackendResolver = @Sendable (_ lane: BasinConfig.LaneLocation) async throws(BasinError) -> any Backend

extension Basin {
    /// Creates a new basin on `backend`, which must not hold one already.
    ///
    /// - Parameters:
    ///   - password: required unless `options.encryption` is `.none`.
    ///   - resolve: opens the backends of lanes placed elsewhere.
    /// - Throws: `.alreadyExists` when a config is there; `.invalidArgument` for a missing password
    ///   or options out of range (``BasinConfig/init(id:encryption:compressionLevel:chunker:stratumTargetSize:lanes:)``).
    public static func create(backend: any Backend, password: String?, options: BasinCreateOptions,
                              resolve: BackendResolver) async throws(BasinError) -> Basin {
        // Checked before anything is written: bad options leave no key file behind.
        let config = try BasinConfig(id: Hex.encode(SecureRandom.bytes(32)), encryption: options.encryption,
                                     compressionLevel: options.compressionLevel, chunker: options.chunker,
                                     stratumTargetSize: options.stratumTargetSize,
                                     lanes: options.laneLocations.reduce(into: [:]) { lanes, lane in
                                         lanes[lane.key] = BasinConfig.LaneLocation(
                                             location: lane.value, storageClass: options.laneStorageClasses[lane.key])
                                     })
        if try await backend.stat(BasinConfig.objectName) != nil {
            throw BasinError(.alreadyExists, "a basin already exists at \(backend.location)")
        }
        // Before the key file too: a lane that cannot be opened leaves nothing behind.
        let dataBackend = try await laneBackend(config: config, main: backend, resolve: resolve)
        var keys: MasterKeys?
        if options.encryption != .none {
            guard let password, !password.isEmpty else {
                throw BasinError(.invalidArgument, "an encrypted basin needs a password")
            }
            let generated = MasterKeys.random()
            keys = generated
            let file: KeyFile
            do {
                file = try KeyFile.seal(generated, password: password, parameters: options.kdf)
            } catch {
                throw BasinError(.internalError, "could not seal the key file", underlying: error)
            }
            try await backend.write(KeyFile.folder + Hex.encode(SecureRandom.bytes(8)), bytes: try encodeJSON(file.encoded))
        }
        // The config goes last: a basin is there once its config is.
        try await backend.write(BasinConfig.objectName, bytes: try encodeJSON(config.encoded))
        let index = try await SegmentedIndex.open(backend: backend)
        return Basin(config: config, backend: backend, dataBackend: dataBackend, keys: keys, index: index)
    }

    /// Opens the basin on `backend`.
    ///
    /// Brings the index up to date first: strata that no index segment covers (committed just
    /// before a crash) are indexed from their footers, and a segment naming strata that are gone
    /// makes the index be rebuilt from the strata (the index is only a cache).
    /// - Throws: `.notFound` when there is no basin; `.wrongPassword`; `.incompatibleVersion`;
    ///   `.corrupted` for a damaged config or key file.
    public static func open(backend: any Backend, password: String?, resolve: BackendResolver) async throws(BasinError) -> Basin {
        guard try await backend.stat(BasinConfig.objectName) != nil else {
            throw BasinError(.noRepository, "there is no basin at \(backend.location) (no config object)")
        }
        let configBytes = try await backend.read(BasinConfig.objectName)
        let config = try BasinConfig.decode(configBytes, location: backend.location)
        var keys: MasterKeys?
        if config.payloadAlgorithm != PayloadAlgorithm.none {
            keys = try await unlock(backend: backend, password: password)
        } else if try await !backend.list(prefix: KeyFile.folder).isEmpty {
            // The config is not authenticated: one rewritten to say `none` must not make this
            // client write the basin's new strata in clear (docs/SECURITY.md).
            throw BasinError(.corrupted, "the config of the basin at \(backend.location) says it is unencrypted, but the basin has key files: the config was altered; refusing to use it")
        }
        let dataBackend = try await laneBackend(config: config, main: backend, resolve: resolve)
        let index = try await SegmentedIndex.open(backend: backend)
        let basin = Basin(config: config, backend: backend, dataBackend: dataBackend, keys: keys, index: index)
        try await basin.reconcileIndex()
        return basin
    }

    static func unlock(backend: any Backend, password: String?) async throws(BasinError) -> MasterKeys {
        guard let password, !password.isEmpty else {
            throw BasinError(.wrongPassword, "the basin at \(backend.location) is encrypted: a password is needed")
        }
        let files = try await backend.list(prefix: KeyFile.folder).sorted { $0.name < $1.name }
        guard !files.isEmpty else { throw BasinError(.corrupted, "the basin at \(backend.location) has no key file") }
        for info in files {
            let file = try KeyFile.decode(try await backend.read(info.name), name: info.name)
            if let keys = try file.open(password: password, name: info.name) { return keys }
        }
        throw BasinError(.wrongPassword, "wrong password: no key file of the basin at \(backend.location) opens with it")
    }

    static func laneBackend(config: BasinConfig, main: any Backend, resolve: BackendResolver) async throws(BasinError) -> any Backend {
        guard let lane = config.lanes[Lane.data.folder] else { return main }
        return try await resolve(lane)
    }

    static func encodeJSON(_ body: () throws -> [UInt8]) throws(BasinError) -> [UInt8] {
        do {
            return try body()
        } catch {
            throw BasinError(.internalError, "could not encode JSON", underlying: error)
        }
    }

    // MARK: - Index upkeep

    /// Every committed stratum of the data and meta lanes, with its size.
    public nonisolated func listStrata() async throws(BasinError) -> [(lane: Lane, id: UInt64, size: Int)] {
        var strata: [(lane: Lane, id: UInt64, size: Int)] = []
        for lane in [Lane.data, .meta] {
            for info in try await lanes.backend(for: lane).list(prefix: lane.folder + "/") {
                if let id = StratumName.parse(info.name, lane: lane) { strata.append((lane, id, info.size)) }
            }
        }
        return strata
    }

    /// Indexes strata no segment covers; rebuilds the index when segments name missing strata.
    /// Segments of an older format, or damaged, are replaced: their strata are indexed again,
    /// then they go.
    ///
    /// Runs without a lock (at open), beside other processes: a prune may rewrite the index and
    /// delete strata meanwhile. So segments naming strata that are gone are first listed again
    /// (the prune's new segment replaces them), a segment gone between listing and opening is
    /// no problem, and a stratum gone between listing and reading is left out.
    func reconcileIndex() async throws(BasinError) {
        var strata = try await listStrata()
        if !index.coveredStrata.isSubset(of: strata.map(\.id)) {
            try await index.reload()
            strata = try await listStrata()
        }
        let present = Set(strata.map(\.id))
        let covered = index.coveredStrata
        let outdated = index.problems.filter(\.isOlderFormat)
        for problem in index.problems where !problem.isOlderFormat && problem.error.code != .notFound {
            let state = problem.error.code == .corrupted ? "is damaged" : "could not be read"
            let reason = problem.error.underlying.map { "\($0)" } ?? problem.error.message
            warnings.append("index segment \(problem.name) \(state) (\(reason)) and was ignored; its strata were indexed again from their own indexes")
        }
        if !outdated.isEmpty {
            warnings.append("\(outdated.count) index segments of an older format were replaced: their strata were indexed again from their footers")
        }
        let gone = covered.subtracting(present)
        if !gone.isEmpty {
            let names = gone.sorted().prefix(5).map { Hex.encode($0) }.joined(separator: ", ")
            warnings.append("the index names \(gone.count) strata that are missing (\(names)); the index was rebuilt from the strata present")
            try await rebuildIndex()
            return
        }
        let missing = strata.filter { !covered.contains($0.id) }
        if !missing.isEmpty {
            var entries: [IndexEntry] = []
            var records: [IndexedStratum] = []
            for stratum in missing {
                guard let found = try await indexFromFooter(stratum) else { continue }
                entries += found.entries
                records.append(found.record)
            }
            try await index.addSegment(entries: entries, strata: records)
            try await index.mergeIfNeeded()
        }
        // Every stratum is covered now, so what the outdated or damaged segments covered is
        // indexed again: they go, and are not reported again (one that could not be read stays).
        try await index.discard(index.problems.filter { $0.error.code == .corrupted })
    }

    /// Rebuilds the whole index from the strata alone (their footers and index grains, or a scan
    /// when a footer is damaged), replacing every segment.
    /// - Returns: the number of strata and grains indexed.
    @discardableResult
    public func rebuildIndex() async throws(BasinError) -> (strata: Int, grains: Int) {
        let strata = try await listStrata()
        var perStratum: [(record: IndexedStratum, entries: [IndexEntry])] = []
        var grains = 0
        for stratum in strata {
            guard let found = try await indexFromFooter(stratum) else { continue }
            perStratum.append(found)
            grains += found.entries.count
        }
        try await index.rebuild(from: perStratum)
        return (perStratum.count, grains)
    }

    /// A listed stratum's record and entries, from its footer and index grain (or a scan), or
    /// nil when it was deleted since it was listed (by a prune in another process).
    private func indexFromFooter(_ stratum: (lane: Lane, id: UInt64, size: Int)) async throws(BasinError)
        -> (record: IndexedStratum, entries: [IndexEntry])? {
        let found: (entries: [StratumEntry], complete: Bool)
        do {
            found = try await reader.entries(lane: stratum.lane, id: stratum.id, size: stratum.size)
        } catch where error.code == .notFound {
            return nil
        }
        let record = IndexedStratum(id: stratum.id, lane: stratum.lane, size: stratum.size, entries: found.entries,
                                    scanned: !found.complete)
        return (record, found.entries.map { IndexEntry(stratum: stratum.id, $0) })
    }
}
