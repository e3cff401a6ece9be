import BasinBackend
import BasinStore
import Crypto
import Foundation
import Synchronization
import Testing
@testable import BasinS3

/// Retries, backoff, bounded concurrency and error mapping, through a scripted transport:
/// no server, no sleeping (the backoff's waits are recorded instead).
@Suite("S3 backend: retries and errors (scripted transport)")
struct S3RetryTests {
    func options(_ sleeps: SleepRecorder, maxAttempts: Int = 5) -> S3Backend.Options {
        var options = S3Backend.Options()
        options.retry = S3RetryPolicy(
            maxAttempts: maxAttempts, baseDelay: .milliseconds(100), maximumDelay: .seconds(1),
            sleep: { await sleeps.record($0) }, random: { 1.0 })
        return options
    }

    @Test("5xx, 429 and SlowDown are retried with growing, capped backoff until an answer")
    func retriesTransientStatuses() async throws {
        let sleeps = SleepRecorder()
        let transport = ScriptedTransport { _, number in
            switch number {
            case 1: S3Response(status: 500, body: ScriptedTransport.errorBody("InternalError"))
            case 2: S3Response(status: 503, body: ScriptedTransport.errorBody("SlowDown", "Please reduce your request rate."))
            case 3: S3Response(status: 429)
            case 4: S3Response(status: 400, body: ScriptedTransport.errorBody("RequestTimeout"))
            default: S3Response(status: 200, headers: ["content-length": "3"], body: [1, 2, 3])
            }
        }
        let backend = try ScriptedTransport.backend(transport, options: options(sleeps))
        #expect(try await backend.read("data/aa/x") == [1, 2, 3])
        #expect(transport.requests.count == 5)
        // Full jitter with random() = 1: the ceiling itself, doubling, capped at 1 s.
        #expect(await sleeps.delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        // Every attempt is signed afresh, for the right key.
        #expect(transport.requests.allSatisfy { $0.url == "http://127.0.0.1:9/bucket/prefix/data/aa/x" })
        #expect(transport.requests.allSatisfy { request in request.headers.contains { $0.name == "authorization" } })
    }

    @Test("the backoff is jittered below its doubling ceiling")
    func jitter() {
        let policy = S3RetryPolicy(baseDelay: .milliseconds(100), maximumDelay: .seconds(5), random: { 0.25 })
        #expect(policy.delay(afterAttempt: 1) == .milliseconds(25))
        #expect(policy.delay(afterAttempt: 3) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 40) == .milliseconds(1250))
    }

    @Test("a server that keeps failing ends in .unavailable naming the object, bucket and endpoint")
    func exhaustedRetries() async throws {
        let sleeps = SleepRecorder()
        let transport = ScriptedTransport { _, _ in S3Response(status: 503, body: ScriptedTransport.errorBody("SlowDown")) }
        let backend = try ScriptedTransport.backend(transport, options: options(sleeps, maxAttempts: 4))
        let error = try #require(await basinError { try await backend.write("data/aa/x", bytes: [1]) })
        #expect(error.code == .unavailable)
        for part in ["data/aa/x", "bucket 'bucket'", "http://127.0.0.1:9", "SlowDown", "4 attempts"] {
            #expect(error.message.contains(part), "\(error.message)")
        }
        #expect(transport.requests.count == 4)
        #expect(await sleeps.delays.count == 3)
    }

