import ArgumentParser
import BasinCore
import BasinStore
import Foundation

struct CatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print a basin's structures for inspection: config, stratum ID, grain KEY.")

    enum What: String, ExpressibleByArgument, CaseIterable {
        case config, stratum, grain
    }

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "config, stratum or grain.")
    var what: What

    @Argument(help: "The stratum id (16 hex digits) or grain key (64 hex digits).")
    var id: String?

    func validate() throws {
        if what != .config, id == nil { throw ValidationError("cat \(what.rawValue) needs an id") }
    }

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            switch what {
            case .config:
                print(String(decoding: try encoder.encode(basin.config), as: UTF8.self))
            case .stratum:
                guard let id, let stratumID = Hex.decodeUInt64(id) else {
                    throw ValidationError("'\(id ?? "")' is not a stratum id: an id is 16 hex digits")
                }
                print(String(decoding: try encoder.encode(try await basin.describeStratum(stratumID)), as: UTF8.self))
            case .grain:
                let key = try parseKey(id ?? "")
                let grain = try await basin.grain(key)
                if grain.kind == .clast, let clast = try? Clast.decode(grain.plain) {
                    for chunk in clast.chunks { print("\(chunk.key.hex) \(chunk.length)") }
                } else {
                    FileHandle.standardOutput.write(Data(grain.plain))
                }
            }
        }
    }
}
