import ArgumentParser
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "Back up files and directories as a new snapshot.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "Files and directories to back up.")
    var paths: [String]

    @Option(name: .customLong("tag"), help: "Add a tag to the snapshot (repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("host"), help: "The hostname recorded in the snapshot (default: this machine's).")
    var host: String?

    @Option(name: [.short, .customLong("exclude")], help: "Leave out paths matching this pattern (repeatable).")
    var excludes: [String] = []

    @Option(name: .customLong("iexclude"), help: "Like --exclude, ignoring case.")
    var caseInsensitiveExcludes: [String] = []

    @Option(name: .customLong("exclude-file"), help: "Read exclude patterns from a file, one a line.")
    var excludeFiles: [String] = []

    @Flag(name: [.customShort("x"), .customLong("one-file-system")], help: "Do not cross file system boundaries.")
    var oneFileSystem = false

    /// `-o`, the spelling of earlier versions.
    @Flag(name: .customShort("o"), help: .hidden)
    var oneFileSystemOld = false

    @Option(name: .customLong("parent"), help: "Compare with this snapshot instead of the latest of the same host and paths.")
    var parent: String?

    @Flag(name: .customLong("force"), help: "Read every file, ignoring the parent snapshot.")
    var force = false

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Read and hash, but store nothing.")
    var dryRun = false

    /// `-d`, the spelling of earlier versions.
    @Flag(name: .customShort("d"), help: .hidden)
    var dryRunOld = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        try await BasinCommand.reportingErrors {
            var options = BackupOptions(paths: paths)
            options.tags = tags
            if let host { options.hostname = host }
            options.excludes = excludes
            options.caseInsensitiveExcludes = caseInsensitiveExcludes
            for file in excludeFiles {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw CLIError(code: .invalidArgument, message: "cannot read the exclude file \(file)")
                }
                options.excludes += ExcludeMatcher.patterns(fromFile: text)
            }
            options.oneFileSystem = oneFileSystem || oneFileSystemOld
            options.parent = force ? .none : parent.map { .snapshot($0) } ?? .automatic
            options.dryRun = dryRun || dryRunOld
            options.programVersion = "basin \(BasinCoreVersion.string)"
            try await repository.withLockedBasin(operation: "backup", interruptible: true) { basin, lock in
                var snapshots = SnapshotRepository.reporting(basin)
                snapshots.lock = lock
                try await run(options: options, repository: snapshots)
            }
        }
    }

    /// The backup itself, under the lock.
    private func run(options: BackupOptions, repository: SnapshotRepository) async throws {
        let progress = BackupProgress()
        let engine = BackupEngine(repository: repository, options: options, progress: progress)
        let ticker = ProgressLine.onTerminal().map { line in
            Task {
                // Totals for the ETA come from a quick stat-only walk beside the backup.
                async let counted: Void = engine.countInput()
                while !Task.isCancelled {
                    let now = progress.current
                    line.show(files: now.filesDone, filesTotal: max(now.filesTotal, now.filesDone), bytes: now.bytesDone,
                              bytesTotal: max(now.bytesTotal, now.bytesDone), current: now.currentFile)
                    try? await Task.sleep(for: .milliseconds(200))
                }
                line.finish()
                _ = await counted
            }
        }
        let result: BackupResult
        do {
            result = try await engine.run()
            ticker?.cancel()
            await ticker?.value
        } catch {
            ticker?.cancel()
            await ticker?.value
            throw error
        }
        for warning in result.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        if json {
            print(try Self.json(result))
        } else {
            Self.printSummary(result)
        }
        if !result.isComplete {
            FileHandle.standardError.write(Data("basin: the snapshot is incomplete: \(result.warnings.count) entries could not be read\n".utf8))
            throw ExitCode(ExitCodes.incomplete)
        }
    }

    static func printSummary(_ result: BackupResult) {
        let summary = result.summary
        if let parent = result.parent { print("using parent snapshot \(parent.shortID)") }
        print("Files:  \(summary.filesNew) new, \(summary.filesChanged) changed, \(summary.filesUnmodified) unmodified")
        print("Dirs:   \(summary.directories)")
        print("Added to the basin: \(Format.bytes(summary.bytesAdded)) (\(Format.bytes(summary.bytesStored)) stored)")
        print(String(format: "processed %d files, %@ in %.2fs", summary.filesNew + summary.filesChanged + summary.filesUnmodified,
                     Format.bytes(summary.totalBytes), summary.durationSeconds))
        if let snapshot = result.snapshot {
            print("snapshot \(snapshot.shortID) saved")
        } else {
            print("dry run: nothing was stored")
        }
    }

    /// Keys in snake case like every `--json` output (`summary.bytes_added`, as `snapshots --json`).
    static func json(_ result: BackupResult) throws -> String {
        struct Output: Encodable {
            let snapshotID: String?
            let parent: String?
            let filesRead: Int
            let summary: SnapshotRecord.Summary
            let warnings: [String]

            enum CodingKeys: String, CodingKey {
                case snapshotID = "snapshotId", parent, filesRead, summary, warnings
            }
        }
        return try Format.json(Output(snapshotID: result.snapshot?.id.hex, parent: result.parent?.id.hex, filesRead: result.filesRead,
                                      summary: result.summary, warnings: result.warnings))
    }
}
