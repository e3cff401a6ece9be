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
        let server = try PrivateS3Server()
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
            flushed.append((try await basin.put(value), value))
        }
        try await basin.flush()

        server.kill()
        let late = testBytes(120_000, seed: 99)
        let error = try #require(await basinError {
            _ = try await basin.put(late)
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
        let again = try await reopened.put(late)
        try await reopened.flush()
        #expect(try await reopened.get(again) == late)
    }
}

/// A SeaweedFS server of a test's own, on free ports, in a temporary directory.
final class PrivateS3Server: Sendable {
    let directory: String
    let ports: [String: Int]
    var endpoint: String { "http://127.0.0.1:\(ports["BASIN_S3_PORT"]!)" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/s3-server.sh").standardizedFileURL.path

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("basin-s3-private-\(UUID().uuidString)").path
        var ports: [String: Int] = [:]
        for name in ["BASIN_S3_PORT", "BASIN_S3_MASTER_PORT", "BASIN_S3_VOLUME_PORT", "BASIN_S3_FILER_PORT",
                     "BASIN_S3_GRPC_PORT", "BASIN_S3_MASTER_GRPC_PORT", "BASIN_S3_VOLUME_GRPC_PORT", "BASIN_S3_FILER_GRPC_PORT"] {
            ports[name] = try freePort()
        }
        self.ports = ports
    }

    private var environment: [String: String] {
        ports.mapValues(String.init).merging([
            "BASIN_S3_ACCESS_KEY": S3TestServer.credentials.accessKeyID,
            "BASIN_S3_SECRET_KEY": S3TestServer.credentials.secretAccessKey,
        ]) { a, _ in a }
    }

    func start() throws {
        try runProgram("/usr/bin/env", ["bash", Self.script, "start", directory], environment: environment)
    }

    /// SIGKILL, as a crash or a pulled plug would stop it; returns once the process is gone
    /// (or a zombie awaiting its reaper), so no request can reach it any more.
    func kill() {
        guard let text = try? String(contentsOfFile: directory + "/weed.pid", encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        Foundation.kill(pid, SIGKILL)
        for _ in 0..<1000 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"),
                  stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z" else { return }
            usleep(10_000)
        }
    }

    /// Stops the server at once (its data is thrown away) and removes its directory.
    func stop() {
        _ = try? runProgram("/usr/bin/env", ["bash", Self.script, "stop", directory],
                            environment: environment.merging(["BASIN_S3_STOP_WAIT": "0"]) { _, new in new })
        try? FileManager.default.removeItem(atPath: directory)
    }
}
