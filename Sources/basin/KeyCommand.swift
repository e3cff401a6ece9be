import ArgumentParser
import BasinStore
import Foundation

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage the passwords of an encrypted basin (one key file each).",
        discussion: """
            Every key file wraps the same master and id keys under its own password, so any of \
            them opens the basin. The last key cannot be removed, nor the key in use (passwd \
            replaces it: it adds the new key, then removes the current one).
            """,
        subcommands: [List.self, Add.self, Remove.self, Passwd.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the key files; * marks the one in use.")

        @OptionGroup var repository: RepositoryOptions

        @Flag(help: "Print JSON.")
        var json = false

        struct Entry: Encodable {
            let id: String
            let current: Bool
            let created: String
            let hostname: String
            let username: String
        }

        func run() async throws {
            try await BasinCommand.reportingErrors {
                let (basin, password) = try await repository.openBasinWithPassword()
                let current = try await password.asyncMap { try await basin.keyFileID(opening: $0) }
                let entries = try await basin.keyFiles().map {
                    Entry(id: $0.id, current: $0.id == current, created: $0.file.created, hostname: $0.file.hostname, username: $0.file.username)
                }
                if json {
                    print(try Format.json(entries, pretty: true))
                    return
                }
                print(" ID                Created                    Host             User")
                for entry in entries {
                    print("\(entry.current ? "*" : " ")\(entry.id)  \(pad(entry.created, 25))  \(pad(entry.hostname, 15))  \(entry.username)")
                }
            }
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a key file for a new password.")

        @OptionGroup var repository: RepositoryOptions
        @OptionGroup var newPassword: NewPasswordOptions

        func run() async throws {
            try await BasinCommand.reportingErrors {
                let basin = try await repository.openBasin()
                let id = try await basin.addKey(password: try newPassword.read())
                print("added key \(id)")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key file (not the last one, nor the one in use).")

        @OptionGroup var repository: RepositoryOptions

        @Argument(help: "The key's id (16 hex digits) or a unique prefix.")
        var id: String

        func run() async throws {
            try await BasinCommand.reportingErrors {
                let (basin, password) = try await repository.openBasinWithPassword()
                let current = try await password.asyncMap { try await basin.keyFileID(opening: $0) }
                let removed = try await basin.removeKey(id, inUse: current)
                print("removed key \(removed)")
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change the password in use: add a key for the new one, then remove the current key.")

        @OptionGroup var repository: RepositoryOptions
        @OptionGroup var newPassword: NewPasswordOptions

        func run() async throws {
            try await BasinCommand.reportingErrors {
                let (basin, password) = try await repository.openBasinWithPassword()
                guard let password, let current = try await basin.keyFileID(opening: password) else {
                    throw CLIError(code: .invalidArgument, message: "the basin is not encrypted: it has no password to change")
                }
                // The new key is written first: a crash in between leaves both passwords working.
                let added = try await basin.addKey(password: try newPassword.read())
                try await basin.removeKey(current, inUse: nil)
                print("changed the password: added key \(added), removed key \(current)")
            }
        }
    }
}

/// Where a new password comes from: `--new-password-file`, `$BASIN_NEW_PASSWORD`, or a prompt (twice).
struct NewPasswordOptions: ParsableArguments {
    @Option(name: .customLong("new-password-file"), help: ArgumentHelp("Read the new password from this file (default: $BASIN_NEW_PASSWORD, then a prompt).", valueName: "FILE"))
    var newPasswordFile: String?

    func read() throws -> String {
        if let newPasswordFile {
            guard let data = FileManager.default.contents(atPath: newPasswordFile), var text = String(data: data, encoding: .utf8) else {
                throw CLIError(code: .invalidArgument, message: "cannot read the new password file \(newPasswordFile)")
            }
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return try nonEmpty(text)
        }
        if let password = ProcessInfo.processInfo.environment["BASIN_NEW_PASSWORD"] { return try nonEmpty(password) }
        guard let first = Terminal.readPassword(prompt: "enter new password: ") else {
            throw CLIError(code: .invalidArgument, message: "no new password: use --new-password-file, set BASIN_NEW_PASSWORD, or run on a terminal")
        }
        guard let second = Terminal.readPassword(prompt: "enter new password again: "), second == first else {
            throw CLIError(code: .invalidArgument, message: "the new passwords do not match")
        }
        return try nonEmpty(first)
    }

    private func nonEmpty(_ password: String) throws -> String {
        guard !password.isEmpty else { throw CLIError(code: .invalidArgument, message: "the new password is empty") }
        return password
    }
}

extension Optional {
    /// `map` for an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
