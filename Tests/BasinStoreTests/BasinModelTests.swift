import BasinBackend
import BasinCore
import BasinLocal
import Foundation
import BasinTestSupport
import Testing
@testable import BasinStore

/// Long random sequences of put/get/has/flush/reopen/crash, checked against a dictionary.
///
/// The model: a value whose put was followed by a completed flush is durable and must read
/// back after any reopen or crash; a value put since the last flush may or may not survive a
/// crash, but if it reads, it reads right. A crash drops the open basin without flushing and
/// reopens from what the backend holds at that instant (for memory: a copy taken then, so
/// commits still in flight cannot land afterwards).
@Suite("Basin model test")
struct BasinModelTests {
    enum Storage: String, CaseIterable, CustomTestStringConvertible {
        case memory, local
        var testDescription: String { rawValue }
    }

    /// An entry of `values` chosen by `generator` over the keys in sorted order (a
    /// Dictionary's own order changes from run to run, so choosing from it would not
    /// reproduce from the seed), or nil when there is none.
    static func pick(_ values: [Key: [UInt8]], _ generator: inout SplitMix64) -> (key: Key, value: [UInt8])? {
        guard !values.isEmpty else { return nil }
        let key = values.keys.sorted()[Int(generator.next() % UInt64(values.count))]
        return (key, values[key]!)
    }

    @Test("random operations agree with a dictionary", arguments: Storage.allCases, [1, 2, 3] as [UInt64])
    func randomOperations(storage: Storage, seed: UInt64) async throws {
        var generator = SplitMix64(seed: seed)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("basin-model-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var backend: any Backend = storage == .memory ? MemoryBackend() : try LocalBackend(directory: directory, create: true)
        var basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(), resolve: noLanes)
        var durable: [Key: [UInt8]] = [:]
        var unflushed: [Key: [UInt8]] = [:]
        let sizes = [0, 1, 700, 5000, 16_000, 60_000, 150_000]
        for step in 0..<300 {
            let context = "seed \(seed), step \(step), \(storage)"
            switch generator.next() % 100 {
            case 0..<45:
                let pool = durable.count + unflushed.count
                // Sometimes store a value again, to exercise deduplication.
                let value: [UInt8]
                if pool > 0, generator.next() % 4 == 0 {
                    value = (Self.pick(durable, &generator) ?? Self.pick(unflushed, &generator))!.value
                } else {
                    value = randomBytes(sizes[Int(generator.next() % UInt64(sizes.count))], seed: generator.next())
                }
                let key = try await basin.writeValue(value)
                #expect(key == basin.key(of: value), "\(context)")
                if durable[key] == nil { unflushed[key] = value }
            case 45..<65:
                if let (key, value) = Self.pick(durable, &generator) ?? Self.pick(unflushed, &generator) {
                    #expect(try await basin.get(key) == value, "\(context)")
                }
            case 65..<75:
                let unknown = Key(bytes: randomBytes(32, seed: generator.next()))!
                #expect(!(await basin.has(unknown)), "\(context)")
                if let (key, _) = Self.pick(durable, &generator) { #expect(await basin.has(key), "\(context)") }
            case 75..<88:
                try await basin.flush()
                durable.merge(unflushed) { old, _ in old }
                unflushed = [:]
            case 88..<94:
                try await basin.flush()
                durable.merge(unflushed) { old, _ in old }
                unflushed = [:]
                basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
            default:
                // Crash: no flush. What was committed on the way stays; the rest may be lost.
                if let memory = backend as? MemoryBackend {
                    let copy = MemoryBackend()
                    copy.restore(memory.snapshot())
                    backend = copy
                }
                basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
                for key in unflushed.keys.sorted() {
                    let value = unflushed[key]!
                    if await basin.has(key) {
                        #expect(try await basin.get(key) == value, "\(context): a value that survived a crash reads wrong")
                        durable[key] = value
                    }
                }
                unflushed = [:]
            }
        }
        try await basin.flush()
        durable.merge(unflushed) { old, _ in old }
        let final = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        for (key, value) in durable {
            #expect(try await final.get(key) == value, "seed \(seed): durable value lost at the end")
        }
    }
}
