import BasinBackend
import BasinCore
import Synchronization

extension Basin {
    /// A grain read by ``fetch(_:options:deliver:)``: its key and kind, and its verified plaintext.
    public struct FetchedGrain: Sendable {
        public let key: Key
        public let kind: GrainKind
        public let plain: [UInt8]
    }

    /// Fetch options suited to where the data lane lives: a local disk or a remote store.
    public nonisolated var defaultFetchOptions: GrainFetchPlan.Options {
        dataBackend is any LocalFileBackend ? .local : .remote
    }

    /// Whether the basin's hot lanes (meta, index) live on a remote store, where each read
    /// is a request with a round trip: callers then read ahead in batches.
    public nonisolated var isRemote: Bool { !(backend is any LocalFileBackend) }

    /// Reads many grains with few requests: they are planned stratum by stratum
    /// (``GrainFetchPlan``), ranges are read `rangesInFlight` at a time, and each grain is
    /// opened and verified (frame checksum, AEAD, key) as its range arrives.
    ///
    /// `deliver` is called exactly once per distinct key, from concurrent tasks and in no
    /// particular order, with the grain or with the error that kept it from being read (a
    /// damaged grain fails alone; a missing or unreadable stratum fails the grains of its
    /// ranges). Memory is bounded by the ranges in flight. A clast's key is not its content's
    /// hash: its grain is checked by its frame and AEAD only, the reassembled value by the caller.
    ///
    /// - Parameters:
    ///   - keys: the grains to read; a key not in the index (or pending in this process) is
    ///     read on its own, and an unknown one delivers `.notFound`.
    ///   - options: the plan's gap and range size, and the ranges read at once.
    ///   - checkedWhole: chunks the caller hashes as part of a whole value it checks against
    ///     that value's key before anyone trusts it (a restored file): their own key hash is
    ///     skipped, since the whole value's hash covers every byte; their frame checksum, AEAD
    ///     and header key are still checked. Hashing each byte once halves that work.
    ///   - deliver: receives each grain or its error.
    public nonisolated func fetch(_ keys: [Key], options: GrainFetchPlan.Options? = nil, checkedWhole: Set<Key> = [],
                                  deliver: @escaping @Sendable (Key, Result<FetchedGrain, BasinError>) async -> Void) async {
        let options = options ?? defaultFetchOptions
        // A grain the index lacks or misplaces is held back until the index is weighed against
        // the strata (``mendIndex(after:generation:)``), then read again or failed as it was.
        let generation = index.generation
        let doubtful = Mutex<[Key: BasinError]>([:])
        await fetchOnce(keys, options: options, checkedWhole: checkedWhole) { key, result in
            if case let .failure(error) = result, Self.mayBeIndexFault(error) {
                doubtful.withLock { $0[key] = error }
            } else {
                await deliver(key, result)
            }
        }
        let failures = doubtful.withLock { $0 }
        guard !failures.isEmpty else { return }
        if (try? await mendIndex(after: failures, generation: generation)) == true {
            await fetchOnce(failures.keys.sorted(), options: options, checkedWhole: checkedWhole) { key, result in
                if case let .failure(error) = result, let first = failures[key] {
                    await deliver(key, .failure(Self.failureAfterMending(first: first, retry: error)))
                } else {
                    await deliver(key, result)
                }
            }
        } else {
            for (key, error) in failures { await deliver(key, .failure(error)) }
        }
    }

