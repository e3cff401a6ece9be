import BasinCore

extension Checker {
    /// Checks a stratum's header, footer and index grain, and that its grain frames tile the
    /// space between header and index grain. Reads three small ranges; no grain payload.
    /// - Returns: the stratum with its grains, or nil when its grains cannot be listed.
    func checkStratum(lane: Lane, id: UInt64, size: Int, into report: inout Report) async throws(BasinError) -> StratumInventory.Stratum? {
        let name = StratumName.objectName(lane: lane, id: id)
        let reader = basin.reader
        let backend = reader.backend(for: lane)
        func problem(_ message: String) -> StratumInventory.Stratum? {
            report.problems.append(CheckProblem(.stratum, object: name, message))
            return nil
        }
        guard size >= StratumHeader.size + GrainFrameHeader.size + 4 + StratumFooter.size else {
            return problem("is \(size) bytes long, too short for a header, an index grain and a footer")
        }
        do {
            let headerBytes = try await backend.read(name, range: 0..<StratumHeader.size)
            let header = try reader.decode(name) { () throws(CodecError) in try StratumHeader.decode(headerBytes) }
            guard header.stratumID == id, header.lane == lane else {
                return problem("its header names stratum \(Hex.encode(header.stratumID)) of lane \(header.lane), not its own name")
            }
            let cipher = try reader.cipher(for: header)
            let footerStart = size - StratumFooter.size
            let footerBytes = try await backend.read(name, range: footerStart..<size)
            let footer: StratumFooter
            do {
                footer = try StratumFooter.decode(footerBytes, offset: footerStart, stratumSize: size)
            } catch {
                return problem("the footer is damaged (\(error)); the stratum can only be read by scanning")
            }
            guard footer.stratumID == id else { return problem("its footer names stratum \(Hex.encode(footer.stratumID))") }
            let start = Int(footer.indexOffset)
            let frame = try await backend.read(name, range: start..<(start + Int(footer.indexLength)))
            let entries: [StratumEntry]
            do {
                entries = try StratumParser.readIndex(frame: frame, footer: footer, cipher: cipher)
            } catch {
                return problem("the index grain is damaged (\(error)); the stratum can only be read by scanning")
            }
            var expected = UInt32(StratumHeader.size)
            for entry in entries {
                guard entry.offset == expected, entry.length >= GrainFrameHeader.size, entry.kind.lane == lane else {
                    return problem("its index grain lists grain \(entry.key) (\(entry.kind)) at offset \(entry.offset), length \(entry.length): not the next frame of a \(lane) stratum")
                }
                expected += entry.length
            }
            guard UInt64(expected) == footer.indexOffset else {
                return problem("its grains end at offset \(expected) but the index grain starts at \(footer.indexOffset)")
            }
            return StratumInventory.Stratum(lane: lane, id: id, size: size, entries: entries, complete: true)
        } catch {
            try Self.rethrowIfTransient(error)
            return problem(error.message)
        }
    }

    /// Every segment verifies (trailer checksum, order) and agrees with the strata: each entry
    /// names a grain with that key, place, length and kind; each grain is indexed; each
    /// stratum is covered by a segment; no segment names a stratum that is gone.
    func checkIndex(listed: Set<UInt64>, into report: inout Report) async throws(BasinError) {
        let index = basin.segmentedIndex
        // Strata a backup running beside check committed after they were listed: their
        // segments are newer than the listing, and they are not problems.
        var late: Set<UInt64> = []
        for stratum in index.coveredStrata where !listed.contains(stratum) {
            for lane in [Lane.data, .meta] where try await basin.reader.backend(for: lane).stat(StratumName.objectName(lane: lane, id: stratum)) != nil {
                late.insert(stratum)
            }
        }
        let listed = listed.union(late)
        for problem in index.problems {
            report.problems.append(CheckProblem(.indexSegment, object: problem.name, "cannot be used: \(problem.error.message); basin repair index rebuilds the index"))
        }
        var grains: [UInt64: [UInt32: StratumEntry]] = [:]
        for stratum in report.inventory.strata {
            grains[stratum.id] = Dictionary(stratum.entries.map { ($0.offset, $0) }, uniquingKeysWith: { first, _ in first })
        }
        let segments = index.segments
        report.segments = segments.count + index.problems.count
        for segment in segments {
            do {
                try segment.verify()
            } catch {
                report.problems.append(CheckProblem(.indexSegment, object: segment.name, "\(error.message): \(error.underlying.map { "\($0)" } ?? "")"))
                continue
            }
            for stratum in segment.coveredStrata where !listed.contains(stratum) {
                report.problems.append(CheckProblem(.indexSegment, object: segment.name, "covers stratum \(Hex.encode(stratum)), which does not exist"))
            }
            var wrong = 0
            for entry in segment.entries {
                let problem: String
                if !listed.contains(entry.stratum) {
                    problem = "the entry for \(entry.key) points at stratum \(Hex.encode(entry.stratum)), which does not exist"
                } else if let byOffset = grains[entry.stratum] {
                    let grain = byOffset[entry.offset]
                    if grain?.key == entry.key, grain?.length == entry.length, grain?.kind.rawValue == entry.kind { continue }
                    problem = "the entry for \(entry.key) points at offset \(entry.offset) of stratum \(Hex.encode(entry.stratum)), which holds no such grain"
                } else {
                    continue  // a stratum whose own index is damaged, reported already
                }
                wrong += 1
                if wrong <= Self.problemsPerObject { report.problems.append(CheckProblem(.index, object: segment.name, problem)) }
            }
            if wrong > Self.problemsPerObject {
                report.problems.append(CheckProblem(.index, object: segment.name, "\(wrong) entries in all point at grains that do not exist"))
            }
        }
        let covered = index.coveredStrata
        for stratum in report.inventory.strata {
            if !covered.contains(stratum.id) {
                report.problems.append(CheckProblem(.index, object: stratum.name, "no index segment covers this stratum"))
            }
            let unindexed = stratum.entries.filter { index.lookup($0.key) == nil }
            for entry in unindexed.prefix(Self.problemsPerObject) {
                report.problems.append(CheckProblem(.index, object: stratum.name, "grain \(entry.key) at offset \(entry.offset) is not in the index"))
            }
            if unindexed.count > Self.problemsPerObject {
                report.problems.append(CheckProblem(.index, object: stratum.name, "\(unindexed.count) grains in all are not in the index"))
            }
        }
    }
}
