import BasinBackend
import BasinStore
import Testing

/// One rule of ``Backend`` that every implementation must keep, checked on a fresh, empty
/// backend. The local and memory backends run these in BasinStoreTests, the S3 backend in
/// BasinS3Tests: one suite, every backend.
public struct BackendConformanceCheck: Sendable, CustomTestStringConvertible {
    public let name: String
    let body: @Sendable (any Backend) async throws -> Void

    public var testDescription: String { name }

    /// Runs the check against `backend`, which must be empty.
    public func run(_ backend: any Backend) async throws { try await body(backend) }
}

/// The rules of ``Backend`` every implementation must keep.
public enum BackendConformance {
    static let names = ["config", "keys/ab12cd", "data/3f/3f9a0c.stratum", "index/00ff.seg", "locks/x1"]

    static let invalidNames = [
        "", "/abs", "/", "a//b", "a/", "./a", "a/./b", "a/../b", "..", ".", "a/..", "a/\0b", "\0",
        "data/.tmp-1234", ".tmp-x",
    ]

    /// Every check, in a stable order.
    public static let checks: [BackendConformanceCheck] = [
        BackendConformanceCheck(name: "writeThenReadAndStat") { backend in
            for (index, name) in names.enumerated() {
                try await backend.write(name, bytes: testBytes(100 * index + 1, seed: UInt64(index)))
            }
            try await backend.write("data/empty", bytes: [])
            for (index, name) in names.enumerated() {
                let expected = testBytes(100 * index + 1, seed: UInt64(index))
                #expect(try await backend.read(name) == expected)
                #expect(try await backend.stat(name) == ObjectInfo(name: name, size: expected.count))
            }
            #expect(try await backend.read("data/empty") == [])
            #expect(try await backend.stat("data/empty")?.size == 0)
        },
        BackendConformanceCheck(name: "rangedReads") { backend in
            let bytes = testBytes(300_000, seed: 7)
            try await backend.write("data/aa/obj", bytes: bytes)
            for range in [0..<0, 0..<1, 0..<300_000, 299_999..<300_000, 300_000..<300_000, 1234..<5678, 17..<290_017] {
                #expect(try await backend.read("data/aa/obj", range: range) == Array(bytes[range]), "\(range)")
            }
        },
        BackendConformanceCheck(name: "rangedReadPastEndIsCorruptedNamingTheObject") { backend in
            try await backend.write("data/aa/short", bytes: testBytes(1000, seed: 1))
            for range in [900..<1001, 1000..<1001, 5000..<5010, 0..<1_000_000] {
                await expectBasinError(.corrupted, naming: "data/aa/short") {
                    try await backend.read("data/aa/short", range: range)
                }
            }
            let error = await basinError { try await backend.read("data/aa/short", range: 900..<1001) }
            #expect(error?.message.contains("shorter than expected") == true)
            await expectBasinError(.invalidArgument, naming: "data/aa/short") {
                try await backend.read("data/aa/short", range: -1..<10)
            }
        },
        BackendConformanceCheck(name: "missingObjects") { backend in
            try await backend.write("data/aa/present", bytes: [1])
            await expectBasinError(.notFound, naming: "data/aa/missing") { try await backend.read("data/aa/missing") }
            await expectBasinError(.notFound, naming: "data/aa/missing") {
                try await backend.read("data/aa/missing", range: 0..<1)
            }
            await expectBasinError(.notFound, naming: "nodir/missing") { try await backend.read("nodir/missing") }
            // A prefix of objects is not an object.
            await expectBasinError(.notFound, naming: "data/aa") { try await backend.read("data/aa") }
            #expect(try await backend.stat("data/aa/missing") == nil)
            #expect(try await backend.stat("data/aa") == nil)
            #expect(try await backend.stat("data/aa/present/below") == nil)
        },
        BackendConformanceCheck(name: "listByPrefix") { backend in
            let objects = [
                "config": 10, "keys/k1": 11, "data/3f/3f01.stratum": 12, "data/3f/3f02.stratum": 13,
                "data/40/4001.stratum": 14, "index/00ff.seg": 15, "meta/3f/3f03.stratum": 16,
            ]
            for (name, size) in objects { try await backend.write(name, bytes: testBytes(size, seed: UInt64(size))) }
            func listed(_ prefix: String) async throws -> [String: Int] {
                let infos = try await backend.list(prefix: prefix)
                #expect(Set(infos.map(\.name)).count == infos.count, "duplicates listing '\(prefix)'")
                return Dictionary(infos.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
            }
            func expected(_ prefix: String) -> [String: Int] { objects.filter { $0.key.hasPrefix(prefix) } }
            for prefix in ["", "data/", "data", "data/3f/", "data/3f/3f0", "data/3", "data/3f/3f01.stratum",
                           "keys", "k", "c", "meta/", "nothing/", "data/3f/3f01.stratum/", "index/00ff"] {
                #expect(try await listed(prefix) == expected(prefix), "prefix '\(prefix)'")
            }
            #expect(try await listed("").count == objects.count)
        },
        BackendConformanceCheck(name: "deleteRemovesAndMissingIsFine") { backend in
            try await backend.write("data/aa/one", bytes: [1, 2, 3])
            try await backend.write("data/aa/two", bytes: [4])
            try await backend.delete("data/aa/one")
            #expect(try await backend.stat("data/aa/one") == nil)
            await expectBasinError(.notFound, naming: "data/aa/one") { try await backend.read("data/aa/one") }
            #expect(try await backend.list(prefix: "data/").map(\.name) == ["data/aa/two"])
            try await backend.delete("data/aa/one")
            try await backend.delete("never/was")
            try await backend.delete("data/aa")  // a prefix, not an object
            #expect(try await backend.read("data/aa/two") == [4])
            // The name is free again.
            try await backend.write("data/aa/one", bytes: [9])
            #expect(try await backend.read("data/aa/one") == [9])
        },
        BackendConformanceCheck(name: "writingAnExistingNameFailsAndKeepsTheOriginal") { backend in
            let original = testBytes(5000, seed: 3)
            try await backend.write("data/aa/obj", bytes: original)
            await expectBasinError(.alreadyExists, naming: "data/aa/obj") {
                try await backend.write("data/aa/obj", bytes: testBytes(10, seed: 4))
            }
            let upload = try await backend.beginWrite("data/aa/obj")
            try await upload.append(testBytes(7000, seed: 5))
            await expectBasinError(.alreadyExists, naming: "data/aa/obj") { try await upload.commit() }
            #expect(try await backend.read("data/aa/obj") == original)
            #expect(try await backend.stat("data/aa/obj")?.size == original.count)
        },
        BackendConformanceCheck(name: "concurrentWritersOfOneNameHaveOneWinner") { backend in
            let outcomes = await withTaskGroup(of: (Int, BasinError.Code?).self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        do throws(BasinError) {
                            try await backend.write("data/race", bytes: testBytes(64 * 1024, seed: UInt64(writer)))
                            return (writer, nil)
                        } catch {
                            return (writer, error.code)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.filter { $0.1 == nil }.map(\.0)
            try #require(winners.count == 1, "\(outcomes)")
            #expect(outcomes.allSatisfy { $0.1 == nil || $0.1 == .alreadyExists }, "\(outcomes)")
            #expect(try await backend.read("data/race") == testBytes(64 * 1024, seed: UInt64(winners[0])))
        },
        BackendConformanceCheck(name: "streamedUploadIsInvisibleUntilCommit") { backend in
            let chunks = (0..<5).map { testBytes(70_000 + $0, seed: UInt64($0)) }
            let upload = try await backend.beginWrite("data/bb/streamed")
            for chunk in chunks {
                try await upload.append(chunk)
                #expect(try await backend.stat("data/bb/streamed") == nil)
                #expect(try await backend.list(prefix: "").isEmpty)
                await expectBasinError(.notFound, naming: "data/bb/streamed") { try await backend.read("data/bb/streamed") }
            }
            try await upload.append([])
            try await upload.commit()
            #expect(try await backend.read("data/bb/streamed") == chunks.flatMap { $0 })
            #expect(try await backend.list(prefix: "data/").map(\.name) == ["data/bb/streamed"])
            // A committed upload is closed.
            await expectBasinError(.invalidArgument, naming: "data/bb/streamed") { try await upload.append([1]) }
            await expectBasinError(.invalidArgument, naming: "data/bb/streamed") { try await upload.commit() }
            await upload.abort()
            #expect(try await backend.read("data/bb/streamed") == chunks.flatMap { $0 })
        },
        BackendConformanceCheck(name: "abortedUploadLeavesNothing") { backend in
            let upload = try await backend.beginWrite("data/bb/aborted")
            try await upload.append(testBytes(10_000, seed: 9))
            await upload.abort()
            await upload.abort()
            #expect(try await backend.stat("data/bb/aborted") == nil)
            #expect(try await backend.list(prefix: "").isEmpty)
            await expectBasinError(.invalidArgument, naming: "data/bb/aborted") { try await upload.commit() }
            #expect(try await backend.stat("data/bb/aborted") == nil)
            try await backend.write("data/bb/aborted", bytes: [7])
            #expect(try await backend.read("data/bb/aborted") == [7])
        },
        BackendConformanceCheck(name: "twoUploadsOfOneNameFirstCommitWins") { backend in
            let first = try await backend.beginWrite("meta/m1")
            let second = try await backend.beginWrite("meta/m1")
            try await first.append([1, 1])
            try await second.append([2, 2, 2])
            try await second.commit()
            await expectBasinError(.alreadyExists, naming: "meta/m1") { try await first.commit() }
            #expect(try await backend.read("meta/m1") == [2, 2, 2])
        },
        BackendConformanceCheck(name: "invalidNamesAreRejected") { backend in
            for name in invalidNames {
                await expectBasinError(.invalidArgument) { try await backend.write(name, bytes: [1]) }
                await expectBasinError(.invalidArgument) { try await backend.beginWrite(name) }
                await expectBasinError(.invalidArgument) { try await backend.read(name) }
                await expectBasinError(.invalidArgument) { try await backend.read(name, range: 0..<1) }
                await expectBasinError(.invalidArgument) { try await backend.stat(name) }
                await expectBasinError(.invalidArgument) { try await backend.delete(name) }
                let everything = try await backend.list(prefix: "")
                #expect(everything.isEmpty)
            }
        },
        BackendConformanceCheck(name: "invalidPrefixesAreRejected") { backend in
            for prefix in ["/", "/data", "a//", "../", "a/../b", "./", "a/./", "data/.tmp-"] {
                await expectBasinError(.invalidArgument, naming: prefix) { try await backend.list(prefix: prefix) }
            }
            await expectBasinError(.invalidArgument, naming: "contains NUL") { try await backend.list(prefix: "x\0") }
            // A partial last segment may start with dots: it only filters names.
            let dotted = try await backend.list(prefix: "data/..")
            #expect(dotted.isEmpty)
        },
    ]
}
