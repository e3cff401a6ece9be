import ArgumentParser
import BasinBackend
import BasinKit
import BasinCore
import BasinStore
import Foundation

/// Options every command that opens a basin takes.
struct RepositoryOptions: ParsableArguments {
    @Option(name: [.short, .customLong("repo")], help: ArgumentHelp("The basin: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $BASIN_REPOSITORY).", valueName: "LOCATION"))
    var repository: String?

    @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from this file (default: $BASIN_PASSWORD_FILE, then $BASIN_PASSWORD, then a prompt).", valueName: "FILE"))
    var passwordFile: String?

    @Option(name: .customLong("retry-lock"), help: ArgumentHelp("Keep trying this long when another process holds a conflicting lock (90s, 10m; default: fail at once).", valueName: "DURATION"))
    var retryLock: String?

    /// The lock policy, with `--retry-lock` applied.
    var lockPolicy: LockPolicy {
        get throws {
            var policy = LockPolicy()
            if let retryLock {
                guard let seconds = PruneOptionGroup.seconds(retryLock) else {
                    throw ValidationError("--retry-lock takes a duration such as 30s, 10m or 1h, not '\(retryLock)'")
                }
                policy.retryFor = seconds
                policy.waiting = { conflict in
                    StandardStreams.printError("basin: \(conflict.message); waiting up to \(retryLock) for it (--retry-lock)")
                }
            }
            return policy
        }
    }

    func location() throws -> String {
        guard let location = repository ?? ProcessInfo.processInfo.environment["BASIN_REPOSITORY"], !location.isEmpty else {
            throw ValidationError("no basin given: use -r/--repo PATH or set BASIN_REPOSITORY")
        }
        return location
    }

    /// The password from a file, the environment, or the terminal; nil when none can be had.
    func password(confirm: Bool = false) throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = passwordFile ?? environment["BASIN_PASSWORD_FILE"] {
            guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
                throw CLIError(code: .invalidArgument, message: "cannot read the password file \(path)")
            }
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        }
        if let password = environment["BASIN_PASSWORD"] { return password }
        guard let first = Terminal.readPassword(prompt: "enter password for basin: ") else { return nil }
        if confirm {
            guard let second = Terminal.readPassword(prompt: "enter password again: "), second == first else {
                throw CLIError(code: .invalidArgument, message: "the passwords do not match")
            }
        }
        return first
    }

    /// Opens the basin, asking for a password only when it is encrypted and none was given.
    func openBasin() async throws -> Basin {
        try await openBasinWithPassword().basin
    }

    /// Opens the basin and says which password opened it (nil for an unencrypted basin).
    func openBasinWithPassword() async throws -> (basin: Basin, password: String?) {
        let location = try location()
        let environment = ProcessInfo.processInfo.environment
        let given = passwordFile != nil || environment["BASIN_PASSWORD_FILE"] != nil || environment["BASIN_PASSWORD"] != nil
        // An unencrypted basin needs no password: try without one before prompting.
        let password = given ? try self.password() : nil
        do {
            let basin = try await Basin.open(location, password: password)
            await BasinWarnings.track(basin)
            if given, basin.config.payloadAlgorithm == PayloadAlgorithm.none {
                StandardStreams.printError("basin: warning: the basin at \(basin.location) is not encrypted; the password given is not used")
            }
            return (basin, password)
        } catch {
            guard !given, error.code == .wrongPassword, let prompted = try self.password() else { throw error }
            let basin = try await Basin.open(location, password: prompted)
            await BasinWarnings.track(basin)
            return (basin, prompted)
        }
    }

    /// Opens the basin, takes a lock on it (docs/FORMAT.md, "Locks"), runs `body`, and
    /// releases the lock however `body` ends.
    /// - Parameters:
    ///   - exclusive: an exclusive lock (only prune's delete phase and index repairs need one).
    ///   - operation: named in the lock, for other processes' messages.
    ///   - interruptible: SIGINT and SIGTERM release the lock and exit 130/143 (``Interruption``).
    /// - Throws: `.locked` (exit 11) when another process holds a conflicting lock.
    func withLockedBasin<T>(exclusive: Bool = false, operation: String, interruptible: Bool = false,
                            _ body: (Basin, BasinLock) async throws -> T) async throws -> T {
        let policy = try lockPolicy
        let basin = try await openBasin()
        // Only now: a signal at the password prompt must keep its default (the terminal's echo).
        if interruptible { Interruption.install(operation: operation) }
        let lock: BasinLock
        do {
            lock = try await basin.lock(exclusive: exclusive, operation: operation, policy: policy)
        } catch {
            if interruptible { Interruption.notAcquired() }
            throw error
        }
        if interruptible { await Interruption.hold(lock, operation: operation) }
        // Taking the lock reloads the index, which may have mended something.
        await BasinWarnings.printNew()
        do {
            let result = try await body(basin, lock)
            await lock.release()
            return result
        } catch {
            await lock.release()
            throw error
        }
    }
}
