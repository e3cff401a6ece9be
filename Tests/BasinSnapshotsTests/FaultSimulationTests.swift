import BasinBackend
import BasinCore
import BasinKit
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Seeded backend faults (``SimulatedFaultBackend``) over random sequences of puts, batches,
/// removals, reads, backups, forgets, prunes and checks, with power cuts that restart the
/// client, checked against a model of what each successful commit promised:
/// - every value a put or batch stored (and no removal dropped), and every snapshot a backup
///   saved (and no forget dropped), reads back byte-exactly, from a copy of the durable
///   storage after every failed step, and at the end after the faults are healed, a prune
///   with grace 0 and a reopen, when `check --read-data` must find nothing wrong;
/// - no read ever returns bytes other than those written: a read under faults may fail, with
///   an error, never lie. A commit that failed may have happened or not; if its value or
///   snapshot shows up, it reads right too.
///
/// `BASIN_FAULTSIM_SEEDS=N` runs N sequences per shard instead of the default;
/// `BASIN_FAULTSIM_FIRST=S` runs N sequences from seed S and prints each one's steps; a failing seed
/// replays alone with `BASIN_FAULTSIM_FIRST=S BASIN_FAULTSIM_SEEDS=1`. It meets the same
/// faults at the same calls as long as the store issues a step's calls to a lane in the same
/// order: the concurrent reads of a check, a prune or an open may come in another order, and
/// then which of them fails (and the error reported) can differ.
@Suite("Fault simulation: seeded backend faults over random operation sequences")
struct FaultSimulationTests {
    static let shards = 4
    static let environment = ProcessInfo.processInfo.environment
    static let seedsPerShard = environment["BASIN_FAULTSIM_SEEDS"].flatMap { Int($0) } ?? 300
    static let firstSeed = environment["BASIN_FAULTSIM_FIRST"].flatMap { UInt64($0) }

    @Test("every successful commit reads back exactly, under any schedule of faults", arguments: 0..<shards)
    func sequences(shard: Int) async throws {
        // One seed alone when replaying, else this shard's share of the sequences.
        let seeds: [UInt64] = if let first = Self.firstSeed {
            shard == 0 ? (0..<UInt64(Self.seedsPerShard)).map { first + $0 } : []
        } else {
            (0..<UInt64(Self.seedsPerShard)).map { UInt64(shard) * 1_000_000 + $0 }
        }
        var steps = 0, faults = 0, failedSteps = 0
        for seed in seeds {
            var simulation = try await FaultSimulation(seed: seed)
            try await simulation.run()
            steps += simulation.log.count
            faults += simulation.backend.faults
            failedSteps += simulation.failedSteps
            if Self.firstSeed != nil { print("seed \(seed): faults per 10 000 calls \(simulation.faultRate): \(simulation.log.joined(separator: ", "))") }
        }
        print("fault simulation shard \(shard): seeds \(seeds.first.map(String.init) ?? "-")...\(seeds.last.map(String.init) ?? "-"), "
            + "\(steps) steps, \(failedSteps) failed, \(faults) faults injected")
    }

    @Test("the schedule is the seed's: the same calls meet the same faults, another seed others")
    func scheduleReplays() async throws {
        /// The outcome of each call of a fixed script of calls over several steps, in order.
        func outcomes(seed: UInt64) async -> [String] {
            let backend = SimulatedFaultBackend(seed: seed)
            backend.rates = .init(total: 2000)
            var outcomes: [String] = []
            func record(_ call: () async throws -> Void) async {
                do {
                    try await call()
                    outcomes.append("ok")
                } catch {
                    outcomes.append((error as? BasinError)?.code.rawValue ?? "\(error)")
                }
            }
            for step in 0..<20 {
                backend.advanceClock()
                for index in 0..<5 {
                    let name = "data/\(step)-\(index)"
                    await record { try await backend.write(name, bytes: [UInt8(index)]) }
                    await record { _ = try await backend.read(name) }
                    await record { _ = try await backend.list(prefix: "data/") }
                    await record {
                        let upload = try await backend.beginWrite("meta/\(step)-\(index)")
                        try await upload.append([1, 2, 3])
                        try await upload.commit()
                    }
                    await record { try await backend.delete(name) }
                }
            }
            return outcomes
        }
        let first = await outcomes(seed: 5)
        #expect(first.filter { $0 != "ok" }.count > 20, "the script meets faults")
        #expect(await outcomes(seed: 5) == first)
        #expect(await outcomes(seed: 6) != first)
    }
}

