import BasinStore
import Crypto
import Foundation
import Testing
@testable import BasinS3

/// ``S3Backend`` against the real SeaweedFS server of `scripts/s3-server.sh`.
@Suite("S3 backend on a real server")
struct S3BackendTests {
    /// The same rules the local and memory backends keep (BasinTestSupport).
    @Test(arguments: BackendConformance.checks)
    func conformance(check: BackendConformanceCheck) async throws {
        try await S3TestServer.withBackend { backend in try await check.run(backend) }
    }

    @Test("ListObjectsV2 pages through continuation tokens")
    func pagination() async throws {
        var options = S3TestServer.options()
        options.listPageSize = 3
        try await S3TestServer.withBackend(options: options) { backend in
            var expected: [String: Int] = [:]
            for index in 0..<11 {
                let name = "data/\(String(format: "%02x", index % 3))/obj\(index)"
                try await backend.write(name, bytes: testBytes(index + 1, seed: UInt64(index)))
                expected[name] = index + 1
            }
            try await backend.write("meta/other", bytes: [1])
            let listed = try await backend.list(prefix: "data/")
            #expect(listed.count == 11)
            #expect(Dictionary(listed.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a }) == expected)
            #expect(try await backend.list(prefix: "").count == 12)
            #expect(try await backend.list(prefix: "data/01/").count == 4)
        }
    }

    @Test("a streamed upload of more than 5 MiB goes up as a multipart upload and reads back")
    func multipartUpload() async throws {
        var options = S3TestServer.options()
        options.partSize = 5 << 20
        try await S3TestServer.withBackend(options: options) { backend in
            let pieces = (0..<7).map { testBytes(1_700_001 + $0, seed: UInt64(100 + $0)) }  // ≈ 11.4 MiB
            let whole = pieces.flatMap { $0 }
            let upload = try await backend.beginWrite("data/ab/big.stratum")
            for piece in pieces {
                try await upload.append(piece)
                #expect(try await backend.stat("data/ab/big.stratum") == nil)
            }
            try await upload.commit()
            #expect(try await backend.stat("data/ab/big.stratum")?.size == whole.count)
            #expect(try await backend.read("data/ab/big.stratum") == whole)
            let tail = (whole.count - 32)..<whole.count
            #expect(try await backend.read("data/ab/big.stratum", range: tail) == Array(whole[tail]))
            let across = (5 << 20) - 100..<(5 << 20) + 100  // across the first part boundary
            #expect(try await backend.read("data/ab/big.stratum", range: across) == Array(whole[across]))
            // A multipart object's ETag has the part count: three parts of at most 5 MiB.
            let etag = try #require(try await backend.objectETag("data/ab/big.stratum"))
            #expect(etag.hasSuffix("-3\""), "\(etag)")
            #expect(try await pendingUploads(backend).isEmpty)
            // Not even a multipart upload overwrites.
            let again = try await backend.beginWrite("data/ab/big.stratum")
            try await again.append(testBytes(6 << 20, seed: 1))
            await expectBasinError(.alreadyExists, naming: "data/ab/big.stratum") { try await again.commit() }
            #expect(try await backend.read("data/ab/big.stratum") == whole)
            #expect(try await pendingUploads(backend).isEmpty)
        }
    }

    @Test("an aborted multipart upload leaves neither the object nor the upload")
    func multipartAbort() async throws {
        var options = S3TestServer.options()
        options.partSize = 5 << 20
        try await S3TestServer.withBackend(options: options) { backend in
            let upload = try await backend.beginWrite("data/cd/aborted")
            try await upload.append(testBytes(6 << 20, seed: 3))
            #expect(try await pendingUploads(backend).count == 1)
            await upload.abort()
            #expect(try await pendingUploads(backend).isEmpty)
            #expect(try await backend.stat("data/cd/aborted") == nil)
            #expect(try await backend.list(prefix: "").isEmpty)
            await expectBasinError(.invalidArgument, naming: "data/cd/aborted") { try await upload.commit() }
        }
    }

