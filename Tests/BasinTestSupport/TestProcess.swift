import Foundation

/// Runs a command-line tool (tar, b3sum) for a test and collects what it printed.
public enum TestProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let output: [UInt8]
        public let errors: String
    }

    /// Runs `executable arguments…` and waits for it.
    /// - Parameters:
    ///   - currentDirectory: Where it runs (this process's directory by default).
    ///   - environment: Variables set on top of this process's environment.
    /// - Returns: Its exit status, standard output and standard error.
    /// - Throws: When it cannot be started.
    public static func run(_ executable: String, _ arguments: [String], currentDirectory: String? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes at once so a full one cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outBytes = Data(), errBytes = Data()
        DispatchQueue.global().async(group: group) { outBytes = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errBytes = errors.fileHandleForReading.readDataToEndOfFile() }
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: Array(outBytes), errors: String(decoding: errBytes, as: UTF8.self))
    }

    /// Extracts a tar archive with GNU tar as root would: owners by id, modes, extended attributes.
    public static func extract(_ archive: String, into directory: String) throws -> Result {
        try run("/usr/bin/tar", ["-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=user.*", "-f", archive, "-C", directory])
    }
}
