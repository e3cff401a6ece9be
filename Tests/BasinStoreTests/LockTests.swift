import BasinBackend
import BasinCore
import BasinTestSupport
import Foundation
import Testing
@testable import BasinStore

/// The lock protocol (docs/FORMAT.md, "Locks") on a shared backend, with basins opened
/// separately on it standing for separate processes.
@Suite("Locks: shared and exclusive, refresh, stale detection, unlock")
struct LockTests {
    let backend = MemoryBackend()

    func makeBasin() async throws -> Basin {
        try await Basin.create(backend: backend, password: "pw", options: smallOptions(), resolve: noLanes)
    }

    func open() async throws -> Basin {
        try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
    }

    /// Another process's lock, written as that process would.
    func plant(_ basin: Basin, host: String = "elsewhere", pid: Int32 = 4242, exclusive: Bool,
               refreshed: Date = Date()) async throws -> String {
        let record = LockRecord(holder: LockHolder(hostname: host, pid: pid, username: "them"), operation: "backup",
                                exclusive: exclusive, time: refreshed, refreshed: refreshed)
        let name = LockRecord.folder + Hex.encode(UInt64.random(in: 1...UInt64.max))
        try await basin.writeSealedObject(name, plain: record.encoded())
        return name
    }

    func lockNames() async throws -> [String] {
        try await backend.list(prefix: LockRecord.folder).map(\.name).sorted()
    }

    @Test("shared locks coexist; exclusive conflicts with shared and with exclusive, both ways; a loser leaves no object")
    func conflicts() async throws {
        let first = try await makeBasin()
        let second = try await open()
        let a = try await first.lock(exclusive: false, operation: "backup")
        let b = try await second.lock(exclusive: false, operation: "restore")
        #expect(try await lockNames().count == 2)
        await expectBasinError(.locked, naming: "pid \(ProcessInfo.processInfo.processIdentifier)") {
            try await second.lock(exclusive: true, operation: "prune")
        }
        #expect(try await lockNames() == [a.name, b.name].sorted())
        await a.release()
        await b.release()
        #expect(try await lockNames().isEmpty)

        let exclusive = try await first.lock(exclusive: true, operation: "prune")
        await expectBasinError(.locked, naming: "locked exclusively") { try await second.lock(exclusive: false, operation: "backup") }
        await expectBasinError(.locked, naming: "prune") { try await second.lock(exclusive: true, operation: "prune") }
        #expect(try await lockNames() == [exclusive.name])
        await exclusive.release()
        let again = try await second.lock(exclusive: true, operation: "prune")
        await again.release()
    }

    @Test("the conflict message names the holder's host, pid, user and operation")
    func messageNamesHolder() async throws {
        let basin = try await makeBasin()
        _ = try await plant(basin, exclusive: true, refreshed: Date().addingTimeInterval(-125))
        let error = await basinError { try await basin.lock(exclusive: false, operation: "backup") }
        #expect(error?.code == .locked)
        for part in ["host elsewhere", "pid 4242", "user them", "backup", "for 2m"] {
            #expect(error?.message.contains(part) == true, "\(error?.message ?? "")")
        }
    }

    @Test("stale locks are ignored: unrefreshed for longer than the timeout, or of a dead process on this host")
    func staleLocksDoNotBlock() async throws {
        let basin = try await makeBasin()
        var policy = LockPolicy()
        policy.staleAfter = 1800
        let old = try await plant(basin, exclusive: true, refreshed: Date().addingTimeInterval(-1801))
        let lock = try await basin.lock(exclusive: true, operation: "prune", policy: policy)
        await lock.release()
        try await backend.delete(old)

        // A pid no process has (above Linux's pid_max) on this very host.
        _ = try await plant(basin, host: LockHolder.current.hostname, pid: Int32.max, exclusive: true)
        let second = try await basin.lock(exclusive: true, operation: "prune", policy: policy)
        await second.release()

        // The same lock from a live process (this one) blocks.
        _ = try await plant(basin, host: LockHolder.current.hostname, pid: ProcessInfo.processInfo.processIdentifier, exclusive: true)
        await expectBasinError(.locked) { try await basin.lock(exclusive: false, operation: "backup", policy: policy) }
    }

