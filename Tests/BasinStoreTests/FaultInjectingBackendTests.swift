import BasinBackend
import BasinLocal
import BasinStore
import BasinTestSupport
import Foundation
import Testing

@Suite("FaultInjectingBackend")
struct FaultInjectingBackendTests {
    typealias Rule = FaultInjectingBackend.Rule

    @Test func theNthWriteFailsWithNoSpace() async throws {
        let memory = MemoryBackend()
        let faulty = FaultInjectingBackend(wrapping: memory)
        let rule = faulty.inject(Rule(.noSpace, on: [.write], skip: 2, times: 1))
        try await faulty.write("a/1", bytes: [1])
        try await faulty.write("a/2", bytes: [2])
        await expectBasinError(.noSpace, naming: "a/3") { try await faulty.write("a/3", bytes: [3]) }
        try await faulty.write("a/4", bytes: [4])
        #expect(faulty.fired(rule) == 1)
        #expect(Set(memory.snapshot().keys) == ["a/1", "a/2", "a/4"])
    }

    @Test func unavailableForTheNextCalls() async throws {
        let faulty = FaultInjectingBackend(wrapping: MemoryBackend())
        try await faulty.write("meta/m", bytes: [1])
        faulty.inject(Rule(.serverError, times: 3))
        await expectBasinError(.unavailable, naming: "meta/m") { try await faulty.read("meta/m") }
        await expectBasinError(.unavailable, naming: "meta/") { try await faulty.list(prefix: "meta/") }
        await expectBasinError(.unavailable, naming: "meta/n") { try await faulty.write("meta/n", bytes: [2]) }
        #expect(try await faulty.read("meta/m") == [1])
        try await faulty.write("meta/n", bytes: [2])
        #expect(try await faulty.list(prefix: "meta/").count == 2)
    }

    @Test func rulesApplyOnlyToTheirPrefix() async throws {
        let faulty = FaultInjectingBackend(wrapping: MemoryBackend())
        faulty.inject(Rule(.timeout, on: [.write, .read], prefix: "data/"))
        try await faulty.write("meta/ok", bytes: [1])
        await expectBasinError(.unavailable, naming: "data/x") { try await faulty.write("data/x", bytes: [1]) }
        #expect(try await faulty.read("meta/ok") == [1])
        faulty.removeAllFaults()
        try await faulty.write("data/x", bytes: [2])
        #expect(try await faulty.read("data/x") == [2])
    }

    @Test func failAfterTakesEffectThenFails() async throws {
        let faulty = FaultInjectingBackend(wrapping: MemoryBackend())
        faulty.inject(Rule(.failAfter(.unavailable, "timed out after the server stored it"), on: [.write, .delete], times: 2))
        await expectBasinError(.unavailable, naming: "data/s") { try await faulty.write("data/s", bytes: [5]) }
        #expect(try await faulty.read("data/s") == [5])
        // The retry a client would make sees the object already there.
        await expectBasinError(.unavailable, naming: "data/s") { try await faulty.delete("data/s") }
        #expect(try await faulty.stat("data/s") == nil)
    }

    @Test func droppedWritesAndDeletesDoNothing() async throws {
        let memory = MemoryBackend()
        let faulty = FaultInjectingBackend(wrapping: memory)
        try await faulty.write("data/kept", bytes: [1])
        faulty.inject(Rule(.drop, on: [.write, .commit, .delete]))
        try await faulty.write("data/lost", bytes: [2])
        let upload = try await faulty.beginWrite("data/lost-upload")
        try await upload.append([3])
        try await upload.commit()
        try await faulty.delete("data/kept")
        #expect(memory.snapshot() == ["data/kept": [1]])
    }

    @Test func failedCommitPublishesNothingAndFreesTheName() async throws {
        let memory = MemoryBackend()
        let faulty = FaultInjectingBackend(wrapping: memory)
        faulty.inject(Rule(.serverError, on: [.commit], times: 1))
        let upload = try await faulty.beginWrite("data/u")
        try await upload.append([1, 2])
        await expectBasinError(.unavailable, naming: "data/u") { try await upload.commit() }
        #expect(memory.snapshot().isEmpty)
        let retry = try await faulty.beginWrite("data/u")
        try await retry.append([1, 2])
        try await retry.commit()
        #expect(memory.snapshot() == ["data/u": [1, 2]])
    }

