import BasinBackend
import BasinCore
import BasinTestSupport
import Testing
@testable import BasinStore

/// A tree grain for these tests: a count byte, the keys it names, then filler (the store
/// treats tree grains as opaque; only this test reads the keys back).
private func treeGrain(naming keys: [Key], filler: Int, seed: UInt64) -> [UInt8] {
    [UInt8(keys.count)] + keys.flatMap(\.bytes) + randomBytes(filler, seed: seed)
}

/// The keys a meta grain names: a clast's chunks, or a test tree's keys.
private func namedKeys(kind: GrainKind, plain: [UInt8]) throws -> [Key] {
    switch kind {
    case .clast:
        return try Clast.decode(plain).chunks.map(\.key)
    case .tree:
        return try (0..<Int(plain[0])).map { index in
            try #require(Key(bytes: plain[(1 + 32 * index)..<(33 + 32 * index)]))
        }
    default:
        return []
    }
}

/// The meta grains of each meta stratum and the keys each names, read from `basin`.
private func metaReferences(_ basin: Basin, strata: [String]) async throws -> [String: [(key: Key, names: [Key])]] {
    var references: [String: [(key: Key, names: [Key])]] = [:]
    for name in strata {
        let id = try #require(StratumName.parse(name, lane: .meta))
        for grain in try await basin.describeStratum(id).grains {
            let key = try #require(Key(hex: grain.key))
            let (kind, plain) = try await basin.grain(key)
            references[name, default: []].append((key, try namedKeys(kind: kind, plain: plain)))
        }
    }
    return references
}

@Suite("Basin: commit order with overlapping writes")
struct BasinCommitOrderTests {
    // The limit only turns a writer that never overlaps data writes (which waits forever in
    // HeldWritesBackend) into a failure. Alone the test takes under a second, but in the whole
    // suite on a loaded two-core machine the CLI tests' blocking waits can hold the cooperative
    // threads for minutes, so the limit is the CLI tests' own hang bound.
    @Test("data strata land side by side and out of order, yet a crash at any instant leaves every meta grain's references",
          .timeLimit(.minutes(10)))
    func metaNeverBeforeWhatItNames() async throws {
        let backend = HeldWritesBackend()
        var options = smallOptions()
        options.stratumTargetSize = 16 << 10
        let basin = try await Basin.create(backend: backend, password: "pw", options: options, resolve: noLanes)
        var values: [Key: [UInt8]] = [:]
        var tree: Key?
        for index in 0..<30 {
            let value = randomBytes(20_000 + index, seed: UInt64(index))
            let key = try await basin.writeValue(value)
            values[key] = value
            // Each tree names the new clast and the previous tree: meta grains naming meta grains.
            let plain = treeGrain(naming: [key] + (tree.map { [$0] } ?? []), filler: 1500, seed: UInt64(1000 + index))
            tree = try await basin.putGrain(plain, kind: .tree)
        }
        await backend.drain()
        try await basin.flush()

        #expect(backend.mostInFlight >= 2, "data writes never overlapped")
        let landed = backend.landed
        let position = Dictionary(uniqueKeysWithValues: landed.enumerated().map { ($1, $0) })
        let dataStrata = landed.filter { StratumName.parse($0, lane: .data) != nil }
        let metaStrata = landed.filter { StratumName.parse($0, lane: .meta) != nil }
        #expect(metaStrata.count >= 3, "meta strata: \(metaStrata.count)")
        #expect(dataStrata != backend.arrived.filter { StratumName.parse($0, lane: .data) != nil }, "data strata landed in order")
        let references = try await metaReferences(basin, strata: metaStrata)

        // Every grain a meta grain names lies in the same stratum (written whole) or in one
        // that landed before.
        for meta in metaStrata {
            for (key, names) in references[meta] ?? [] {
                for named in names {
                    let entry = try #require(basin.index.lookup(named), "\(named), named by \(key), is not indexed")
                    let kind = try #require(GrainKind(rawValue: entry.kind))
                    let holder = StratumName.objectName(lane: kind.lane, id: entry.stratum)
                    #expect(try #require(position[holder]) <= position[meta]!, "\(meta) landed before \(holder), which holds \(named) named by \(key)")
                }
            }
        }

        // A crash just after each meta stratum landed: the strata that landed by then (and no
        // index segment) open as a basin in which every meta grain's references are there.
        let final = backend.inner.snapshot()
        for meta in metaStrata {
            let present = Set(landed[...position[meta]!])
            let memory = MemoryBackend()
            memory.restore(final.filter { name, _ in
                present.contains(name) || (!name.hasSuffix(StratumName.suffix) && !name.hasPrefix("index/"))
            })
            let reopened = try await Basin.open(backend: memory, password: "pw", resolve: noLanes)
            for stratum in metaStrata where position[stratum]! <= position[meta]! {
                for (key, names) in references[stratum] ?? [] {
                    for named in names { #expect(await reopened.has(named), "after a crash past \(meta): \(named) of \(key)") }
                    if let value = values[key] { #expect(try await reopened.get(key) == value) }
                }
            }
        }

        // flush() returned: everything put is durable.
        let reopened = try await Basin.open(backend: backend.inner, password: "pw", resolve: noLanes)
        for (key, value) in values { #expect(try await reopened.get(key) == value) }
        #expect(try await reopened.has(#require(tree)))
    }
}
