import BasinStore
import Foundation
import Testing
@testable import BasinS3

/// The S3 server the integration tests use: the one `scripts/s3-server.sh start` runs and
/// `scripts/test.sh` starts around `swift test`, found through `BASIN_TEST_S3_ENDPOINT`.
///
/// Without that variable every test needing the server fails (it never skips silently),
/// while the other suites stay usable with `swift test --filter`.
enum S3TestServer {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "BASIN_TEST_S3_ENDPOINT is not set: the S3 tests need a server. Run `bash scripts/test.sh`, or "
                + "`bash scripts/s3-server.sh start` and `source /tmp/basin-s3-$(id -u)/env` before `swift test`."
        }
    }

    static let bucket = "basin-test"

    /// `http://127.0.0.1:PORT`, or a thrown ``Missing`` (which fails the calling test).
    static func endpoint() throws -> String {
        guard let endpoint = ProcessInfo.processInfo.environment["BASIN_TEST_S3_ENDPOINT"], !endpoint.isEmpty else {
            throw Missing()
        }
        return endpoint
    }

    /// The server's test identity (scripts/s3-server.sh's fixed credentials by default).
    static var credentials: S3Credentials {
        let environment = ProcessInfo.processInfo.environment
        return S3Credentials(
            accessKeyID: environment["BASIN_TEST_S3_ACCESS_KEY"] ?? "basin-test",
            secretAccessKey: environment["BASIN_TEST_S3_SECRET_KEY"] ?? "basin-test-secret")
    }

    /// Backend options for tests: retries that record their waits instead of sleeping.
    static func options(maxAttempts: Int = 5, sleeps: SleepRecorder? = nil) -> S3Backend.Options {
        var options = S3Backend.Options()
        options.retry = S3RetryPolicy(maxAttempts: maxAttempts, sleep: { delay in await sleeps?.record(delay) })
        return options
    }

    /// A fresh, unique location in the test bucket: `s3:ENDPOINT/basin-test/PREFIX`.
    static func freshLocation(endpoint: String? = nil, bucket: String = bucket) throws -> String {
        "s3:\(try endpoint ?? self.endpoint())/\(bucket)/t-\(UUID().uuidString.lowercased())"
    }

    /// Creates the test bucket once per run.
    static func prepareBucket() async throws {
        try await bucketReady.value
    }

    private static let bucketReady = Task { () async throws -> Void in
        let backend = S3Backend(location: try S3Location("s3:\(try endpoint())/\(bucket)"), credentials: credentials,
                                options: options())
        do {
            try await backend.createBucketIfMissing()
        } catch {
            await backend.shutdown()
            throw error
        }
        await backend.shutdown()
    }

    /// Runs `body` with a backend on a fresh, empty prefix of the test bucket, and shuts the
    /// backend down after.
    static func withBackend<T>(
        options: S3Backend.Options = options(),
        _ body: (S3Backend) async throws -> T
    ) async throws -> T {
        try await prepareBucket()
        let backend = S3Backend(location: try S3Location(try freshLocation()), credentials: credentials, options: options)
        do {
            let result = try await body(backend)
            await backend.shutdown()
            return result
        } catch {
            await backend.shutdown()
            throw error
        }
    }
}

/// Records the backoff delays a retry policy asked for, instead of sleeping.
actor SleepRecorder {
    private(set) var delays: [Duration] = []
    func record(_ delay: Duration) { delays.append(delay) }
}