/// One sequence: a basin on a ``SimulatedFaultBackend``, a small source tree, a client (a
/// ``SnapshotRepository`` over a ``Basin``) and the model.
struct FaultSimulation {
    let seed: UInt64
    var generator: SplitMix64
    let backend: SimulatedFaultBackend
    let directory: TestDirectory
    let source: String
    /// The client; nil after a power cut until a new one opens.
    var client: SnapshotRepository?
    /// Each step's name and outcome, for the log of a failure and for replay.
    var log: [String] = []
    var failedSteps = 0
    /// Faults per 10 000 backend calls, chosen per sequence.
    var faultRate = 0

    // The model.
    /// Values a successful put or batch keeps, which no successful removal dropped.
    var kept: [Key: [UInt8]] = [:]
    /// Every value ever put, by key: what a read of that key must return.
    var written: [Key: [UInt8]] = [:]
    /// Snapshots a successful backup saved, not dropped by a successful forget, with their files.
    var snapshots: [String: (snapshot: Snapshot, files: [String: [UInt8]])] = [:]
    /// Every tree a backup was started on: what a snapshot of a failed backup may hold.
    var trees: [[String: [UInt8]]] = []
    /// The source tree's files by absolute path.
    var files: [String: [UInt8]] = [:]

    init(seed: UInt64) async throws {
        self.seed = seed
        generator = SplitMix64(seed: seed)
        backend = SimulatedFaultBackend(seed: seed)
        directory = try TestDirectory("faultsim")
        source = directory.path("src")
        try TestFileSystem.makeDirectory(Array(source.utf8))
        let basin = try await Basin.create(backend: backend.storage, password: "pw", options: SnapshotFixture.smallOptions(),
                                           resolve: SnapshotFixture.noLanes)
        client = SnapshotRepository(basin: basin)
        for index in 0..<(2 + Int(generator.next() % 3)) { try writeSourceFile("f\(index)") }
    }

    /// A sequence's context in failures: the seed and the steps so far.
    var context: String { "seed \(seed), after steps [\(log.joined(separator: ", "))]" }

