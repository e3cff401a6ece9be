import Foundation
import BasinTestSupport
import Testing

/// Runs the real `basin` binary built next to the test bundle.
struct CLIRunner {
    struct Result {
        let status: Int32
        let stdout: [UInt8]
        let stderr: String
        /// Killed by a signal (`status` is then its number), not an exit.
        var signaled = false
        var output: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// The `basin` executable in the build products folder holding this test bundle.
    static let executable: URL = {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let beside = products.appendingPathComponent("basin")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.build/debug/basin").standardizedFileURL
    }()

    var environment: [String: String] = [:]

    /// Longest a `basin` command may run in a test: far beyond any here, so a hung command
    /// fails its test with its arguments named instead of hanging the suite.
    static let commandTimeout = 600

    /// A command that did not finish within ``commandTimeout`` (it was killed).
    struct TimedOut: Error, CustomStringConvertible {
        let arguments: [String]
        var description: String { "basin \(arguments.joined(separator: " ")) did not finish within \(CLIRunner.commandTimeout) s; killed" }
    }

    /// Runs `basin arguments…` with `stdin` as standard input and waits for it, at most
    /// ``commandTimeout`` seconds.
    func run(_ arguments: [String], stdin: [UInt8] = []) throws -> Result {
        guard let result = try start(arguments, stdin: stdin).wait(seconds: Self.commandTimeout) else {
            throw TimedOut(arguments: arguments)
        }
        return result
    }

    /// A `basin` process started and not yet waited for.
    final class Running: @unchecked Sendable {
        let process: Process
        let group = DispatchGroup()
        // Written by the drain tasks under `condition`; read after `group.wait()` or under it.
        var outBytes = Data(), errBytes = Data()
        let condition = NSCondition()

        init(process: Process) { self.process = process }

        /// Waits for the process and collects what it printed.
        func wait() -> Result {
            group.wait()
            return collect()
        }

        /// Waits at most `seconds` for the process (its output closing); nil when it still
        /// runs then, after killing it, so a hung command fails its test instead of hanging it.
        func wait(seconds: Int) -> Result? {
            guard group.wait(timeout: .now() + .seconds(seconds)) == .success else {
                process.terminate()
                process.waitUntilExit()
                return nil
            }
            return collect()
        }

        /// Waits until the process has printed `text` on stderr (true), or ended or spent
        /// `seconds` without printing it (false): a test's way to know where the process is.
        func waitForError(containing text: String, seconds: Int = CLIRunner.commandTimeout) -> Bool {
            let deadline = Date().addingTimeInterval(TimeInterval(seconds))
            condition.lock()
            defer { condition.unlock() }
            while true {
                if String(decoding: errBytes, as: UTF8.self).contains(text) { return true }
                if errorsClosed || !condition.wait(until: deadline) { return String(decoding: errBytes, as: UTF8.self).contains(text) }
            }
        }

        private var errorsClosed = false

        /// Reads stderr as it comes, so ``waitForError(containing:seconds:)`` sees it at once.
        func drainErrors(_ handle: FileHandle) {
            while true {
                let piece = handle.availableData
                condition.lock()
                if piece.isEmpty { errorsClosed = true } else { errBytes.append(piece) }
                condition.broadcast()
                condition.unlock()
                if piece.isEmpty { return }
            }
        }

        private func collect() -> Result {
            process.waitUntilExit()
            return Result(status: process.terminationStatus, stdout: Array(outBytes), stderr: String(decoding: errBytes, as: UTF8.self),
                          signaled: process.terminationReason == .uncaughtSignal)
        }
    }

    /// Starts `basin arguments…` with `stdin` as standard input, without waiting for it.
    func start(_ arguments: [String], stdin: [UInt8] = []) throws -> Running {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        var base = ProcessInfo.processInfo.environment
        for name in ["BASIN_REPOSITORY", "BASIN_PASSWORD", "BASIN_PASSWORD_FILE"] { base[name] = nil }
        process.environment = base.merging(environment) { _, new in new }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Drain both pipes concurrently so a large output cannot block the child.
        let running = Running(process: process)
        DispatchQueue.global().async(group: running.group) { running.outBytes = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: running.group) { running.drainErrors(errors.fileHandleForReading) }
        try input.fileHandleForWriting.write(contentsOf: stdin)
        try input.fileHandleForWriting.close()
        return running
    }
}

extension CLIRunner.Running {
    /// Waits for the process on a dispatch thread: an async test waiting for a child then
    /// leaves the concurrency pool's few threads (two on a small machine) to other tests.
    func finished() async -> CLIRunner.Result {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.wait()) }
        }
    }
}

extension CLIRunner {
    /// ``run(_:stdin:)`` for async tests, holding no thread of the concurrency pool while it waits.
    func execute(_ arguments: [String], stdin: [UInt8] = []) async throws -> Result {
        try await start(arguments, stdin: stdin).finished()
    }
}

/// A temporary directory removed when the value is dropped.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("basin-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a command-line tool other than basin (b3sum, mount), at most ``TestProcess/timeout``
/// seconds, and returns its stdout.
func runTool(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let result = try TestProcess.run(path, arguments, environment: environment)
    return (result.status, String(decoding: result.output, as: UTF8.self))
}

/// Seeded bytes for CLI tests.
func seededBytes(_ count: Int, seed: UInt64) -> [UInt8] { SplitMix64.bytes(count, seed: seed) }
