import BasinBackend
import BasinCore
import Foundation
import Glibc

/// What a lock object `locks/<16 hex>` holds (docs/FORMAT.md, "Locks"): who holds the lock,
/// since when, when it was last refreshed, and whether it is exclusive. Stored as a sealed
/// object whose plaintext is this record as JSON with sorted keys.
package struct LockRecord: Codable, Equatable, Sendable {
    package static let currentVersion = 1
    package static let folder = "locks/"

    package var version: Int
    package var hostname: String
    package var pid: Int32
    package var username: String
    /// What the holder does (`backup`, `prune`…), for messages.
    package var operation: String
    /// An exclusive lock conflicts with every other lock; shared locks only with exclusive ones.
    package var exclusive: Bool
    /// When the holder took the lock (RFC 3339, UTC).
    package var time: String
    /// When this object was written: a holder writes a fresh object every refresh interval.
    package var refreshed: String

    package init(holder: LockHolder, operation: String, exclusive: Bool, time: Date, refreshed: Date) {
        version = Self.currentVersion
        hostname = holder.hostname
        pid = holder.pid
        username = holder.username
        self.operation = operation
        self.exclusive = exclusive
        self.time = RFC3339.format(time, precision: .milliseconds)
        self.refreshed = RFC3339.format(refreshed, precision: .milliseconds)
    }

    /// When the lock was taken (the distant past for unreadable text: such a lock is stale).
    package var takenAt: Date { RFC3339.date(time) ?? .distantPast }
    /// When the lock object was last written.
    package var refreshedAt: Date { RFC3339.date(refreshed) ?? .distantPast }

    /// Whether this lock and a lock of the given kind cannot both be held.
    package func conflicts(withExclusive other: Bool) -> Bool { exclusive || other }

    /// Whether the holder is presumed gone: not refreshed for `staleAfter`, or held by a
    /// process of this host that no longer exists.
    /// - Parameters:
    ///   - now: the current time.
    ///   - staleAfter: how long a lock lives without being refreshed.
    ///   - localHost: this machine's hostname; pids are only meaningful on their own host.
    package func isStale(now: Date, staleAfter: TimeInterval, localHost: String) -> Bool {
        if now.timeIntervalSince(refreshedAt) > staleAfter { return true }
        return hostname == localHost && !LockHolder.processExists(pid)
    }

    /// What can be done about this lock while it is not stale: the message of a command it
    /// blocks and `basin unlock` say the same. A pid is checked only on its own host, so a
    /// lock of another host stays until it goes stale or `--remove-all` removes it.
    package func remedy(staleAfter: TimeInterval, localHost: String) -> String {
        if hostname == localHost { return "if that process is gone, basin unlock removes stale locks" }
        let staleAt = RFC3339.format(refreshedAt.addingTimeInterval(staleAfter), precision: .milliseconds)
        return "whether a process on host \(hostname) is gone cannot be told from here: the lock goes stale at \(staleAt) "
            + "(\(Int(staleAfter / 60)) minutes after its last refresh), when basin unlock removes it; if that process is gone now, "
            + "basin unlock --remove-all removes it (only when no other process uses the basin)"
    }

    /// "pid 1234 on host alpha (user u, backup) for 5m" as messages show it.
    package func describe(now: Date) -> String {
        let age = Int(max(0, now.timeIntervalSince(takenAt)))
        let ageText = age >= 3600 ? "\(age / 3600)h\(age % 3600 / 60)m" : age >= 60 ? "\(age / 60)m\(age % 60)s" : "\(age)s"
        return "pid \(pid) on host \(hostname) (user \(username), \(operation)) for \(ageText), since \(time)"
    }

    package func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Plain strings, integers and booleans always encode.
        return Array(try! encoder.encode(self))
    }

    /// - Throws: `.corrupted` naming the object when the JSON does not decode;
    ///   `.incompatibleVersion` for a version this program does not know.
    package static func decode(_ bytes: [UInt8], name: String) throws(BasinError) -> LockRecord {
        let record: LockRecord
        do {
            record = try JSONDecoder().decode(LockRecord.self, from: Data(bytes))
        } catch {
            throw BasinError(.corrupted, "lock \(name) is not a lock record", underlying: error)
        }
        guard record.version == currentVersion else {
            throw BasinError(.incompatibleVersion, "lock \(name) has version \(record.version); this program knows version \(currentVersion)")
        }
        return record
    }
}

/// Who takes a lock: this process unless a test says otherwise.
public struct LockHolder: Sendable, Equatable {
    public var hostname: String
    public var pid: Int32
    public var username: String

    public init(hostname: String, pid: Int32, username: String) {
        self.hostname = hostname
        self.pid = pid
        self.username = username
    }

    /// This process on this machine.
    public static var current: LockHolder {
        LockHolder(hostname: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier,
                   username: ProcessInfo.processInfo.environment["USER"] ?? "")
    }

    /// Whether a process with this pid exists on this machine (signal 0 probes without sending).
    public static func processExists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

/// Timing of the lock protocol.
public struct LockPolicy: Sendable {
    /// How often a holder writes a fresh lock object.
    public var refreshInterval: Duration = .seconds(300)
    /// A lock not refreshed for this long is stale (others may ignore and remove it).
    public var staleAfter: TimeInterval = 1800
    /// How long to keep trying when another process holds a conflicting lock (0: fail at once).
    public var retryFor: TimeInterval = 0
    /// Called once, with the conflict, when a lock is first found held and ``retryFor`` lets
    /// the caller wait: a command says it waits instead of looking hung.
    public var waiting: (@Sendable (BasinError) -> Void)?

    public init() {}
}