    @Test func tornWritesPublishNothing() async throws {
        try await withTemporaryDirectory { directory in
            let local = try LocalBackend(directory: directory, create: false)
            let faulty = FaultInjectingBackend(wrapping: local)
            faulty.inject(Rule(.tearWrite(keepingBytes: 5), on: [.beginWrite], prefix: "data/"))
            let upload = try await faulty.beginWrite("data/torn")
            try await upload.append([1, 2, 3])
            await expectBasinError(.unavailable, naming: "data/torn") { try await upload.append([4, 5, 6, 7]) }
            await expectBasinError(.invalidArgument, naming: "data/torn") { try await upload.commit() }
            await upload.abort()
            #expect(faulty.abandonedUploads == 1)
            // What the crash left: a temporary file with the first 5 bytes, and no object.
            let temporaries = temporaryFilesBelow(directory)
            try #require(temporaries.count == 1)
            #expect(FileManager.default.contents(atPath: directory + "/" + temporaries[0]) == Data([1, 2, 3, 4, 5]))
            #expect(try await local.stat("data/torn") == nil)
            #expect(try await local.list(prefix: "").isEmpty)
            #expect(try await local.removeStaleTemporaries(olderThan: .zero) == 1)

            faulty.removeAllFaults()
            faulty.inject(Rule(.tearWrite(keepingBytes: 0), on: [.commit]))
            let second = try await faulty.beginWrite("meta/torn")
            try await second.append([8, 9])
            await expectBasinError(.unavailable, naming: "meta/torn") { try await second.commit() }
            #expect(try await local.stat("meta/torn") == nil)
            #expect(faulty.abandonedUploads == 2)

            // A doomed upload whose bytes all fit crashes at commit.
            faulty.removeAllFaults()
            faulty.inject(Rule(.tearWrite(keepingBytes: 100), on: [.beginWrite]))
            let third = try await faulty.beginWrite("index/torn")
            try await third.append([1])
            await expectBasinError(.unavailable, naming: "index/torn") { try await third.commit() }
            #expect(try await local.stat("index/torn") == nil)
            #expect(try await local.list(prefix: "").isEmpty)
        }
    }

    @Test func flippedBitsOnRead() async throws {
        let faulty = FaultInjectingBackend(wrapping: MemoryBackend())
        let original = testBytes(1000, seed: 5)
        try await faulty.write("data/f", bytes: original)
        try await faulty.write("meta/f", bytes: original)
        faulty.inject(Rule(.flipBit(8 * 700 + 3), on: [.read, .readRange], prefix: "data/f"))

        let read = try await faulty.read("data/f")
        let differing = zip(read, original).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differing.map(\.offset) == [700])
        #expect(read[700] ^ original[700] == 1 << 3)
        #expect(try await faulty.read("data/f", range: 650..<750)[50] == original[700] ^ (1 << 3))
        #expect(try await faulty.read("data/f", range: 0..<700) == Array(original[0..<700]))
        #expect(try await faulty.read("meta/f") == original)
        faulty.removeAllFaults()
        #expect(try await faulty.read("data/f") == original)  // stored bytes untouched
    }

    @Test func truncatedObjects() async throws {
        let faulty = FaultInjectingBackend(wrapping: MemoryBackend())
        let original = testBytes(1000, seed: 6)
        try await faulty.write("data/t", bytes: original)
        faulty.inject(Rule(.truncate(to: 600), on: [.read, .readRange, .stat]))
        #expect(try await faulty.read("data/t") == Array(original[0..<600]))
        #expect(try await faulty.stat("data/t")?.size == 600)
        #expect(try await faulty.read("data/t", range: 100..<600) == Array(original[100..<600]))
        await expectBasinError(.corrupted, naming: "data/t") { try await faulty.read("data/t", range: 990..<1000) }
        await expectBasinError(.notFound, naming: "data/missing") { try await faulty.read("data/missing", range: 990..<1000) }
    }

    @Test func countersCountCallsByOperationAndPrefix() async throws {
        let faulty = FaultInjectingBackend(wrapping: MemoryBackend())
        for name in ["data/3f/a", "meta/3f/b", "index/00ff.seg"] { try await faulty.write(name, bytes: [1, 2, 3, 4]) }
        _ = try await faulty.read("meta/3f/b")
        _ = try await faulty.read("meta/3f/b", range: 0..<2)
        _ = try await faulty.read("index/00ff.seg", range: 2..<4)
        _ = try await faulty.read("data/3f/a")
        _ = try await faulty.stat("data/3f/a")
        _ = try await faulty.list(prefix: "meta/")
        await expectBasinError(.notFound) { try await faulty.read("data/none") }
        let upload = try await faulty.beginWrite("data/up")
        try await upload.append([1])
        try await upload.append([2])
        try await upload.commit()

        #expect(faulty.calls(.read, .readRange, prefix: "data/") == 2)
        #expect(faulty.calls(.read, .readRange, prefix: "meta/") == 2)
        #expect(faulty.calls(.read, .readRange, prefix: "index/") == 1)
        #expect(faulty.calls(.readRange) == 2)
        #expect(faulty.calls(.write) == 3)
        #expect(faulty.calls(.append, prefix: "data/up") == 2)
        #expect(faulty.calls(.beginWrite, .commit) == 2)
        #expect(faulty.calls(.list, prefix: "meta/") == 1)
        #expect(faulty.calls(.stat) == 1)
        #expect(faulty.calls() == 3 + 5 + 1 + 1 + 4)
        faulty.resetCounters()
        #expect(faulty.calls() == 0)
    }
}