    @Test("a fresh lock of another host blocks whatever its pid")
    func otherHostBlocks() async throws {
        let basin = try await makeBasin()
        _ = try await plant(basin, host: "another-host", pid: Int32.max, exclusive: false)
        await expectBasinError(.locked, naming: "another-host") { try await basin.lock(exclusive: true, operation: "prune") }
        let shared = try await basin.lock(exclusive: false, operation: "backup")
        await shared.release()
    }

    @Test("refresh writes a new object with a later refresh time and deletes the old one")
    func refresh() async throws {
        let basin = try await makeBasin()
        let lock = try await basin.lock(exclusive: false, operation: "backup")
        let before = lock.name
        let taken = lock.record
        try await lock.refresh()
        #expect(lock.name != before)
        #expect(try await lockNames() == [lock.name])
        let stored = try LockRecord.decode(try await basin.readSealedObject(lock.name), name: lock.name)
        #expect(stored.time == taken.time)
        #expect(stored.refreshedAt >= taken.refreshedAt)
        try lock.ensureHeld()
        await lock.release()
        #expect(try await lockNames().isEmpty)
        await expectBasinError(.locked, naming: "released") { try lock.ensureHeld() }
    }

    @Test("a lock removed by unlock --remove-all is lost: refresh and ensureHeld fail")
    func lostLock() async throws {
        let basin = try await makeBasin()
        let other = try await open()
        let lock = try await basin.lock(exclusive: false, operation: "backup")
        let removed = try await other.removeLocks(all: true)
        #expect(removed.map(\.name) == [lock.name])
        await expectBasinError(.locked, naming: "removed") { try await lock.refresh() }
        await expectBasinError(.locked) { try lock.ensureHeld() }
        await lock.release()
    }

    @Test("unlock removes stale locks only; --remove-all removes every lock, unreadable ones too")
    func unlock() async throws {
        let basin = try await makeBasin()
        let live = try await basin.lock(exclusive: false, operation: "backup")
        let stale = try await plant(basin, exclusive: true, refreshed: Date().addingTimeInterval(-7200))
        try await backend.write(LockRecord.folder + "00000000000000bb", bytes: Array("garbage".utf8))
        let removed = try await basin.removeLocks(all: false)
        #expect(removed.map(\.name) == [stale])
        #expect(try await lockNames().count == 2)
        let all = try await basin.removeLocks(all: true)
        #expect(all.count == 2 && all.contains { $0.record == nil && $0.problem?.code == .corrupted })
        #expect(try await lockNames().isEmpty)
        await live.release()
    }

    @Test("an unreadable lock object conflicts (it might be exclusive)")
    func unreadableLockConflicts() async throws {
        let basin = try await makeBasin()
        try await backend.write(LockRecord.folder + "00000000000000cc", bytes: Array("garbage".utf8))
        await expectBasinError(.locked, naming: "00000000000000cc") { try await basin.lock(exclusive: false, operation: "backup") }
        #expect(try await lockNames() == [LockRecord.folder + "00000000000000cc"])
    }

    @Test("taking a lock reloads the index: strata another process committed since this one opened are found")
    func lockReloadsIndex() async throws {
        let first = try await makeBasin()
        let second = try await open()
        let value = randomBytes(50_000, seed: 7)
        let key = try await second.writeValue(value)
        try await second.flush()
        #expect(await first.has(key) == false)
        let lock = try await first.lock(exclusive: false, operation: "backup")
        #expect(await first.has(key))
        #expect(try await first.get(key) == value)
        await lock.release()
    }

    @Test("lock records round-trip; unknown versions and malformed JSON are refused")
    func recordCodec() throws {
        let record = LockRecord(holder: LockHolder(hostname: "h", pid: 12, username: "u"), operation: "prune", exclusive: true,
                                time: Date(timeIntervalSince1970: 1_767_225_600.5), refreshed: Date(timeIntervalSince1970: 1_767_225_900))
        #expect(try LockRecord.decode(record.encoded(), name: "locks/x") == record)
        #expect(String(decoding: record.encoded(), as: UTF8.self).contains("\"time\":\"2026-01-01T00:00:00.500Z\""))
        var future = record
        future.version = 2
        #expect(throws: BasinError.self) { try LockRecord.decode(future.encoded(), name: "locks/x") }
        #expect(throws: BasinError.self) { try LockRecord.decode(Array("{\"pid\": 1}".utf8), name: "locks/x") }
    }
}
