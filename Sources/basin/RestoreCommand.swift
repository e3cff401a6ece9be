import ArgumentParser
import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a snapshot, or a path in one, into a directory.",
        discussion: """
            SNAPSHOT is 'latest', an id or a unique id prefix, optionally followed by ':PATH' to restore \
            only that path of the snapshot: a directory's content goes into the target, any other \
            entry goes into it under its name. Without ':PATH' the target receives the backed-up \
            absolute paths (TARGET/home/u/docs/...). Patterns are matched against paths in the \
            snapshot, as restic does: '*', '?', '[...]', '**' across directories; a pattern starting \
            with '/' is anchored at the snapshot's root; a pattern naming a directory covers what is in it.
            """
    )

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: ArgumentHelp("The snapshot, optionally with a path in it.", valueName: "SNAPSHOT[:PATH]"))
    var snapshot: String

    @Option(name: [.short, .long], help: ArgumentHelp("The directory to restore into (created when missing).", valueName: "DIR"))
    var target: String

    @Option(name: .customLong("include"), help: ArgumentHelp("Restore only what matches (repeatable).", valueName: "PATTERN"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Leave out what matches (repeatable).", valueName: "PATTERN"))
    var excludes: [String] = []

    @Flag(help: "Re-read every restored file and check it against its content key.")
    var verify = false

    @Flag(help: "Replace existing files in the target (never a non-empty directory).")
    var overwrite = false

    @Flag(help: "Print a JSON summary.")
    var json = false

    /// What `--json` prints.
    private struct Output: Encodable {
        let snapshot: String
        let target: String
        let summary: RestoreReport
    }

    func run() async throws {
        guard !target.isEmpty else { throw ValidationError("--target must name a directory") }
        let argument = Self.bytes(CommandLineBytes.path(for: snapshot))
        let colon = argument.firstIndex(of: UInt8(ascii: ":"))
        let name = String(decoding: argument[..<(colon ?? argument.endIndex)], as: UTF8.self)
        let targetPath = Self.bytes(CommandLineBytes.path(for: target))
        try await BasinCommand.reportingErrors {
            let subpath = try colon.map { colon throws(BasinError) in try snapshotPath(Array(argument[(colon + 1)...])) } ?? []
            var options = RestoreOptions()
            options.includes = try includes.map { pattern throws(BasinError) in try PathPattern(pattern) }
            options.excludes = try excludes.map { pattern throws(BasinError) in try PathPattern(pattern) }
            options.verify = verify
            options.overwrite = overwrite
            try await repository.withLockedBasin(operation: "restore") { basin, _ in
                let snapshots = SnapshotRepository.reporting(basin)
                let chosen = try await snapshots.resolve(name)
                let line = ProgressLine.onTerminal()
                let report = try await RestoreEngine(repository: snapshots, options: options)
                    .restore(chosen, subpath: subpath, into: targetPath) { progress in
                        line?.show(files: progress.filesDone, filesTotal: progress.filesTotal, bytes: progress.bytesDone,
                                   bytesTotal: progress.bytesTotal, current: progress.currentFile)
                    }
                line?.finish()
                try print(report, snapshot: chosen)
                guard report.isComplete else {
                    let codes = Set(report.failures.map(\.code))
                    StandardStreams.printError("basin: restore incomplete: \(report.failures.count) of the entries could not be restored")
                    // Damage first (the basin needs care), then a full disk (the target does), then other I/O.
                    if codes.contains(BasinError.Code.corrupted.rawValue) { throw ExitCode(ExitCodes.corrupted) }
                    if codes.contains(BasinError.Code.noSpace.rawValue) { throw ExitCode(ExitCodes.noSpace) }
                    throw ExitCode(ExitCodes.fatal)
                }
            }
        }
    }

    private func print(_ report: RestoreReport, snapshot: Snapshot) throws {
        for warning in report.warnings { StandardStreams.printError("basin: warning: \(warning)") }
        for failure in report.failures { StandardStreams.printError("basin: \(failure.path): \(failure.message)") }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let output = Output(snapshot: snapshot.id.hex, target: target, summary: report)
            StandardStreams.printOutput(String(decoding: try encoder.encode(output), as: UTF8.self))
            return
        }
        var parts = ["\(report.files) files (\(ProgressLine.size(report.bytes)))", "\(report.directories) directories"]
        if report.symlinks > 0 { parts.append("\(report.symlinks) symlinks") }
        if report.hardLinks > 0 { parts.append("\(report.hardLinks) hard links") }
        if report.specialFiles > 0 { parts.append("\(report.specialFiles) special files") }
        StandardStreams.printOutput("restored \(parts.joined(separator: ", ")) from snapshot \(snapshot.shortID) to \(target)")
        if verify { StandardStreams.printOutput("verified \(report.verifiedFiles) files") }
    }

    /// A NUL-terminated argument as bytes.
    static func bytes(_ argument: [CChar]) -> [UInt8] {
        argument.dropLast().map { UInt8(bitPattern: $0) }
    }
}
