import ArgumentParser
import BasinBackend
import BasinStore
import Foundation

/// Exit codes (docs/CLI.md): restic's where they fit.
enum ExitCodes {
    static let absent: Int32 = 1
    static let fatal: Int32 = 2
    static let incomplete: Int32 = 3
    static let repositoryMissing: Int32 = 10
    static let lockFailed: Int32 = 11
    static let wrongPassword: Int32 = 12
    static let corrupted: Int32 = 13
    static let noSpace: Int32 = 14
    static let incompatibleVersion: Int32 = 15
    static let usage: Int32 = 64

    static func code(for error: BasinError) -> Int32 {
        switch error.code {
        case .invalidArgument: usage
        case .notFound: absent
        case .noRepository: repositoryMissing
        case .wrongPassword: wrongPassword
        case .corrupted: corrupted
        case .noSpace: noSpace
        case .incompatibleVersion: incompatibleVersion
        case .locked: lockFailed
        case .alreadyExists, .unavailable, .internalError: fatal
        }
    }
}

/// An error the CLI reports itself: a message on stderr and an exit code.
struct CLIError: Error, CustomStringConvertible {
    let code: BasinError.Code
    let message: String
    var description: String { message }
}

extension BasinCommand {
    /// Runs `body`, turning store errors into a message naming the object and an exit code.
    static func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as BasinError {
            FileHandle.standardError.write(Data("basin: \(error.message)\n".utf8))
            throw ExitCode(ExitCodes.code(for: error))
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("basin: \(error.message)\n".utf8))
            throw ExitCode(ExitCodes.code(for: BasinError(error.code, error.message)))
        }
    }
}