    /// ``fetch(_:options:deliver:)`` as the index stands, without a second try.
    private nonisolated func fetchOnce(_ keys: [Key], options: GrainFetchPlan.Options, checkedWhole: Set<Key>,
                                       deliver: @escaping @Sendable (Key, Result<FetchedGrain, BasinError>) async -> Void) async {
        var planned: [(lane: Lane, stratum: UInt64, grain: GrainFetchPlan.Grain)] = []
        var kinds: [Key: GrainKind] = [:]
        var single: [Key] = []
        let distinct = Set(keys)
        let pendingKeys = await pending(among: distinct)
        for key in distinct {
            guard !pendingKeys.contains(key), let entry = index.lookup(key), let kind = GrainKind(rawValue: entry.kind) else {
                single.append(key)
                continue
            }
            kinds[key] = kind
            planned.append((kind.lane, entry.stratum, .init(key: key, offset: Int(entry.offset), length: Int(entry.length))))
        }
        let plan = GrainFetchPlan(planned, options: options)
        let kindOf = kinds
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for key in single {
                if inFlight >= max(1, options.rangesInFlight) { await group.next(); inFlight -= 1 }
                group.addTask {
                    do throws(BasinError) {
                        let grain = try await self.readGrain(key)
                        await deliver(key, .success(FetchedGrain(key: key, kind: grain.header.kind, plain: grain.plain)))
                    } catch {
                        await deliver(key, .failure(error))
                    }
                }
                inFlight += 1
            }
            for range in plan.ranges {
                if inFlight >= max(1, options.rangesInFlight) { await group.next(); inFlight -= 1 }
                group.addTask { await self.fetch(range, kinds: kindOf, checkedWhole: checkedWhole, deliver: deliver) }
                inFlight += 1
            }
        }
    }

    /// Reads many grains as ``fetch(_:options:deliver:)`` does and returns them all: for
    /// callers that need every grain before going on (a window of chunks, a batch's clasts, a
    /// level of trees).
    public nonisolated func fetchAll(_ keys: [Key], options: GrainFetchPlan.Options? = nil) async
        -> [Key: Result<FetchedGrain, BasinError>] {
        let found = Mutex<[Key: Result<FetchedGrain, BasinError>]>([:])
        await fetch(keys, options: options) { key, result in found.withLock { $0[key] = result } }
        return found.withLock { $0 }
    }

    /// Reads one planned range and delivers each of its grains.
    private nonisolated func fetch(_ range: GrainFetchPlan.Range, kinds: [Key: GrainKind], checkedWhole: Set<Key>,
                                   deliver: @Sendable (Key, Result<FetchedGrain, BasinError>) async -> Void) async {
        let name = StratumName.objectName(lane: range.lane, id: range.stratum)
        let bytes: [UInt8]
        let cipher: PayloadCipher
        do throws(BasinError) {
            bytes = try await lanes.backend(for: range.lane).read(name, range: range.bytes)
            cipher = range.includesHeader
                ? try reader.cipher(lane: range.lane, id: range.stratum, headerBytes: bytes)
                : try await reader.cipher(lane: range.lane, id: range.stratum)
        } catch {
            for grain in range.grains {
                await deliver(grain.key, .failure(error.code == .notFound ? StratumReader.missing(name, listing: grain.key, error) : error))
            }
            return
        }
        for grain in range.grains {
            let start = grain.offset - range.bytes.lowerBound
            // A slice of the range: each frame is opened where it lies, not copied out first.
            let frame = bytes[start..<(start + grain.length)]
            do throws(BasinError) {
                let opened = try reader.openGrain(frame: frame, lane: range.lane, id: range.stratum, offset: grain.offset,
                                                  cipher: cipher, key: grain.key, checkContent: !checkedWhole.contains(grain.key))
                let kind = kinds[grain.key] ?? opened.header.kind
                guard opened.header.kind == kind else {
                    throw BasinError(.corrupted, "grain \(grain.key) in stratum \(name) is a \(opened.header.kind), the index says \(kind)")
                }
                await deliver(grain.key, .success(FetchedGrain(key: grain.key, kind: kind, plain: opened.plain)))
            } catch {
                await deliver(grain.key, .failure(error))
            }
        }
    }

    /// Which of `keys` are in strata this process has not committed yet.
    private nonisolated func pending(among keys: Set<Key>) async -> Set<Key> {
        await dataWriter.pendingKeys(among: keys).union(metaWriter.pendingKeys(among: keys))
    }
}