    @Test("concurrent uploads of many objects, whole and multipart, all land intact")
    func concurrentUploads() async throws {
        var options = S3TestServer.options()
        options.partSize = 5 << 20
        options.maxConcurrentRequests = 4
        try await S3TestServer.withBackend(options: options) { backend in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        let bytes = testBytes(index == 0 ? 11 << 20 : 100_000 * (index + 1), seed: UInt64(index))
                        if index % 4 == 0 {
                            let upload = try await backend.beginWrite("data/cc/u\(index)")
                            for start in stride(from: 0, to: bytes.count, by: 1 << 20) {
                                try await upload.append(Array(bytes[start..<min(start + (1 << 20), bytes.count)]))
                            }
                            try await upload.commit()
                        } else {
                            try await backend.write("data/cc/u\(index)", bytes: bytes)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await backend.list(prefix: "data/cc/").count == 16)
            for index in 0..<16 {
                let bytes = testBytes(index == 0 ? 11 << 20 : 100_000 * (index + 1), seed: UInt64(index))
                #expect(try await backend.read("data/cc/u\(index)") == bytes, "u\(index)")
            }
        }
    }

    @Test("a storage class is set on every object written, whole or multipart")
    func storageClass() async throws {
        var options = S3TestServer.options()
        options.storageClass = "STANDARD_IA"
        options.partSize = 5 << 20
        try await S3TestServer.withBackend(options: options) { backend in
            try await backend.write("data/aa/small", bytes: [1, 2, 3])
            let upload = try await backend.beginWrite("data/aa/large")
            try await upload.append(testBytes(6 << 20, seed: 5))
            try await upload.commit()
            for name in ["data/aa/small", "data/aa/large"] {
                let (head, _) = try await backend.send("HEAD", key: backend.s3Location.key(for: name), what: name)
                #expect(head.headers["x-amz-storage-class"] == "STANDARD_IA", "\(name): \(head.headers)")
            }
        }
    }

    @Test("batch delete removes many objects in one request; missing ones are fine")
    func batchDelete() async throws {
        try await S3TestServer.withBackend { backend in
            let names = (0..<25).map { "index/\(String(format: "%016x", $0)).seg" }
            for name in names { try await backend.write(name, bytes: [7]) }
            try await backend.write("config", bytes: [1])
            try await backend.delete(names: names + ["index/never-was"])
            #expect(try await backend.list(prefix: "").map(\.name) == ["config"])
            await expectBasinError(.invalidArgument) { try await backend.delete(names: ["ok", "../escape"]) }
        }
    }

    @Test("the bucket exists; a missing one is reported, and created on request")
    func bucketChecks() async throws {
        try await S3TestServer.prepareBucket()
        let endpoint = try S3TestServer.endpoint()
        let name = "basin-new-\(UUID().uuidString.lowercased().prefix(8))"
        let backend = S3Backend(location: try S3Location("s3:\(endpoint)/\(name)/p"), credentials: S3TestServer.credentials,
                                options: S3TestServer.options())
        defer { Task { await backend.shutdown() } }
        #expect(try await !backend.bucketExists())
        try await backend.createBucketIfMissing()
        #expect(try await backend.bucketExists())
        try await backend.createBucketIfMissing()  // idempotent
        try await backend.write("config", bytes: [1])
        #expect(try await backend.read("config") == [1])
    }

    @Test("the server checks the Content-MD5 a PUT carries: bytes damaged in transit are refused")
    func integrityHeaderIsChecked() async throws {
        try await S3TestServer.withBackend { backend in
            let sent = testBytes(10_000, seed: 1)
            var damaged = sent
            damaged[5000] ^= 1
            let (response, _) = try await backend.send(
                "PUT", key: backend.s3Location.key(for: "data/aa/x"),
                headers: [("content-md5", Data(Insecure.MD5.hash(data: sent)).base64EncodedString())], body: damaged, what: "x")
            #expect(response.status == 400, "\(String(decoding: response.body, as: UTF8.self))")
            #expect(try await backend.stat("data/aa/x") == nil)
        }
    }

    /// Multipart uploads still open under the backend's prefix (ListMultipartUploads).
    func pendingUploads(_ backend: S3Backend) async throws -> [String] {
        let (response, _) = try await backend.send(
            "GET", key: nil, query: [("uploads", ""), ("prefix", backend.s3Location.prefix + "/")], what: "uploads")
        try #require(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        return try S3XML.parse(response.body).children("Upload").compactMap { $0.value("Key") }
    }
}
