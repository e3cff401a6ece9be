import Foundation

/// Runs a command-line tool (tar, b3sum, mount) for a test and collects what it printed.
public enum TestProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let output: [UInt8]
        public let errors: String
    }

    /// Longest a tool may run in a test: far beyond any here, so a hung tool fails its test
    /// naming the command instead of hanging the suite.
    public static let timeout = 600

    /// A tool that did not finish within its timeout (it was killed).
    public struct TimedOut: Error, CustomStringConvertible {
        public let command: [String]
        public let seconds: Int
        public var description: String { "\(command.joined(separator: " ")) did not finish within \(seconds) s; killed" }

        public init(command: [String], seconds: Int) {
            self.command = command
            self.seconds = seconds
        }
    }

    /// Runs `executable arguments…` and waits for it, at most `timeout` seconds.
    /// - Parameters:
    ///   - currentDirectory: Where it runs (this process's directory by default).
    ///   - environment: Variables set on top of this process's environment.
    ///   - standardInput: A file to read standard input from (none by default).
    ///   - timeout: Seconds after which it is killed and ``TimedOut`` thrown.
    /// - Returns: Its exit status, standard output and standard error.
    /// - Throws: When it cannot be started, or ``TimedOut``.
    public static func run(_ executable: String, _ arguments: [String], currentDirectory: String? = nil,
                           environment: [String: String] = [:], standardInput: String? = nil,
                           timeout: Int = TestProcess.timeout) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = try standardInput.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) } ?? FileHandle.nullDevice
        try process.run()
        // Drain both pipes at once so a full one cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outBytes = Data(), errBytes = Data()
        DispatchQueue.global().async(group: group) { outBytes = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errBytes = errors.fileHandleForReading.readDataToEndOfFile() }
        guard group.wait(timeout: .now() + .seconds(timeout)) == .success else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TimedOut(command: [executable] + arguments, seconds: timeout)
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: Array(outBytes), errors: String(decoding: errBytes, as: UTF8.self))
    }

    /// Extracts a tar archive with GNU tar as root would: owners by id, modes, extended attributes.
    public static func extract(_ archive: String, into directory: String) throws -> Result {
        try run("/usr/bin/tar", ["-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=user.*", "-f", archive, "-C", directory])
    }
}
