import ArgumentParser
import BasinBackend
import BasinCore
import BasinKit
import BasinStore
import Foundation

struct NamesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "names", abstract: "List the named keys (KEY  NAME), sorted by name.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "Only the names starting with this prefix.")
    var prefix = ""

    @Flag(help: "Print JSON: an array of {\"key\", \"name\"}.")
    var json = false

    struct Entry: Encodable {
        let key: String
        let name: String
    }

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            let names = try await basin.names(prefix: prefix)
            if json {
                print(try Format.json(names.map { Entry(key: $0.key.hex, name: $0.name) }, pretty: true))
                return
            }
            for (name, key) in names { print("\(key.hex)  \(name)") }
        }
    }
}

struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Stop keeping stored values (or names): a later prune reclaims what nothing else reaches.",
        discussion: "All or nothing: when one key is not a stored value (or one name is unknown), nothing is removed and rm exits 1.")

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .customLong("name"), help: "The arguments are names, not keys.")
    var byName = false

    @Argument(help: ArgumentHelp("The keys (64 hex digits), or names with --name.", valueName: "KEY|NAME"))
    var targets: [String]

    func validate() throws {
        if targets.isEmpty { throw ValidationError("give at least one key (or a name with --name)") }
        if !byName { _ = try targets.map(parseKey) }
    }

    func run() async throws {
        let keys = byName ? [] : try targets.map(parseKey)
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            try await basin.batch(policy: try repository.lockPolicy) { batch in
                if byName {
                    for name in targets { batch.remove(named: name) }
                } else {
                    for key in keys { batch.remove(key) }
                }
            }
        }
    }
}
