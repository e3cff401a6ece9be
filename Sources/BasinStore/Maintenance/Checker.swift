import BasinBackend
import BasinCore

/// The store-level half of `basin check`: config and key files, the index segments, every
/// stratum against the index's record of it, and with `readData` every grain re-read and
/// re-hashed.
///
/// A stratum's header, footer and index grain are read and must agree with the index grain
/// for grain, except in a data lane kept apart from the basin (`--data-location`,
/// `--data-storage-class`: cold storage). There, without `readData`, nothing is read but the
/// lane's listing: each data stratum is checked against the index alone (size as listed,
/// grains tiling it, the grain count recorded), as restic's check compares pack sizes with
/// its index.
public struct Checker: Sendable {
    public let basin: Basin
    public var readData: DataSelection

    /// What checking the store found.
    public struct Report: Sendable {
        public var problems: [CheckProblem] = []
        /// The strata whose footer and index grain decoded, with their grains: what the
        /// snapshot checks compare sizes against.
        public var inventory = StratumInventory(strata: [])
        public var keyFiles = 0
        public var strata = 0
        public var grains = 0
        public var segments = 0
        /// With `readData`: strata read whole, grains opened and re-hashed, bytes read.
        public var strataRead = 0
        public var grainsRead = 0
        public var bytesRead: Int64 = 0
    }

    /// Problems found in one place are reported up to this many times, then summed up.
    static let problemsPerObject = 10

    public init(basin: Basin, readData: DataSelection = .none) {
        self.basin = basin
        self.readData = readData
    }

    /// Runs every store check.
    /// - Throws: `.unavailable` (or another transient backend error) when the basin cannot be
    ///   read at all; problems with the basin's content are in the report instead.
    public func run() async throws(BasinError) -> Report {
        var report = Report()
        try await checkConfig(&report)
        try await checkKeyFiles(&report)
        let listed = try await basin.listStrata()
        report.strata = listed.count
        let indexed = try await basin.indexedStrata(covering: listed)
        var strata: [StratumInventory.Stratum] = []
        for stratum in listed {
            let record = indexed[stratum.id]
            let checked: StratumInventory.Stratum?
            if stratum.lane == .data, readData == .none, basin.dataLaneIsApart {
                checked = checkIndexed(lane: stratum.lane, id: stratum.id, size: stratum.size, indexed: record, into: &report)
            } else {
                if let record, record.record.size != stratum.size {
                    report.problems.append(CheckProblem(.stratum, object: StratumName.objectName(lane: stratum.lane, id: stratum.id),
                                                        Self.sizeChanged(stratum.size, record.record.size)))
                }
                checked = try await checkStratum(lane: stratum.lane, id: stratum.id, size: stratum.size, into: &report)
                if let checked { compare(checked, with: record, into: &report) }
            }
            if let checked { strata.append(checked) }
        }
        report.inventory = StratumInventory(strata: strata)
        report.grains = strata.reduce(0) { $0 + $1.entries.count }
        try await checkIndex(listed: Set(listed.map(\.id)), into: &report)
        if readData != .none {
            try await checkData(listed.map { ($0.lane, $0.id, $0.size) }, into: &report)
        }
        return report
    }

    func checkConfig(_ report: inout Report) async throws(BasinError) {
        do {
            let decoded = try BasinConfig.decode(try await basin.backend.read(BasinConfig.objectName), location: basin.backend.location)
            if decoded != basin.config {
                report.problems.append(CheckProblem(.config, object: BasinConfig.objectName, "the config changed since the basin was opened"))
            }
        } catch {
            try Self.rethrowIfTransient(error)
            report.problems.append(CheckProblem(.config, object: BasinConfig.objectName, error.message))
        }
    }

    func checkKeyFiles(_ report: inout Report) async throws(BasinError) {
        let objects = try await basin.listObjects(prefix: KeyFile.folder)
        report.keyFiles = objects.count
        let encrypted = basin.config.payloadAlgorithm != PayloadAlgorithm.none
        if encrypted, objects.isEmpty {
            report.problems.append(CheckProblem(.keyFile, object: KeyFile.folder, "the basin is encrypted but has no key file"))
        }
        for object in objects {
            do {
                let file = try KeyFile.decode(try await basin.backend.read(object.name), name: object.name)
                try file.validated(name: object.name)
                if !encrypted {
                    report.problems.append(CheckProblem(.keyFile, object: object.name, "an unencrypted basin should have no key files"))
                }
            } catch {
                try Self.rethrowIfTransient(error)
                report.problems.append(CheckProblem(.keyFile, object: object.name, error.message))
            }
        }
    }

    /// Errors that say nothing about the basin's content end the check.
    static func rethrowIfTransient(_ error: BasinError) throws(BasinError) {
        switch error.code {
        case .unavailable, .noSpace, .internalError, .wrongPassword: throw error
        default: return
        }
    }
}
