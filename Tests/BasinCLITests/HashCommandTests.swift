import BasinTestSupport
import Foundation
import Testing

/// `basin hash` run as the real binary, its output compared byte for byte with `b3sum`'s
/// for the same arguments.
@Suite struct HashCommandTests {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The `basin` executable next to this test bundle in the build products directory
    /// (`swift build --build-tests` builds it), else in the package's `.build/debug`.
    static func basinExecutable() throws -> URL {
        var candidates = ([Bundle.main] + Bundle.allBundles).flatMap { bundle in
            [bundle.bundleURL.appendingPathComponent("basin"),
             bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("basin")]
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(package.appendingPathComponent(".build/debug/basin"))
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "no basin executable; looked at \(candidates.map(\.path))")
    }

    /// Runs `executable` (a path, or a name looked up on PATH) in `directory`.
    static func run(_ executable: String, _ arguments: [String], in directory: URL, standardInput: [UInt8] = []) throws -> Run {
        let stdinFile = directory.appendingPathComponent(".stdin-\(UUID().uuidString)")
        try Data(standardInput).write(to: stdinFile)
        defer { try? FileManager.default.removeItem(at: stdinFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.currentDirectoryURL = directory
        process.standardInput = try FileHandle(forReadingFrom: stdinFile)
        let output = directory.appendingPathComponent(".stdout-\(UUID().uuidString)")
        let error = directory.appendingPathComponent(".stderr-\(UUID().uuidString)")
        try Data().write(to: output)
        try Data().write(to: error)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: error)
        }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // A hung command fails its test, named, instead of hanging the suite.
        guard exited.wait(timeout: .now() + .seconds(TestProcess.timeout)) == .success else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestProcess.TimedOut(command: [executable] + arguments, seconds: TestProcess.timeout)
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   standardOutput: String(decoding: try Data(contentsOf: output), as: UTF8.self),
                   standardError: String(decoding: try Data(contentsOf: error), as: UTF8.self))
    }

    /// A temporary directory holding files of assorted sizes and awkward names.
    static func makeFiles() throws -> (directory: URL, names: [String]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("HashCommandTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files: [(String, Int)] = [
            ("empty", 0), ("one byte", 1), ("chunk+1.bin", 1025), ("back\\slash", 70_000),
            ("new\nline", 3), ("large.bin", (3 << 20) + 1), ("ünïcode", 4096),
        ]
        var seed: UInt64 = 0xC0FFEE
        for (name, size) in files {
            var bytes = [UInt8](repeating: 0, count: size)
            for index in bytes.indices {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[index] = UInt8(truncatingIfNeeded: seed >> 33)
            }
            try Data(bytes).write(to: directory.appendingPathComponent(name))
        }
        return (directory, files.map(\.0))
    }

    /// Runs `basin hash ARGUMENTS` and `b3sum ARGUMENTS` and expects identical results.
    static func expectSameAsB3sum(_ arguments: [String], in directory: URL, standardInput: [UInt8] = [],
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let basin = try run(basinExecutable().path, ["hash"] + arguments, in: directory, standardInput: standardInput)
        let b3sum = try run("b3sum", arguments, in: directory, standardInput: standardInput)
        #expect(b3sum.status == 0, "b3sum \(arguments): \(b3sum.standardError)", sourceLocation: sourceLocation)
        #expect(!b3sum.standardOutput.isEmpty, sourceLocation: sourceLocation)
        #expect(basin.standardOutput == b3sum.standardOutput, "basin hash \(arguments)", sourceLocation: sourceLocation)
        #expect(basin.status == 0, "basin hash \(arguments): \(basin.standardError)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        [], ["--no-names"], ["--length", "100"], ["-l", "0"], ["--length", "7", "--no-names"],
        ["--derive-key", "basin CLI test context"], ["--num-threads", "1"], ["--num-threads", "3"],
        ["--num-threads", "0", "--length", "65"],
    ])
    func filesMatchB3sum(flags: [String]) throws {
        let (directory, names) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.expectSameAsB3sum(flags + names, in: directory)
    }

    @Test func keyedModeReadsTheKeyFromStandardInput() throws {
        let (directory, names) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = Array("a 32-byte key for the CLI test!!".utf8)
        try #require(key.count == 32)
        try Self.expectSameAsB3sum(["--keyed"] + names, in: directory, standardInput: key)
        try Self.expectSameAsB3sum(["--keyed", "--length", "48", "--no-names", names[2]], in: directory, standardInput: key)
    }

    @Test func standardInputWhenNoFileOrDash() throws {
        let (directory, names) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try [UInt8](Data(contentsOf: directory.appendingPathComponent("large.bin")))
        try Self.expectSameAsB3sum([], in: directory, standardInput: input)
        try Self.expectSameAsB3sum(["-", names[1]], in: directory, standardInput: input)
        try Self.expectSameAsB3sum(["--length", "40", "--derive-key", "ctx", "-"], in: directory, standardInput: Array(input[..<5000]))
    }

    @Test func missingFileIsReportedAndTheOthersAreStillHashed() throws {
        let (directory, names) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        let basin = try Self.run(Self.basinExecutable().path, ["hash", names[2], "no-such-file", names[0], "."], in: directory)
        let b3sum = try Self.run("b3sum", [names[2], names[0]], in: directory)
        #expect(basin.status == 1)
        #expect(basin.standardOutput == b3sum.standardOutput)
        #expect(basin.standardError.contains("basin: no-such-file: No such file or directory"))
        #expect(basin.standardError.contains("basin: .: Is a directory"))
    }

    @Test func badKeysAndConflictingModesFail() throws {
        let (directory, names) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        let basin = try Self.basinExecutable().path
        let short = try Self.run(basin, ["hash", "--keyed", names[0]], in: directory, standardInput: Array(repeating: 1, count: 31))
        #expect(short.status == 1 && short.standardOutput.isEmpty && short.standardError.contains("found 31"))
        let long = try Self.run(basin, ["hash", "--keyed", names[0]], in: directory, standardInput: Array(repeating: 1, count: 33))
        #expect(long.status == 1 && long.standardOutput.isEmpty && long.standardError.contains("more than 32 key bytes"))
        let both = try Self.run(basin, ["hash", "--keyed", "--derive-key", "x", names[0]], in: directory, standardInput: Array(repeating: 1, count: 32))
        #expect(both.status == 64 && both.standardOutput.isEmpty && both.standardError.contains("--derive-key"))
        let dash = try Self.run(basin, ["hash", "--keyed", "-", names[0]], in: directory, standardInput: Array(repeating: 1, count: 32))
        #expect(dash.status == 1 && dash.standardError.contains("basin: -:"))
        #expect(dash.standardOutput.hasSuffix("  \(names[0])\n"))
    }

    @Test func versionAndHelp() throws {
        let basin = try Self.basinExecutable().path
        let directory = FileManager.default.temporaryDirectory
        let version = try Self.run(basin, ["--version"], in: directory)
        #expect(version.status == 0 && !version.standardOutput.isEmpty)
        let help = try Self.run(basin, ["hash", "--help"], in: directory)
        #expect(help.status == 0 && help.standardOutput.contains("--derive-key"))
    }
}
