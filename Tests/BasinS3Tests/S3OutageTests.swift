import BasinCore
import BasinStore
import Foundation
import Testing
@testable import BasinS3

/// The server going away mid-way, on a private SeaweedFS this test starts, kills and restarts
/// (through scripts/s3-server.sh, on ports of its own, in a temporary directory).
@Suite("Basin on S3: server stopped mid-way")
struct S3OutageTests {
    @Test("writes fail with .unavailable while it is down; after a restart the basin reopens with all flushed before")
    func serverStoppedMidWay() async throws {
        _ = try S3TestServer.endpoint()  // fails clearly when S3 tests are not set up
        let server = try PrivateS3Server(accessKey: S3TestServer.credentials.accessKeyID,
                                         secretKey: S3TestServer.credentials.secretAccessKey)
        defer { server.stop() }
        try server.start()
        let location = "s3:\(server.endpoint)/outage/basin"
        let setup = S3Backend(location: try S3Location(location), credentials: S3TestServer.credentials, options: S3TestServer.options())
        try await setup.createBucketIfMissing()
        await setup.shutdown()

        let sleeps = SleepRecorder()
        let resolver = s3Resolver(sleeps: sleeps)
        let backend = try await resolver(BasinConfig.LaneLocation(location: location))
        let basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(), resolve: resolver)
        var flushed: [(Key, [UInt8])] = []
        for index in 0..<6 {
            let value = testBytes(index == 0 ? 150_000 : 10_000 * index, seed: UInt64(index))
            flushed.append((try await basin.writeValue(value), value))
        }
        try await basin.flush()

        server.kill()
        let late = testBytes(120_000, seed: 99)
        let error = try #require(await basinError {
            _ = try await basin.writeValue(late)
            try await basin.flush()
        })
        #expect(error.code == .unavailable, "\(error)")
        #expect(error.message.contains(server.endpoint), "\(error.message)")
        #expect(await sleeps.delays.count >= 4)  // the retries ran, without sleeping

        try server.start()
        let reopened = try await Basin.open(backend: try await resolver(BasinConfig.LaneLocation(location: location)),
                                            password: "pw", resolve: resolver)
        for (key, value) in flushed { #expect(try await reopened.get(key) == value) }
        // What failed to flush can be stored again.
        let again = try await reopened.writeValue(late)
        try await reopened.flush()
        #expect(try await reopened.get(again) == late)
    }
}
