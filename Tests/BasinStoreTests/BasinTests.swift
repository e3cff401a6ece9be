import BasinBackend
import BasinCore
import BasinTestSupport
import Foundation
import Testing
@testable import BasinStore

/// Small chunks and strata so tests exercise clasts and many strata with little data.
func smallOptions(encryption: PayloadAlgorithm = .chacha20Poly1305) -> BasinCreateOptions {
    var options = BasinCreateOptions()
    options.encryption = encryption
    options.chunker = try! FastCDCParameters(minSize: 1024, averageSize: 4096, maxSize: 16384)
    options.stratumTargetSize = 64 << 10
    options.kdf = .testing
    return options
}

let noLanes: BackendResolver = { location throws(BasinError) in
    throw BasinError(.notFound, "no backend for \(location) in this test")
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] { testBytes(count, seed: seed) }

@Suite("Basin: put, get, has, flush, reopen")
struct BasinTests {
    @Test("values of every size come back; clasts for large ones", arguments: [PayloadAlgorithm.none, .chacha20Poly1305, .aes256GCM])
    func roundTrip(encryption: PayloadAlgorithm) async throws {
        let backend = MemoryBackend()
        let basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(encryption: encryption), resolve: noLanes)
        let sizes = [0, 1, 100, 1023, 1024, 5000, 16384, 16385, 100_000, 300_001]
        var keys: [Key] = []
        for (index, size) in sizes.enumerated() {
            keys.append(try await basin.writeValue(randomBytes(size, seed: UInt64(index))))
        }
        for (index, size) in sizes.enumerated() {
            #expect(try await basin.get(keys[index]) == randomBytes(size, seed: UInt64(index)), "pending value of \(size) bytes")
        }
        try await basin.flush()
        let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        for (index, size) in sizes.enumerated() {
            #expect(try await reopened.get(keys[index]) == randomBytes(size, seed: UInt64(index)), "committed value of \(size) bytes")
            #expect(await reopened.has(keys[index]))
        }
        let clastKey = keys[sizes.firstIndex(of: 300_001)!]
        #expect(try await reopened.grain(clastKey).kind == .clast)
    }

    @Test("unencrypted keys are plain BLAKE3 of the whole value, for small and clast-sized values")
    func plainKeysAreBLAKE3() async throws {
        let basin = try await Basin.create(backend: MemoryBackend(), password: nil, options: smallOptions(encryption: .none), resolve: noLanes)
        for size in [0, 10, 50_000, 200_000] {
            let value = randomBytes(size, seed: 42)
            #expect(try await basin.writeValue(value) == Key(bytes: BLAKE3.hash(value)))
        }
    }

    @Test("encrypted keys are keyed BLAKE3, not plain")
    func encryptedKeysAreKeyed() async throws {
        let basin = try await Basin.create(backend: MemoryBackend(), password: "pw", options: smallOptions(), resolve: noLanes)
        let value = randomBytes(100, seed: 1)
        #expect(try await basin.writeValue(value) != Key(bytes: BLAKE3.hash(value)))
    }

    @Test("a put of a stored or pending key writes nothing")
    func deduplication() async throws {
        let backend = MemoryBackend()
        let basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(), resolve: noLanes)
        let value = randomBytes(200_000, seed: 5)
        try await basin.writeValue(value)
        try await basin.writeValue(value)
        try await basin.flush()
        let before = try await backend.list(prefix: "")
        try await basin.writeValue(value)
        try await basin.flush()
        let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        try await reopened.writeValue(value)
        try await reopened.flush()
        #expect(Set(try await backend.list(prefix: "")) == Set(before))
        let statistics = try await reopened.statistics()
        let chunks = statistics.lanes["data"]?.grains ?? 0
        #expect(chunks > 1)
        #expect(statistics.lanes["data"]?.rawBytes == value.count)
    }

    @Test("100 000 small values land in a handful of strata")
    func manySmallValues() async throws {
        let backend = MemoryBackend()
        var options = smallOptions()
        options.stratumTargetSize = 16 << 20
        let basin = try await Basin.create(backend: backend, password: "pw", options: options, resolve: noLanes)
        var keys: [Key] = []
        for index in 0..<100_000 {
            keys.append(try await basin.writeValue(Array("value number \(index)".utf8)))
        }
        try await basin.flush()
        let strata = try await backend.list(prefix: "data/")
        #expect(strata.count >= 1 && strata.count <= 5)
        let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        for index in stride(from: 0, to: 100_000, by: 997) {
            #expect(try await reopened.get(keys[index]) == Array("value number \(index)".utf8))
        }
    }

    @Test("wrong or missing password is refused, nothing is written")
    func wrongPassword() async throws {
        let backend = MemoryBackend()
        let basin = try await Basin.create(backend: backend, password: "right", options: smallOptions(), resolve: noLanes)
        try await basin.writeValue([1, 2, 3])
        try await basin.flush()
        let before = try await backend.list(prefix: "")
        await #expect { try await Basin.open(backend: backend, password: "wrong", resolve: noLanes) } throws: { error in
            (error as? BasinError)?.code == .wrongPassword
        }
        await #expect { try await Basin.open(backend: backend, password: nil, resolve: noLanes) } throws: { error in
            (error as? BasinError)?.code == .wrongPassword
        }
        #expect(Set(try await backend.list(prefix: "")) == Set(before))
    }

    @Test("opening where there is no basin, or a newer format, fails clearly")
    func missingOrNewer() async throws {
        let backend = MemoryBackend()
        await #expect { try await Basin.open(backend: backend, password: nil, resolve: noLanes) } throws: { error in
            (error as? BasinError)?.code == .noRepository && (error as? BasinError)?.message.contains("no basin") == true
        }
        let basin = try await Basin.create(backend: backend, password: nil, options: smallOptions(encryption: .none), resolve: noLanes)
        await #expect { try await Basin.create(backend: backend, password: nil, options: smallOptions(encryption: .none), resolve: noLanes) } throws: { error in
            (error as? BasinError)?.code == .alreadyExists
        }
        var config = basin.config
        config.version = 2
        let other = MemoryBackend()
        try await other.write(BasinConfig.objectName, bytes: try config.encoded())
        await #expect { try await Basin.open(backend: other, password: nil, resolve: noLanes) } throws: { error in
            (error as? BasinError)?.code == .incompatibleVersion && (error as? BasinError)?.message.contains("version 2") == true
        }
    }

    @Test("an unknown key is notFound, never bytes")
    func unknownKey() async throws {
        let basin = try await Basin.create(backend: MemoryBackend(), password: "pw", options: smallOptions(), resolve: noLanes)
        let key = Key(bytes: randomBytes(32, seed: 9))!
        #expect(!(await basin.has(key)))
        await #expect { try await basin.get(key) } throws: { error in
            (error as? BasinError)?.code == .notFound && (error as? BasinError)?.message.contains(key.hex) == true
        }
    }

    @Test("the data lane can live on another backend; meta and index stay in the basin")
    func dataElsewhere() async throws {
        let hot = MemoryBackend()
        let cold = MemoryBackend()
        var options = smallOptions()
        options.laneLocations = ["data": "cold"]
        let resolve: BackendResolver = { lane throws(BasinError) in
            guard lane.location == "cold" else { throw BasinError(.notFound, lane.location) }
            return cold
        }
        let basin = try await Basin.create(backend: hot, password: "pw", options: options, resolve: resolve)
        let value = randomBytes(100_000, seed: 77)
        let key = try await basin.writeValue(value)
        try await basin.flush()
        #expect(try await hot.list(prefix: "data/").isEmpty)
        #expect(!(try await cold.list(prefix: "data/").isEmpty))
        #expect(!(try await hot.list(prefix: "meta/").isEmpty))
        #expect(try await cold.list(prefix: "meta/").isEmpty)
        let reopened = try await Basin.open(backend: hot, password: "pw", resolve: resolve)
        #expect(try await reopened.get(key) == value)
    }

    @Test("a streamed put equals put of the whole value and reads back", arguments: [0, 1, 4096, 50_000, 400_000])
    func streamedPut(size: Int) async throws {
        let basin = try await Basin.create(backend: MemoryBackend(), password: "pw", options: smallOptions(), resolve: noLanes)
        let value = randomBytes(size, seed: UInt64(size))
        var offset = 0
        // Reads of seeded, uneven lengths: the same cuts every run.
        var generator = SplitMix64(seed: UInt64(size) &+ 7)
        let key = try await basin.writeValue { buffer in
            let count = min(buffer.count, value.count - offset, Int(generator.next() % 7000) + 1)
            buffer.copyBytes(from: value[offset..<(offset + count)])
            offset += count
            return count
        }
        #expect(key == basin.key(of: value))
        #expect(try await basin.get(key) == value)
    }
}