    @Test("timeouts and dropped connections are retried; none answering is .unavailable naming the endpoint")
    func transportFailures() async throws {
        let sleeps = SleepRecorder()
        let flaky = ScriptedTransport { _, number in
            if number < 3 { throw ScriptedTransport.Failure(description: number == 1 ? "read timeout" : "connection reset by peer") }
            return S3Response(status: 200, headers: ["content-length": "7"])
        }
        #expect(try await ScriptedTransport.backend(flaky, options: options(sleeps)).stat("config")?.size == 7)
        #expect(flaky.requests.count == 3)

        let dead = ScriptedTransport { _, _ in throw ScriptedTransport.Failure(description: "connection refused") }
        let error = try #require(await basinError {
            try await ScriptedTransport.backend(dead, options: options(sleeps)).list(prefix: "data/")
        })
        #expect(error.code == .unavailable)
        #expect(error.message.contains("http://127.0.0.1:9") && error.message.contains("connection refused"), "\(error.message)")
        #expect(dead.requests.count == 5)
    }

    @Test("client errors are not retried and map to clear codes", arguments: [
        (404, "NoSuchBucket", BasinError.Code.noRepository, "bucket 'bucket'"),
        (403, "SignatureDoesNotMatch", .invalidArgument, "AWS_SECRET_ACCESS_KEY"),
        (403, "InvalidAccessKeyId", .invalidArgument, "refused the credentials"),
        (403, "AccessDenied", .invalidArgument, "data/aa/x"),
        (404, "NoSuchKey", .notFound, "data/aa/x"),
        (507, "InsufficientStorage", .noSpace, "no space"),
        (400, "InvalidArgument", .internalError, "InvalidArgument"),
    ])
    func clientErrors(status: Int, code: String, expected: BasinError.Code, naming: String) async throws {
        let sleeps = SleepRecorder()
        let transport = ScriptedTransport { _, _ in S3Response(status: status, body: ScriptedTransport.errorBody(code, "m")) }
        let backend = try ScriptedTransport.backend(transport, options: options(sleeps))
        await expectBasinError(expected, naming: naming) { try await backend.read("data/aa/x") }
        if status < 500 { #expect(transport.requests.count == 1) }
    }

    @Test("a HEAD refused without a body still says credentials")
    func headRefused() async throws {
        let transport = ScriptedTransport { _, _ in S3Response(status: 403) }
        let backend = try ScriptedTransport.backend(transport, options: options(SleepRecorder()))
        await expectBasinError(.invalidArgument, naming: "credentials") { try await backend.stat("config") }
    }

    @Test("a retried PUT whose first attempt landed recognizes its own object by its MD5 ETag")
    func ambiguousRetriedPut() async throws {
        let bytes = testBytes(1000, seed: 1)
        let md5 = Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        for (etag, succeeds) in [("\"\(md5)\"", true), ("\"0123\"", false)] {
            let transport = ScriptedTransport { request, number in
                switch (request.method, number) {
                case ("PUT", 1): throw ScriptedTransport.Failure(description: "connection reset by peer")
                case ("PUT", _): return S3Response(status: 412, body: ScriptedTransport.errorBody("PreconditionFailed"))
                default: return S3Response(status: 200, headers: ["etag": etag, "content-length": "1000"])
                }
            }
            let backend = try ScriptedTransport.backend(transport, options: options(SleepRecorder()))
            if succeeds {
                try await backend.write("data/aa/x", bytes: bytes)
            } else {
                await expectBasinError(.alreadyExists, naming: "data/aa/x") { try await backend.write("data/aa/x", bytes: bytes) }
            }
            #expect(transport.requests.map(\.method) == ["PUT", "PUT", "HEAD"])
            let put = try #require(transport.requests.first)
            #expect(put.headers.contains { $0.name == "if-none-match" && $0.value == "*" })
            #expect(put.headers.contains { $0.name == "content-md5" })
        }
    }

    @Test("a short ranged answer is .corrupted naming the object; 416 too")
    func shortRanges() async throws {
        let transport = ScriptedTransport { request, _ in
            let range = request.headers.first { $0.name == "range" }?.value ?? ""
            if range == "bytes=0-9" { return S3Response(status: 206, headers: ["content-range": "bytes 0-4/5"], body: [1, 2, 3, 4, 5]) }
            return S3Response(status: 416, headers: ["content-range": "bytes */5"], body: ScriptedTransport.errorBody("InvalidRange"))
        }
        let backend = try ScriptedTransport.backend(transport, options: options(SleepRecorder()))
        await expectBasinError(.corrupted, naming: "data/aa/x") { try await backend.read("data/aa/x", range: 0..<10) }
        let error = try #require(await basinError { try await backend.read("data/aa/x", range: 7..<9) })
        #expect(error.code == .corrupted && error.message.contains("5 bytes") && error.message.contains("shorter than expected"))
    }

    @Test("no more requests are in flight than maxConcurrentRequests")
    func boundedConcurrency() async throws {
        let limit = 3
        let gate = Gate(width: limit)
        let transport = ScriptedTransport { _, _ in
            await gate.pass()
            return S3Response(status: 200, headers: ["content-length": "1"])
        }
        var options = options(SleepRecorder())
        options.maxConcurrentRequests = limit
        let backend = try ScriptedTransport.backend(transport, options: options)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<(limit * 7) {
                group.addTask { _ = try await backend.stat("data/aa/\(index)") }
            }
            try await group.waitForAll()
        }
        #expect(gate.maximum == limit)
        #expect(transport.requests.count == limit * 7)
    }
}

/// Holds callers until `width` of them are inside, then lets that whole group through; records
/// the most ever inside at once. With a correct limit of `width`, groups form exactly.
final class Gate: Sendable {
    private let state = Mutex<(inside: Int, maximum: Int, waiting: [CheckedContinuation<Void, Never>])>((0, 0, []))
    private let width: Int

    init(width: Int) { self.width = width }

    var maximum: Int { state.withLock { $0.maximum } }

    func pass() async {
        await withCheckedContinuation { continuation in
            let release: [CheckedContinuation<Void, Never>] = state.withLock { state in
                state.inside += 1
                state.maximum = max(state.maximum, state.inside)
                state.waiting.append(continuation)
                guard state.waiting.count >= width else { return [] }
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiter in release { waiter.resume() }
        }
        state.withLock { $0.inside -= 1 }
    }
}
