import BasinBackend
import BasinCore
import BasinTestSupport
import Foundation
import Synchronization
import Testing
@testable import BasinStore

/// Reading many grains with few requests (`Basin.fetch`, and `get` of a large value through it).
@Suite("Basin.fetch: many grains, few requests")
struct BasinFetchTests {
    @Test("get of a value of many chunks reads each data stratum once, through the planner", arguments: [PayloadAlgorithm.none, .chacha20Poly1305])
    func getReadsStrata(encryption: PayloadAlgorithm) async throws {
        let backend = FaultInjectingBackend(wrapping: MemoryBackend())
        let basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(encryption: encryption), resolve: noLanes)
        let value = randomBytes(600_000, seed: 3)
        let key = try await basin.writeValue(value)
        try await basin.flush()
        let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        let dataStrata = try await backend.list(prefix: "data/").count
        #expect(dataStrata >= 5, "the value should span several 64 KiB strata")
        backend.resetCounters()
        #expect(try await reopened.get(key) == value)
        let reads = backend.calls(.read, .readRange, .stat, prefix: "data/")
        // Each stratum once for its grains; one more per stratum at most for its header.
        #expect(reads <= 2 * dataStrata, "\(reads) reads of \(dataStrata) data strata for a value of \(value.count / 4096) chunks")
    }

    @Test("fetch delivers each key once: found grains verified, an unknown key notFound, a damaged grain corrupted alone")
    func delivers() async throws {
        let backend = FaultInjectingBackend(wrapping: MemoryBackend())
        let basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(encryption: .none), resolve: noLanes)
        var values: [Key: [UInt8]] = [:]
        for index in 0..<40 {
            let value = randomBytes(900 + index, seed: UInt64(100 + index))
            values[try await basin.writeValue(value)] = value
        }
        try await basin.flush()
        let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        let keys = values.keys.sorted()
        let victim = keys[7]
        let place = try #require(reopened.locate(victim))
        // Flip a bit inside the victim's frame, past its header.
        let stratum = StratumName.objectName(lane: .data, id: place.stratum)
        backend.inject(.init(.flipBit((Int(place.offset) + GrainFrameHeader.size + 8) * 8), on: [.read, .readRange], prefix: stratum))
        let unknown = Key(bytes: [UInt8](repeating: 0xAB, count: 32))!
        let results = ResultBox()
        await reopened.fetch(keys + [unknown, keys[0]], options: .remote) { key, result in results.add(key, result) }
        let delivered = results.all
        #expect(delivered.count == keys.count + 1, "each distinct key once")
        for key in keys where key != victim {
            guard case let .success(grain)? = delivered[key] else {
                Issue.record("no grain for \(key): \(String(describing: delivered[key]))")
                continue
            }
            #expect(grain.plain == values[key] && grain.kind == .blob)
        }
        guard case let .failure(damaged)? = delivered[victim], case let .failure(missing)? = delivered[unknown] else {
            Issue.record("the victim and the unknown key should fail: \(String(describing: delivered[victim])), \(String(describing: delivered[unknown]))")
            return
        }
        #expect(damaged.code == .corrupted && damaged.message.contains(stratum))
        #expect(missing.code == .notFound)
    }
}

/// Collects what `fetch` delivers from its concurrent tasks.
final class ResultBox: Sendable {
    private let results = Mutex<[Key: Result<Basin.FetchedGrain, BasinError>]>([:])

    func add(_ key: Key, _ result: Result<Basin.FetchedGrain, BasinError>) {
        let twice = results.withLock { results in
            defer { results[key] = result }
            return results[key] != nil
        }
        if twice { Issue.record("\(key) delivered twice") }
    }

    var all: [Key: Result<Basin.FetchedGrain, BasinError>] { results.withLock { $0 } }
}
