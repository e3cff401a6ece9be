import BasinBackend
import BasinCore
import BasinStore
import BasinSystem
import Synchronization
import SystemPackage

/// Writes the content of a batch of files, reading the basin stratum by stratum rather than
/// file by file: the grains the batch needs are planned into few ranged reads
/// (``Basin/fetch(_:options:deliver:)``), and each grain is written to every place of every
/// file that holds it as soon as its range arrives (restic's restorer works pack by pack the
/// same way). On a remote store this is about one request per stratum touched instead of one
/// per grain.
///
/// A file made of several chunks is hashed in order as its pieces land (a piece that arrives
/// early is kept in memory until its turn comes, within ``heldBytesLimit`` for the batch, and
/// read back from the file beyond it), so a value reassembled from a damaged clast is still
/// caught: no file is left looking restored with the wrong content.
struct BatchRestorer: Sendable {
    let single: FileRestorer
    let options: GrainFetchPlan.Options
    /// Bytes of early pieces a batch keeps in memory for the in-order hash: enough for the
    /// ranges in flight to arrive out of order without reading anything back, small beside a
    /// restore's other buffers.
    static let heldBytesLimit = 64 << 20

    var basin: Basin { single.basin }

    /// Restores every job of the batch; one outcome per job, in no particular order.
    func restore(_ jobs: [FileRestorer.Job]) async -> [FileRestorer.Outcome] {
        var outcomes: [FileRestorer.Outcome] = []
        var files: [FileContent] = []
        var clastKeys: Set<Key> = []
        let held = HeldBytes(limit: Self.heldBytesLimit)
        for job in jobs {
            guard let entry = basin.locate(job.key), let kind = GrainKind(rawValue: entry.kind),
                  kind == .blob || kind == .clast else {
                // Not in the index (or not a value): the key-by-key path says why.
                outcomes.append(await single.restore(job))
                continue
            }
            single.tracker.started(job.display)
            files.append(FileContent(job: job, hasher: kind == .clast ? basin.makeKeyHasher() : nil, held: held))
            if kind == .clast { clastKeys.insert(job.key) }
        }
        let clasts = await fetchClasts(clastKeys)
        // Where each chunk goes: (file, offset in the file, length the clast records).
        var targets: [Key: [(file: Int, offset: Int64, length: Int?)]] = [:]
        var ready: [Int] = []
        for (index, file) in files.enumerated() {
            guard file.isClast else {
                targets[file.job.key, default: []].append((index, 0, nil))
                file.expect(pieces: 1)
                continue
            }
            switch clasts[file.job.key] {
            case let .success(clast)?:
                var offset: Int64 = 0
                for chunk in clast.chunks {
                    targets[chunk.key, default: []].append((index, offset, chunk.length))
                    offset += Int64(chunk.length)
                }
                file.expect(pieces: clast.chunks.count)
                if clast.chunks.isEmpty { ready.append(index) }
            case let .failure(error)?:
                file.fail(error)
                ready.append(index)
            case nil:
                file.fail(BasinError(.internalError, "clast \(file.job.key) was not read"))
                ready.append(index)
            }
        }
        let results = Mutex<[FileRestorer.Outcome]>([])
        let finish = { @Sendable (file: FileContent) in
            let outcome = self.finish(file)
            results.withLock { $0.append(outcome) }
        }
        for index in ready { finish(files[index]) }
        let placements = targets
        let fileList = files
        // A chunk that only lands inside values of several chunks is checked by their in-order
        // hash; one that is a whole file somewhere is checked on its own as well.
        let checkedWhole = Set(targets.compactMap { key, places in places.allSatisfy { $0.length != nil } ? key : nil })
        await basin.fetch(Array(targets.keys), options: options, checkedWhole: checkedWhole) { key, result in
            for place in placements[key] ?? [] {
                let file = fileList[place.file]
                switch result {
                case let .success(grain):
                    // A file's own key was located as a blob, and fetch checks the kind the index gives.
                    if let length = place.length, grain.kind != .blob || grain.plain.count != length {
                        file.fail(BasinError(.corrupted, "chunk \(key) of clast \(file.job.key) has the wrong kind or length"))
                    } else {
                        file.write(grain.plain, at: place.offset, tracker: single.tracker)
                    }
                case let .failure(error):
                    file.fail(place.length == nil ? error : BasinError(error.code, "chunk \(key) of value \(file.job.key): \(error.message)", underlying: error))
                }
                if file.pieceDone() { finish(file) }
            }
        }
        return outcomes + results.withLock { $0 }
    }

    /// Reads and decodes the clasts of the batch's large files.
    private func fetchClasts(_ keys: Set<Key>) async -> [Key: Result<Clast, BasinError>] {
        guard !keys.isEmpty else { return [:] }
        return await basin.fetchAll(Array(keys), options: options).mapValues { result in
            result.flatMap { grain in
                guard grain.kind == .clast, let clast = try? Clast.decode(grain.plain) else {
                    return .failure(BasinError(.corrupted, "clast \(grain.key) is damaged"))
                }
                return .success(clast)
            }
        }
    }

