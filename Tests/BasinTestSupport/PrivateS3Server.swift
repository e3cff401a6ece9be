import Foundation
import Glibc
import Synchronization

/// A SeaweedFS server of a test's own, on free ports, in a temporary directory, run through
/// scripts/s3-server.sh: for tests that stop the server mid-way and start it again on the
/// same data and ports.
public final class PrivateS3Server: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let directory: String
    public let ports: [String: Int]
    public let accessKey: String
    public let secretKey: String
    public var endpoint: String { "http://127.0.0.1:\(ports["BASIN_S3_PORT"]!)" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/s3-server.sh").standardizedFileURL.path

    /// Chooses the ports and the directory; nothing runs until ``start()``.
    /// - Parameters:
    ///   - accessKey: The server's one identity (the script's test credentials by default).
    ///   - secretKey: Its secret.
    /// - Throws: ``Failure`` when no free port can be had.
    public init(accessKey: String = "basin-test", secretKey: String = "basin-test-secret") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("basin-s3-private-\(UUID().uuidString)").path
        var ports: [String: Int] = [:]
        for name in ["BASIN_S3_PORT", "BASIN_S3_MASTER_PORT", "BASIN_S3_VOLUME_PORT", "BASIN_S3_FILER_PORT",
                     "BASIN_S3_GRPC_PORT", "BASIN_S3_MASTER_GRPC_PORT", "BASIN_S3_VOLUME_GRPC_PORT", "BASIN_S3_FILER_GRPC_PORT"] {
            ports[name] = try Self.freePort()
        }
        self.ports = ports
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    private var environment: [String: String] {
        ports.mapValues(String.init).merging(["BASIN_S3_ACCESS_KEY": accessKey, "BASIN_S3_SECRET_KEY": secretKey]) { a, _ in a }
    }

    /// Starts the server, or starts it again on the data it had; returns once it answers.
    /// - Throws: ``Failure`` with the script's message when it does not start.
    public func start() throws {
        _ = try Self.run(["bash", Self.script, "start", directory], environment: environment)
    }

    /// SIGKILL, as a crash or a pulled plug would stop it; returns once the process is gone
    /// (or a zombie awaiting its reaper), so no request can reach it any more. Its data stays.
    public func kill() {
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
    public func stop() {
        _ = try? Self.run(["bash", Self.script, "stop", directory],
                          environment: environment.merging(["BASIN_S3_STOP_WAIT": "0"]) { _, new in new })
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The next port to try: each process of the suite starts at its own place in a range below
    /// Linux's ephemeral ports (32768 and up), and no two servers of one process share a port.
    private static let nextPort = Mutex(20_000 + Int(getpid() % 240) * 50)

    /// A TCP port on 127.0.0.1 that nothing listens on now. It lies below the ephemeral range,
    /// so the suite's own outgoing connections (which take ephemeral ports) cannot take it
    /// between this check and the server's bind, as they could a port the kernel picked.
    /// - Throws: ``Failure`` when no port in the range is free.
    public static func freePort() throws -> Int {
        for _ in 0..<12_000 {
            let port = nextPort.withLock { next in
                defer { next = next >= 31_999 ? 20_000 : next + 1 }
                return next
            }
            if isFree(port) { return port }
        }
        throw Failure(description: "no free port on 127.0.0.1 between 20000 and 31999")
    }

    /// Whether a listening socket can be bound to 127.0.0.1:`port`.
    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Runs `env arguments…`, returning its standard output; a non-zero exit throws with its stderr.
    private static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try TestProcess.run("/usr/bin/env", arguments, environment: environment)
        guard result.status == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.errors)")
        }
        return String(decoding: result.output, as: UTF8.self)
    }
}
