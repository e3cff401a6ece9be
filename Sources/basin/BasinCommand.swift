import ArgumentParser
import BasinCore
import BasinSystem

/// The `basin` command-line tool: the root of its subcommands.
@main
struct BasinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "basin",
        abstract: "A content-addressed storage engine and backup tool.",
        version: BasinCoreVersion.string,
        subcommands: [
            HashCommand.self,
            InitCommand.self, PutCommand.self, GetCommand.self, HasCommand.self, NamesCommand.self, RmCommand.self,
            StatsCommand.self, CatCommand.self, IndexCommand.self,
            BackupCommand.self, RestoreCommand.self, DumpCommand.self,
            SnapshotsCommand.self, LsCommand.self, DiffCommand.self, FindCommand.self, ForgetCommand.self,
            CheckCommand.self, PruneCommand.self, UnlockCommand.self, RepairCommand.self, KeyCommand.self,
        ]
    )

    static func main() async {
        tuneAllocator()
        // As ArgumentParser's main, plus the warnings the basins opened raised while the command ran.
        do {
            var command = try parseAsRoot(LeadingOptions.rearranged(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            await BasinWarnings.printNew()
        } catch {
            await BasinWarnings.printNew()
            exit(withError: error)
        }
    }

    /// glibc hands buffers of 128 KiB and more straight back to the kernel, so every chunk-sized
    /// buffer is faulted in afresh: measured, that made AEAD on 1 MiB buffers 10× slower. Keep
    /// such buffers in the heap instead (the pipeline bounds how many exist at once).
    static func tuneAllocator() {
        CurrentProcess.keepAllocationsInHeap(upTo: 64 << 20)
    }
}
