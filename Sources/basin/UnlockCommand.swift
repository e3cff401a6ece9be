import ArgumentParser
import BasinStore
import Foundation

struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Remove stale locks (or every lock with --remove-all).",
        discussion: """
            A lock is stale when it was not refreshed for 30 minutes, or when it belongs to a \
            process of this host that no longer exists. --remove-all also removes the locks of \
            running processes: use it only when no other process uses the basin.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .customLong("remove-all"), help: "Remove every lock, not only stale ones.")
    var removeAll = false

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            let removed = try await basin.removeLocks(all: removeAll)
            let now = Date()
            for info in removed {
                print("removed \(info.name)" + (info.record.map { ": \($0.describe(now: now))" } ?? " (unreadable)"))
            }
            print(removed.isEmpty ? "no \(removeAll ? "" : "stale ")locks to remove" : "removed \(removed.count) lock\(removed.count == 1 ? "" : "s")")
            guard !removeAll else { return }
            // Say why each lock left is kept, as a command it blocks does.
            let host = LockHolder.current.hostname, policy = LockPolicy()
            for info in try await basin.locks() {
                guard let record = info.record else {
                    print("kept \(info.name): it cannot be read; if no other process uses the basin, basin unlock --remove-all removes it")
                    continue
                }
                print("kept \(info.name): \(record.describe(now: now)); \(record.remedy(staleAfter: policy.staleAfter, localHost: host))")
            }
        }
    }
}