    mutating func pick<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[Int(generator.next() % UInt64(items.count))]
    }

    mutating func randomValue() -> [UInt8] {
        let sizes = [0, 1, 100, 3000, 20_000, 90_000]
        return SplitMix64.bytes(pick(sizes)!, seed: generator.next())
    }

    mutating func run() async throws {
        // Faults from gentle to harsh, per sequence.
        faultRate = pick([100, 300, 800, 1500])!
        backend.rates = .init(total: faultRate)
        let length = 8 + Int(generator.next() % 8)
        for _ in 0..<length {
            try await step()
        }
        try await finish()
    }

    /// One operation, chosen by weight; a power cut sometimes strikes during it.
    mutating func step() async throws {
        try await clearLocks()
        backend.advanceClock()
        let cut = generator.next() % 10 == 0
        if cut { backend.cutPower(afterMutations: Int(generator.next() % 30)) }
        let roll = generator.next() % 100
        var name = "open"
        var failure: (any Error)?
        do {
            let repository = try await openedClient()
            switch roll {
            case 0..<22:
                name = "put"
                try await put(repository)
            case 22..<34:
                name = "batch"
                try await batch(repository)
            case 34..<41:
                name = "remove"
                try await remove(repository)
            case 41..<52:
                name = "get"
                try await get(repository)
            case 52..<68:
                name = "backup"
                try await backup(repository)
            case 68..<76:
                name = "forget"
                try await forget(repository)
            case 76..<86:
                name = "prune"
                try await prune(repository)
            case 86..<92:
                // Under faults a check may fail or report what it could not read; the one
                // after healing must find nothing.
                name = "check"
                _ = try await Maintenance.problems(repository)
            case 92..<96:
                name = "reopen"
                client = nil
                _ = try await openedClient()
            default:
                name = "lag"
                backend.listLag = Int(generator.next() % 3)
            }
        } catch let violation as ModelViolation {
            throw violation
        } catch {
            failure = error
        }
        if failure == nil { failure = lastStepError }
        lastStepError = nil
        if let failure {
            log.append("\(name) failed (\((failure as? BasinError)?.code.rawValue ?? "\(type(of: failure))"))")
            failedSteps += 1
        } else {
            log.append(name)
        }
        if cut {
            // The power went during the step (or would have just after): a new client starts.
            backend.restart()
            client = nil
            log.append("power cut")
        }
        if failure != nil {
            try await verifyDurable(label: "after the failed step \(name)")
            // A basin whose write failed refuses to write again: mostly its user opens a
            // new one; sometimes it goes on with the old one, which must not read wrong.
            if generator.next() % 4 != 0 { client = nil }
        }
    }

    /// The error of the last step's operation, which the step records and goes on from.
    var lastStepError: (any Error)?

    /// Runs `body`, recording a failure instead of throwing it.
    mutating func attempt(_ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            lastStepError = error
        }
    }

    mutating func openedClient() async throws -> SnapshotRepository {
        if let client { return client }
        let opened = SnapshotRepository(basin: try await Basin.open(backend: backend, password: "pw", resolve: SnapshotFixture.noLanes))
        client = opened
        return opened
    }

    /// No step runs when the next begins: every lock left behind (by a cut client, or by a
    /// release that failed) is stale, and an operator's `basin unlock --remove-all` clears it.
    func clearLocks() async throws {
        for lock in try await backend.storage.list(prefix: "locks/") { try await backend.storage.delete(lock.name) }
    }

    // MARK: Operations

    mutating func put(_ repository: SnapshotRepository) async throws {
        let value = randomValue()
        let key = repository.basin.key(of: value)
        written[key] = value
        do {
            let stored = try await repository.basin.put(value)
            try expect(stored == key, "put returned key \(stored), not the value's key \(key)")
            kept[key] = value
        } catch let error as BasinError {
            lastStepError = error
        }
    }

    mutating func batch(_ repository: SnapshotRepository) async throws {
        var values: [[UInt8]] = []
        for _ in 0..<(1 + Int(generator.next() % 4)) { values.append(randomValue()) }
        let removed = generator.next() % 2 == 0 ? pick(kept.keys.sorted()) : nil
        for value in values { written[repository.basin.key(of: value)] = value }
        let puts = values
        do {
            let keys = try await repository.basin.batch { batch in
                for value in puts { batch.put(value) }
                if let removed { batch.remove(removed) }
            }
            try expect(keys == values.map { repository.basin.key(of: $0) }, "batch returned other keys than its values'")
            // In the batch's order: the puts, then the removal.
            for value in values { kept[repository.basin.key(of: value)] = value }
            if let removed { kept[removed] = nil }
        } catch let error as BasinError {
            // Nothing or all of it happened; the model keeps what it promised before.
            if let removed { kept[removed] = nil }
            lastStepError = error
        }
    }

    mutating func remove(_ repository: SnapshotRepository) async throws {
        guard let key = pick(kept.keys.sorted()) else { return }
        // Whatever happens, the value is no longer promised: a failed removal may have happened.
        kept[key] = nil
        await attempt { try await repository.basin.remove(key) }
    }

    mutating func get(_ repository: SnapshotRepository) async throws {
        guard let key = pick(written.keys.sorted()) else { return }
        do {
            let bytes = try await repository.basin.get(key)
            try expect(bytes == written[key], "get(\(key)) returned \(bytes.count) bytes other than those written")
        } catch let error as BasinError {
            // Under faults even a promised value may fail to read (the durable check after
            // the step says whether it is still there); it never reads wrong.
            lastStepError = error
        }
    }

    mutating func backup(_ repository: SnapshotRepository) async throws {
        try mutateSource()
        trees.append(files)
        var options = BackupOptions(paths: [source])
        options.readers = 1
        do {
            let result = try await BackupEngine(repository: repository, options: options).run()
            let snapshot = try #require(result.snapshot)
            snapshots[snapshot.id.hex] = (snapshot, files)
        } catch let error as BasinError {
            lastStepError = error
        }
    }

    mutating func forget(_ repository: SnapshotRepository) async throws {
        guard let id = pick(snapshots.keys.sorted()), let entry = snapshots[id] else { return }
        snapshots[id] = nil
        await attempt { try await repository.forget(entry.snapshot) }
    }

    mutating func prune(_ repository: SnapshotRepository) async throws {
        var options = Maintenance.pruneEverything()
        // A listing that lags may miss a new snapshot or root record: deleting what it seems
        // to leave unreachable waits out a grace period (the second phase marks again).
        if backend.listLag > 0 { options.gracePeriod = 3600 }
        await attempt { _ = try await Pruner(repository: repository, options: options).run() }
    }

    // MARK: The source tree

    mutating func writeSourceFile(_ name: String) throws {
        var content = randomValue()
        // A new size every time, so a backup never takes a rewritten file for unchanged.
        if let old = files[source + "/" + name], old.count == content.count { content.append(0x2A) }
        try TestFileSystem.writeFile(Array((source + "/" + name).utf8), content)
        files[source + "/" + name] = content
    }

    mutating func mutateSource() throws {
        for _ in 0..<(1 + Int(generator.next() % 2)) {
            let names = files.keys.sorted().map { String($0.dropFirst(source.count + 1)) }
            switch generator.next() % 4 {
            case 0 where names.count > 1:
                let name = pick(names)!
                try TestFileSystem.removeTree(Array((source + "/" + name).utf8))
                files[source + "/" + name] = nil
            case 1:
                try writeSourceFile("n\(generator.next() % 1000)")
            default:
                if let name = pick(names) {
                    try TestFileSystem.removeTree(Array((source + "/" + name).utf8))
                    try writeSourceFile(name)
                }
            }
        }
    }

    // MARK: Checking the model

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ModelViolation(message(), context) }
    }

    /// What a client opened on a copy of the durable storage (no fault, no lag) reads: every
    /// promise kept, and nothing read wrong.
    mutating func verifyDurable(label: String) async throws {
        let copy = MemoryBackend()
        copy.restore(backend.storage.snapshot())
        let repository = SnapshotRepository(basin: try await Basin.open(backend: copy, password: "pw", resolve: SnapshotFixture.noLanes))
        try await verify(repository, label: label)
    }

    func verify(_ repository: SnapshotRepository, label: String) async throws {
        for key in kept.keys.sorted() {
            let bytes: [UInt8]
            do {
                bytes = try await repository.basin.get(key)
            } catch {
                throw ModelViolation("\(label): promised value \(key) does not read: \(error)", context)
            }
            try expect(bytes == kept[key], "\(label): promised value \(key) reads other bytes")
        }
        let stored = Set(try await repository.basin.storedKeys())
        try expect(Set(kept.keys).isSubset(of: stored), "\(label): promised values are not kept: \(Set(kept.keys).subtracting(stored))")
        for key in stored.sorted() where kept[key] == nil {
            // A value whose put failed may have been kept after all; it reads right.
            if let bytes = try? await repository.basin.get(key) {
                try expect(bytes == written[key], "\(label): value \(key) reads other bytes than written")
            }
        }
        let listed = Dictionary(try await repository.list().map { ($0.id.hex, $0) }, uniquingKeysWith: { first, _ in first })
        for id in snapshots.keys.sorted() {
            guard let snapshot = listed[id] else { throw ModelViolation("\(label): promised snapshot \(id) is not listed", context) }
            let read: [String: [UInt8]]
            do {
                read = try await Maintenance.files(of: snapshot, in: repository)
            } catch {
                throw ModelViolation("\(label): promised snapshot \(id) does not read: \(error)", context)
            }
            try expect(read == snapshots[id]!.files, "\(label): snapshot \(id) reads other files than were backed up")
        }
        for id in listed.keys.sorted() where snapshots[id] == nil {
            // A backup or forget that failed may have happened; such a snapshot holds a tree
            // backed up, or does not read at all (its data may be pruned).
            if let read = try? await Maintenance.files(of: listed[id]!, in: repository) {
                try expect(trees.contains(read), "\(label): snapshot \(id) of a failed backup holds no tree backed up")
            }
        }
    }

    /// Heals the faults, opens a new client, prunes with grace 0 and checks everything.
    mutating func finish() async throws {
        backend.heal()
        try await clearLocks()
        let opened = SnapshotRepository(basin: try await Basin.open(backend: backend, password: "pw", resolve: SnapshotFixture.noLanes))
        try await verify(opened, label: "healed")
        do {
            _ = try await Pruner(repository: opened, options: Maintenance.pruneEverything()).run()
        } catch {
            throw ModelViolation("a prune without faults fails: \(error)", context)
        }
        let final = SnapshotRepository(basin: try await Basin.open(backend: backend, password: "pw", resolve: SnapshotFixture.noLanes))
        try await verify(final, label: "healed and pruned")
        let problems = try await Maintenance.problems(final)
        try expect(problems.isEmpty, "check --read-data finds problems after the faults: \(problems)")
    }
}

/// A broken promise: the message, and the seed and steps that led to it.
struct ModelViolation: Error, CustomStringConvertible {
    let message: String
    let context: String
    init(_ message: String, _ context: String) {
        self.message = message
        self.context = context
    }
    var description: String { "\(message) (\(context))" }
}
