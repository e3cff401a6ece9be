import BasinBackend
import BasinCore

extension Checker {
    /// Reads the selected strata whole and opens every grain: frame checksum, AEAD tag,
    /// decompression, and the key (a clast's chunk list must decode; its chunks are checked
    /// as grains of their own).
    func checkData(_ listed: [(lane: Lane, id: UInt64, size: Int)], into report: inout Report) async throws(BasinError) {
        let reader = basin.reader
        let known = Dictionary(report.inventory.strata.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for stratum in Self.select(listed, readData) {
            let name = StratumName.objectName(lane: stratum.lane, id: stratum.id)
            let bytes: [UInt8]
            let header: StratumHeader
            let cipher: PayloadCipher
            let scan: StratumParser.Scan
            do {
                bytes = try await basin.lanes.backend(for: stratum.lane).read(name)
                scan = try reader.decode(name) { () throws(CodecError) in try StratumParser.scan(bytes) }
                header = scan.header
                cipher = try basin.keyring.cipher(for: header)
            } catch {
                try Self.rethrowIfTransient(error)
                report.problems.append(CheckProblem(.data, object: name, "cannot be read: \(error.message)"))
                continue
            }
            report.strataRead += 1
            report.bytesRead += Int64(bytes.count)
            // The index grain's list when it decoded, else what a scan finds (a damaged frame
            // then fails its own check below).
            let entries = known[stratum.id]?.entries ?? scan.entries
            var damaged = 0
            for entry in entries {
                let start = Int(entry.offset), end = Int(entry.offset) + Int(entry.length)
                let problem: String?
                if end > bytes.count {
                    problem = "runs past the end of the stratum"
                } else {
                    problem = Self.verify(frame: bytes[start..<end], entry: entry, stratumID: stratum.id, cipher: cipher,
                                          keyFunction: basin.keyFunction)
                }
                report.grainsRead += 1
                guard let problem else { continue }
                damaged += 1
                if damaged <= Self.problemsPerObject {
                    report.problems.append(CheckProblem(.data, object: name, "grain \(entry.key) (\(entry.kind)) at offset \(entry.offset) \(problem)"))
                }
            }
            if damaged > Self.problemsPerObject {
                report.problems.append(CheckProblem(.data, object: name, "\(damaged) grains in all are damaged"))
            }
        }
    }

    /// - Returns: nil when the grain is whole, else what is wrong with it.
    static func verify(frame: ArraySlice<UInt8>, entry: StratumEntry, stratumID: UInt64, cipher: PayloadCipher, keyFunction: KeyFunction) -> String? {
        do {
            let grain = try StratumReader.open(frame: frame, offset: Int(entry.offset), stratumID: stratumID, cipher: cipher,
                                               keyFunction: keyFunction, key: entry.key)
            guard grain.header.kind == entry.kind else { return "has kind \(grain.header.kind), its index says \(entry.kind)" }
            if grain.header.kind == .clast { _ = try Clast.decode(grain.plain) }
            return nil
        } catch {
            return "is damaged: \(error)"
        }
    }

    /// The strata `selection` picks, in a stable order.
    static func select(_ strata: [(lane: Lane, id: UInt64, size: Int)], _ selection: DataSelection) -> [(lane: Lane, id: UInt64, size: Int)] {
        let sorted = strata.sorted { $0.id < $1.id }
        switch selection {
        case .none: return []
        case .all: return sorted
        case let .group(n, m): return sorted.filter { Int($0.id % UInt64(m)) == n - 1 }
        case let .fraction(f):
            guard !sorted.isEmpty else { return [] }
            let count = min(sorted.count, max(1, Int((Double(sorted.count) * f).rounded(.up))))
            return Array(sorted.shuffled().prefix(count)).sorted { $0.id < $1.id }
        }
    }
}