    /// Closes a file whose pieces have all been handled: checks the whole value, then as a
    /// single file restore does (size, verify, metadata), or removes it after a failure.
    private func finish(_ file: FileContent) -> FileRestorer.Outcome {
        let job = file.job
        let state = file.finish()
        if let error = state.failure {
            return single.failed(job, error)
        }
        return single.complete(job, written: state.written)
    }
}

/// One file of a batch: its descriptor, the pieces still to come, and (for a value of several
/// chunks) the in-order hash of what has been written.
final class FileContent: Sendable {
    struct State {
        var remaining = 0
        var written: Int64 = 0
        var failure: BasinError?
        /// Bytes from offset 0 hashed so far, and pieces written beyond that point (offset → length).
        var hashedUpTo: Int64 = 0
        var waiting: [Int64: EarlyPiece] = [:]
        var hasher: BLAKE3Hasher?
    }

    /// A piece written ahead of the hash: its bytes while the batch's budget allows, else only
    /// its length (it is read back from the file).
    enum EarlyPiece {
        case held([UInt8])
        case written(length: Int)
    }

    let job: FileRestorer.Job
    /// Whether the content is a value of several chunks (listed by a clast), hashed here.
    let isClast: Bool
    private let state: Mutex<State>
    private let held: HeldBytes

    /// - Parameter hasher: the basin's key hasher for a value of several chunks; nil for one grain
    ///   (whose key the fetch has checked already).
    init(job: FileRestorer.Job, hasher: BLAKE3Hasher?, held: HeldBytes) {
        self.job = job
        self.held = held
        isClast = hasher != nil
        state = Mutex(State(hasher: hasher))
    }

    func expect(pieces: Int) { state.withLock { $0.remaining = pieces } }

    func fail(_ error: BasinError) {
        state.withLock { if $0.failure == nil { $0.failure = error } }
    }

    /// Writes a piece at its offset and feeds the in-order hash; a failed file takes no more writes.
    func write(_ piece: [UInt8], at offset: Int64, tracker: RestoreProgressTracker) {
        state.withLock { state in
            guard state.failure == nil else { return }
            do throws(SystemError) {
                try job.fd.writeSparse(piece, at: offset, blockSize: FileRestorer.holeBlockSize)
            } catch {
                state.failure = FileRestorer.writeError(error, job)
                return
            }
            state.written += Int64(piece.count)
            tracker.wrote(piece.count)
            guard isClast else { return }
            if offset != state.hashedUpTo {
                state.waiting[offset] = held.take(piece.count) ? .held(piece) : .written(length: piece.count)
                return
            }
            state.hasher!.update(piece)
            state.hashedUpTo += Int64(piece.count)
            while let early = state.waiting.removeValue(forKey: state.hashedUpTo) {
                let length: Int
                switch early {
                case let .held(bytes):
                    held.give(bytes.count)
                    state.hasher!.update(bytes)
                    state.hashedUpTo += Int64(bytes.count)
                    continue
                case let .written(count):
                    length = count
                }
                let hashedUpTo = state.hashedUpTo
                switch Result(catching: { () throws(SystemError) in try job.fd.read(count: length, at: hashedUpTo) }) {
                case var .success(bytes):
                    // Zero blocks are left as holes; past the end of the file so far they read
                    // as nothing until the file gets its size.
                    if bytes.count < length { bytes += [UInt8](repeating: 0, count: length - bytes.count) }
                    state.hasher!.update(bytes)
                    state.hashedUpTo += Int64(length)
                case let .failure(error):
                    state.failure = BasinError(.unavailable, "cannot read back \(job.display) to check it: \(error.errno)")
                    return
                }
            }
        }
    }

    /// Counts a handled piece; true when it was the last.
    func pieceDone() -> Bool {
        state.withLock { state in
            state.remaining -= 1
            return state.remaining == 0
        }
    }

    /// The final state; for a value of several chunks, a failure unless everything written
    /// hashes, in order, to the file's key.
    func finish() -> State {
        state.withLock { state in
            for case let .held(bytes) in state.waiting.values { held.give(bytes.count) }
            if state.failure == nil, let hasher = state.hasher {
                if state.hashedUpTo != state.written || !state.waiting.isEmpty || Key(bytes: hasher.finalize()) != job.key {
                    state.failure = BasinError(.corrupted, "the value reassembled from clast \(job.key) does not match its key")
                }
            }
            return state
        }
    }
}

/// The bytes of early pieces a batch holds in memory, and its limit.
final class HeldBytes: Sendable {
    private let limit: Int
    private let count = Mutex(0)

    init(limit: Int) { self.limit = limit }

    /// Reserves `bytes`; false (nothing reserved) when that would pass the limit.
    func take(_ bytes: Int) -> Bool {
        count.withLock { count in
            guard count + bytes <= limit else { return false }
            count += bytes
            return true
        }
    }

    func give(_ bytes: Int) { count.withLock { $0 -= bytes } }

    /// The bytes held now.
    var current: Int { count.withLock { $0 } }
}
