import ArgumentParser
import BasinCore

/// The `basin` command-line tool: the root of its subcommands.
@main
struct BasinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "basin",
        abstract: "A content-addressed storage engine and backup tool.",
        version: BasinCoreVersion.string,
        subcommands: [HashCommand.self, InitCommand.self, PutCommand.self, GetCommand.self, HasCommand.self,
                      StatsCommand.self, CatCommand.self, IndexCommand.self]
    )
}
