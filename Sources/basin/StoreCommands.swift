import ArgumentParser
import BasinBackend
import BasinCore
import BasinKit
import BasinS3
import BasinStore
import BasinSystem
import Foundation
import SystemPackage

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new basin.")

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .customLong("no-encryption"), help: "Store payloads unencrypted; keys are plain BLAKE3 (as b3sum prints).")
    var noEncryption = false

    @Option(name: .customLong("encryption"), help: "chacha20-poly1305 (default) or aes-256-gcm.")
    var encryption = PayloadAlgorithm.chacha20Poly1305.name

    @Option(name: [.customLong("data-location"), .customLong("data-repository")],
            help: ArgumentHelp("Keep the data lane's strata in this directory or s3: location (cold storage); --data-repository is the same.", valueName: "LOCATION"))
    var dataLocation: String?

    @Option(name: .customLong("data-storage-class"), help: ArgumentHelp("S3 storage class of the data lane's strata (STANDARD_IA, GLACIER, …); needs an s3: basin or --data-location.", valueName: "CLASS"))
    var dataStorageClass: String?

    @Option(name: .customLong("compression"), help: "zstd level 1-19, or 0 for none.")
    var compression: Int32 = 3

    @Option(name: .customLong("stratum-size"), help: "Target size of a stratum in bytes.")
    var stratumSize = 16 << 20

    @Option(name: .customLong("chunk-sizes"), help: ArgumentHelp("Minimum, average and maximum chunk size in bytes.", valueName: "MIN,AVG,MAX"))
    var chunkSizes: String?

    func run() async throws {
        try await BasinCommand.reportingErrors {
            var options = BasinCreateOptions()
            if noEncryption {
                options.encryption = .none
            } else {
                guard let algorithm = PayloadAlgorithm(name: encryption), algorithm != .none else {
                    throw ValidationError("unknown encryption '\(encryption)': use chacha20-poly1305 or aes-256-gcm")
                }
                options.encryption = algorithm
            }
            guard (0...22).contains(compression) else { throw ValidationError("--compression must be 0 to 22") }
            options.compressionLevel = compression == 0 ? nil : compression
            guard stratumSize >= 4096 else { throw ValidationError("--stratum-size must be at least 4096") }
            options.stratumTargetSize = stratumSize
            if let chunkSizes {
                let parts = chunkSizes.split(separator: ",").compactMap { Int($0) }
                guard parts.count == 3, let parameters = try? FastCDCParameters(minSize: parts[0], averageSize: parts[1], maxSize: parts[2]) else {
                    throw ValidationError("--chunk-sizes takes MIN,AVG,MAX with MIN ≤ AVG ≤ MAX")
                }
                options.chunker = parameters
            }
            let location = try repository.location()
            if let dataStorageClass {
                guard !dataStorageClass.isEmpty, dataStorageClass.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw ValidationError("--data-storage-class takes an S3 storage class such as STANDARD_IA")
                }
                guard S3Location.isS3(dataLocation ?? location) else {
                    throw ValidationError("--data-storage-class needs an s3: basin or an s3: --data-location")
                }
                options.laneStorageClasses[Lane.data.folder] = dataStorageClass
            }
            if let dataLocation {
                options.laneLocations[Lane.data.folder] = dataLocation
            } else if dataStorageClass != nil {
                // The data lane stays beside the rest, written with its own storage class.
                options.laneLocations[Lane.data.folder] = location
            }
            var password: String?
            if options.encryption != .none {
                password = try repository.password(confirm: true)
                guard let password, !password.isEmpty else {
                    throw CLIError(code: .invalidArgument, message: "an encrypted basin needs a password: set BASIN_PASSWORD, use --password-file, or run on a terminal")
                }
            }
            let basin = try await Basin.create(location, password: password, options: options)
            print("created basin \(basin.config.id.prefix(16)) at \(location)")
            if options.encryption == .none {
                StandardStreams.printError("basin: warning: the basin is not encrypted: whoever can read its files can read everything stored in it, and keys are plain BLAKE3 hashes of the content")
            }
        }
    }
}

struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Store files (or stdin) in one commit, keep them until rm, and print their keys.",
        discussion: "One file prints its key; several print KEY  FILE lines, as b3sum does. The keys are printed once the whole batch is committed: killed before, none of it is kept.")

    @OptionGroup var repository: RepositoryOptions

    @Option(name: .customLong("name"), help: ArgumentHelp("Name the value (once per file, in order): the name keeps it, instead of its key.", valueName: "NAME"))
    var names: [String] = []

    @Argument(help: "The files to store; - or nothing for stdin.")
    var files: [String] = []

    var paths: [String] { files.isEmpty ? ["-"] : files }

    func validate() throws {
        if !names.isEmpty, names.count != paths.count {
            throw ValidationError("give --name once per file: \(paths.count) file\(paths.count == 1 ? "" : "s"), \(names.count) name\(names.count == 1 ? "" : "s")")
        }
        for name in names where !RootRecord.isValidName(name) {
            throw ValidationError("a name takes 1 to \(RootRecord.maxNameLength) bytes of UTF-8")
        }
        if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("stdin (-) can be stored once per put") }
    }

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            // Under the shared lock a backup takes: prune's delete phase cannot run between
            // the values' commit and the root record's, and sees the record once it runs.
            let keys = try await basin.batch(policy: try repository.lockPolicy) { batch in
                for (index, path) in paths.enumerated() {
                    let name = names.isEmpty ? nil : names[index]
                    if path == "-" {
                        batch.put(name: name, reading: Self.readStandardInput)
                    } else {
                        batch.put(contentsOfFile: path, name: name)
                    }
                }
            }
            if keys.count == 1 {
                print(keys[0].hex)
            } else {
                for (key, path) in zip(keys, paths) { print("\(key.hex)  \(path)") }
            }
        }
    }

    /// Reads stdin into a prefix of `buffer`; 0 at its end.
    @Sendable static func readStandardInput(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do throws(SystemError) {
            return try FileDescriptor.standardInput.readSome(into: buffer)
        } catch {
            throw CLIError(code: .unavailable, message: "cannot read stdin: \(error.errno)")
        }
    }
}

/// Parses a key argument, as a usage error when malformed.
func parseKey(_ text: String) throws -> Key {
    guard let key = Key(hex: text) else { throw ValidationError("'\(text)' is not a key: a key is 64 hex digits") }
    return key
}

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Write the value stored under a key to stdout or a file.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The key (64 hex digits).")
    var key: String?

    @Option(name: .customLong("name"), help: ArgumentHelp("Get the value this name maps to, instead of a key.", valueName: "NAME"))
    var name: String?

    @Option(name: .shortAndLong, help: "Write to this file (created whole or not at all) instead of stdout.")
    var output: String?

    func validate() throws {
        guard (key == nil) != (name == nil) else { throw ValidationError("give a key or --name NAME (one of them)") }
    }

    func run() async throws {
        let given = try key.map(parseKey)
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            let key: Key
            if let given { key = given } else { key = try await basin.key(forName: name ?? "") }
            guard let output else {
                try await basin.get(key) { (piece: [UInt8]) throws(BasinError) in FileHandle.standardOutput.write(Data(piece)) }
                return
            }
            // Write beside the target and rename once the whole value is verified.
            let temporary = output + ".basin-partial"
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
                throw CLIError(code: .invalidArgument, message: "cannot create \(temporary)")
            }
            do {
                try await basin.get(key) { (piece: [UInt8]) throws(BasinError) in
                    do { try handle.write(contentsOf: piece) } catch {
                        throw BasinError(.unavailable, "cannot write \(output)", underlying: error)
                    }
                }
                try handle.close()
                do throws(SystemError) {
                    try FileDescriptor.currentDirectory.rename(Array(temporary.utf8), to: Array(output.utf8))
                } catch {
                    throw CLIError(code: .unavailable, message: "cannot rename \(temporary) to \(output): \(error.errno)")
                }
            } catch {
                try? handle.close()
                try? FileDescriptor.currentDirectory.remove(Array(temporary.utf8))
                throw error
            }
        }
    }
}

struct HasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "has", abstract: "Exit 0 when the basin holds the key, 1 when not.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The key (64 hex digits).")
    var key: String

    func run() async throws {
        let key = try parseKey(key)
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            guard await basin.has(key) else { throw ExitCode(ExitCodes.absent) }
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Strata, grains and bytes per lane, and the index's size.")

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            let statistics = try await basin.statistics()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(statistics), as: UTF8.self))
                return
            }
            print("lane      strata    grains     stored bytes        raw bytes   ratio")
            for lane in [Lane.data, .meta] {
                let stats = statistics.lanes[lane.folder] ?? .init()
                let ratio = stats.storedBytes == 0 ? 0 : Double(stats.rawBytes) / Double(stats.storedBytes)
                print(String(format: "%-6@ %9d %9d %16d %16d %7.2f", lane.folder as NSString, stats.strata, stats.grains,
                             stats.storedBytes, stats.rawBytes, ratio))
                if stats.damagedStrata > 0 { print("  \(stats.damagedStrata) damaged strata (indexed by scanning)") }
            }
            let index = statistics.index
            print("index: \(index.segments) segments, \(index.entries) entries, \(index.bytes) bytes (\(String(format: "%.1f", index.bytesPerGrain)) bytes per grain)")
        }
    }
}

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index", abstract: "Maintain the index.",
                                                    subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rebuild the index from the strata alone.")

        @OptionGroup var repository: RepositoryOptions

        func run() async throws {
            try await BasinCommand.reportingErrors {
                try await RepairCommand.rebuildIndex(repository)
            }
        }
    }
}
