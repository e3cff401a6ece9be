import BasinBackend
import BasinCore
import Foundation

/// A condemnation record `condemned/<16 hex>` (docs/FORMAT.md, "Prune"): strata a prune
/// found unused, to be deleted by a later prune once the grace period has passed and a fresh
/// mark under an exclusive lock still finds them unused. A sealed object holding this JSON.
public struct CondemnationRecord: Codable, Equatable, Sendable {
    public static let currentVersion = 1
    public static let folder = "condemned/"

    public struct Stratum: Codable, Equatable, Sendable {
        /// `data` or `meta`.
        public var lane: String
        /// 16 hex digits.
        public var id: String
        public var size: Int
    }

    public var version: Int
    /// When the strata were condemned (RFC 3339, UTC).
    public var time: String
    public var hostname: String
    public var strata: [Stratum]

    public init(time: Date, hostname: String, strata: [StratumInventory.Stratum]) {
        version = Self.currentVersion
        self.time = RFC3339.format(time, precision: .milliseconds)
        self.hostname = hostname
        self.strata = strata.map { Stratum(lane: $0.lane.folder, id: Hex.encode($0.id), size: $0.size) }
    }

    /// The time of condemnation (the distant future for unreadable text: never due).
    public var date: Date { RFC3339.date(time) ?? .distantFuture }
    public var stratumIDs: Set<UInt64> { Set(strata.compactMap { Hex.decodeUInt64($0.id) }) }
    /// The strata's bytes in all (saturating: a sum is reported, never trusted for safety).
    public var bytes: Int { Self.saturatingSum(strata.lazy.map(\.size)) }

    /// The bytes of all `records`' strata, saturating as ``bytes`` does.
    public static func bytes(of records: some Sequence<CondemnationRecord>) -> Int {
        saturatingSum(records.lazy.map(\.bytes))
    }

    /// A stratum's size in a record is at most this (a stratum is far smaller: its target
    /// is at most 2 GiB); larger sizes mark a record as damaged.
    public static let maxStratumSize = 1 << 40

    private static func saturatingSum(_ values: some Sequence<Int>) -> Int {
        values.reduce(0) { sum, value in
            let (total, overflow) = sum.addingReportingOverflow(value)
            return overflow ? .max : total
        }
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try! encoder.encode(self))
    }

    /// - Throws: `.corrupted` naming the object; `.incompatibleVersion` for an unknown version.
    public static func decode(_ bytes: [UInt8], name: String) throws(BasinError) -> CondemnationRecord {
        let record: CondemnationRecord
        do {
            record = try JSONDecoder().decode(CondemnationRecord.self, from: Data(bytes))
        } catch {
            throw BasinError(.corrupted, "condemnation record \(name) does not decode", underlying: error)
        }
        guard record.version == currentVersion else {
            throw BasinError(.incompatibleVersion, "condemnation record \(name) has version \(record.version); this program knows version \(currentVersion)")
        }
        for stratum in record.strata {
            guard stratum.lane == Lane.data.folder || stratum.lane == Lane.meta.folder,
                  Hex.decodeUInt64(stratum.id) != nil, stratum.id == stratum.id.lowercased(),
                  (0...maxStratumSize).contains(stratum.size)
            else {
                throw BasinError(.corrupted, "condemnation record \(name) names an impossible stratum (lane '\(stratum.lane)', id '\(stratum.id)', size \(stratum.size))")
            }
        }
        return record
    }
}

/// A condemnation record and its object name.
public struct Condemnation: Sendable {
    public let name: String
    public let record: CondemnationRecord

    /// Whether the grace period has passed (within the millisecond the record's time keeps).
    public func isDue(now: Date, gracePeriod: TimeInterval) -> Bool {
        now.timeIntervalSince(record.date) >= gracePeriod - 0.001
    }
}

extension Basin {
    /// Writes a condemnation record naming `strata`.
    /// - Returns: the record written.
    public nonisolated func condemn(_ strata: [StratumInventory.Stratum], at time: Date = Date()) async throws(BasinError) -> Condemnation {
        let record = CondemnationRecord(time: time, hostname: LockHolder.current.hostname, strata: strata)
        let name = CondemnationRecord.folder + Hex.encode(SecureRandom.bytes(8))
        try await writeSealedObject(name, plain: record.encoded())
        return Condemnation(name: name, record: record)
    }

    /// Every condemnation record, oldest first. A record that cannot be read is returned in
    /// `unreadable` (its strata are simply never deleted: the safe side).
    public nonisolated func condemnations() async throws(BasinError) -> (records: [Condemnation], unreadable: [BasinError]) {
        var records: [Condemnation] = []
        var unreadable: [BasinError] = []
        for object in try await listObjects(prefix: CondemnationRecord.folder) {
            do {
                let record = try CondemnationRecord.decode(try await readSealedObject(object.name), name: object.name)
                records.append(Condemnation(name: object.name, record: record))
            } catch where error.code == .notFound {
                continue
            } catch {
                unreadable.append(error)
            }
        }
        return (records.sorted { ($0.record.date, $0.name) < ($1.record.date, $1.name) }, unreadable)
    }

    /// The delete phase: makes the index cover only the strata that stay, deletes `strata`,
    /// then the condemnation records carried out. Every step is idempotent, so a crash at any
    /// point is finished by the next prune (docs/FORMAT.md, "Prune").
    /// - Parameters:
    ///   - strata: the strata to delete (already checked by ``PrunePlan/deletable(condemned:inventory:live:)``).
    ///   - inventory: every stratum now, read under `lock`.
    ///   - records: the condemnation records this carries out (deleted last).
    ///   - lock: the exclusive lock; checked before anything is deleted.
    /// - Returns: the bytes deleted.
    /// - Throws: `.locked` when the lock was lost; the backend's errors.
    public func deleteCondemned(_ strata: Set<UInt64>, inventory: StratumInventory, records: [Condemnation],
                                lock: BasinLock) async throws(BasinError) -> Int {
        guard lock.exclusive else { throw BasinError(.invalidArgument, "deleting strata needs an exclusive lock") }
        try lock.ensureHeld()
        let staying = inventory.strata.filter { !strata.contains($0.id) }
        try await index.rebuild(from: staying.map { stratum in
            (stratum.record, stratum.entries.map { IndexEntry(stratum: stratum.id, $0) })
        })
        var deleted = 0
        for stratum in inventory.strata where strata.contains(stratum.id) {
            try lock.ensureHeld()
            try await lanes.backend(for: stratum.lane).delete(stratum.name)
            deleted += stratum.size
        }
        for record in records { try await deleteObject(record.name) }
        return deleted
    }
}
