import BasinBackend
import BasinCore
import BasinStore
import BasinTestSupport
import Foundation
import Testing
@testable import BasinS3

/// What a user sees when the store refuses or cannot be reached, against the real server.
@Suite("S3 backend on a real server: errors name bucket, object and endpoint")
struct S3ErrorTests {
    @Test("wrong credentials: .invalidArgument saying so, naming bucket and object", arguments: [
        ("basin-test", "wrong-secret"), ("nobody", "basin-test-secret"),
    ])
    func wrongCredentials(accessKey: String, secret: String) async throws {
        try await S3TestServer.withBackend { good in
            try await good.write("config", bytes: [1])
            let bad = S3Backend(location: good.s3Location,
                                credentials: S3Credentials(accessKeyID: accessKey, secretAccessKey: secret),
                                options: S3TestServer.options())
            defer { Task { await bad.shutdown() } }
            let calls: [(String, @Sendable () async throws -> Void)] = [
                ("read", { @Sendable in _ = try await bad.read("config") }),
                ("stat", { @Sendable in _ = try await bad.stat("config") }),
                ("write", { @Sendable in try await bad.write("keys/k1", bytes: [2]) }),
                ("list", { @Sendable in _ = try await bad.list(prefix: "") }),
            ]
            for (label, call) in calls {
                let error = try #require(await basinError(call), "\(label)")
                #expect(error.code == .invalidArgument, "\(label): \(error)")
                #expect(error.message.contains("refused the credentials"), "\(label): \(error.message)")
                #expect(error.message.contains("bucket '\(S3TestServer.bucket)'"), "\(label): \(error.message)")
                if label != "list" {
                    #expect(error.message.contains("config") || error.message.contains("keys/k1"), "\(label): \(error.message)")
                }
            }
            #expect(try await good.list(prefix: "").map(\.name) == ["config"])
        }
    }

    @Test("a missing bucket: .noRepository naming it, and Basin.open says there is no basin")
    func missingBucket() async throws {
        let endpoint = try S3TestServer.endpoint()
        let bucket = "basin-missing-\(UUID().uuidString.lowercased().prefix(8))"
        let backend = S3Backend(location: try S3Location("s3:\(endpoint)/\(bucket)/p"), credentials: S3TestServer.credentials,
                                options: S3TestServer.options())
        defer { Task { await backend.shutdown() } }
        await expectBasinError(.noRepository, naming: "bucket '\(bucket)'") { try await backend.list(prefix: "") }
        await expectBasinError(.noRepository, naming: "bucket '\(bucket)'") { try await backend.read("config") }
        await expectBasinError(.noRepository, naming: "bucket '\(bucket)'") { try await backend.write("config", bytes: [1]) }
        #expect(try await !backend.bucketExists())
        let error = try #require(await basinError {
            try await Basin.open(backend: backend, password: "pw", resolve: { _ throws(BasinError) in backend })
        })
        #expect(error.code == .noRepository && error.message.contains(bucket), "\(error)")
    }

    @Test("an unreachable endpoint: .unavailable naming it, after the bounded retries")
    func unreachableEndpoint() async throws {
        let port = try PrivateS3Server.freePort()
        let sleeps = SleepRecorder()
        let backend = S3Backend(location: try S3Location("s3:http://127.0.0.1:\(port)/bucket/p"),
                                credentials: S3TestServer.credentials, options: S3TestServer.options(maxAttempts: 3, sleeps: sleeps))
        defer { Task { await backend.shutdown() } }
        let calls: [@Sendable () async throws -> Void] = [
            { @Sendable in _ = try await backend.stat("config") },
            { @Sendable in _ = try await backend.read("data/aa/x", range: 0..<10) },
            { @Sendable in try await backend.write("config", bytes: [1]) },
        ]
        for call in calls {
            let error = try #require(await basinError(call))
            #expect(error.code == .unavailable)
            #expect(error.message.contains("http://127.0.0.1:\(port)") && error.message.contains("3 attempts"), "\(error.message)")
            #expect(error.message.hasSuffix("3 attempts: connection refused (errno \(ECONNREFUSED))"), "\(error.message)")
        }
        #expect(await sleeps.delays.count == 3 * 2)
    }
}

/// Runs a program (at most ``TestProcess/timeout`` seconds), returning its standard output;
/// a non-zero exit throws with its stderr.
@discardableResult
func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let result = try TestProcess.run(path, arguments, environment: environment)
    guard result.status == 0 else {
        throw ScriptedTransport.Failure(description: "\(path) \(arguments.joined(separator: " ")) exited \(result.status): \(result.errors)")
    }
    return String(decoding: result.output, as: UTF8.self)
}
