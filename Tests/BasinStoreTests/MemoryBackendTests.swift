import BasinBackend
import BasinStore
import BasinTestSupport
import Testing

@Suite("MemoryBackend")
struct MemoryBackendTests {
    @Test func snapshotKeepsOnlyCommittedObjects() async throws {
        let backend = MemoryBackend()
        try await backend.write("config", bytes: [1])
        let pending = try await backend.beginWrite("data/aa/pending")
        try await pending.append([2, 3])
        let crashed = backend.snapshot()
        #expect(crashed == ["config": [1]])

        try await pending.commit()
        try await backend.delete("config")
        #expect(backend.snapshot() == ["data/aa/pending": [2, 3]])

        // A fresh backend restored from the snapshot is the basin as the crash left it.
        let reopened = MemoryBackend()
        reopened.restore(crashed)
        #expect(try await reopened.read("config") == [1])
        #expect(try await reopened.stat("data/aa/pending") == nil)
        #expect(try await reopened.list(prefix: "").map(\.name) == ["config"])
        await expectBasinError(.alreadyExists, naming: "config") { try await reopened.write("config", bytes: [9]) }
    }
}
