import ArgumentParser
import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write a file of a snapshot to stdout, or anything else (a directory) as a tar archive.",
        discussion: """
            The archive is POSIX pax tar, with entries named from PATH's last component \
            (docs/, docs/a.txt); PATH '/' archives the whole snapshot. It keeps modes, owners, \
            times with nanoseconds, symlinks, hard links, fifos, devices and extended attributes.
            """
    )

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The snapshot: 'latest', an id or a unique id prefix.")
    var snapshot: String

    @Argument(help: "The path in the snapshot.")
    var path: String

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let components = try snapshotPath(commandLineBytes(path))
            try await repository.withLockedBasin(operation: "dump") { basin, _ in
                let snapshots = SnapshotRepository.reporting(basin)
                let chosen = try await snapshots.resolve(snapshot)
                let dump = Dump(repository: snapshots)
                if isatty(STDOUT_FILENO) == 1, try await dump.isArchive(chosen, path: components) {
                    throw CLIError(code: .invalidArgument, message: "\(path) is a directory: refusing to write a tar archive to a terminal (redirect stdout)")
                }
                let output = FileHandle.standardOutput
                try await dump.write(chosen, path: components) { (piece: [UInt8]) throws(BasinError) in
                    do {
                        try output.write(contentsOf: piece)
                    } catch {
                        throw BasinError(.unavailable, "cannot write to standard output", underlying: error)
                    }
                }
            }
        }
    }
}
