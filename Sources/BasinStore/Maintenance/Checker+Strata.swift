import BasinBackend
import BasinCore

extension Checker {
    /// Checks a stratum's header, footer and index grain, and that its grain frames tile the
    /// space between header and index grain. Reads three small ranges; no grain payload.
    /// - Returns: the stratum with its grains, or nil when its grains cannot be listed.
    func checkStratum(lane: Lane, id: UInt64, size: Int, into report: inout Report) async throws(BasinError) -> StratumInventory.Stratum? {
        let name = StratumName.objectName(lane: lane, id: id)
        let reader = basin.reader
        let backend = basin.lanes.backend(for: lane)
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
            let cipher = try basin.keyring.cipher(for: header)
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

    /// Checks a stratum against the index's record of it alone, reading nothing: the way a
    /// data stratum is checked without `readData`.
    /// - Returns: the stratum with the grains the index lists, or nil when the index does not
    ///   cover it or its grains cannot be trusted.
    func checkIndexed(lane: Lane, id: UInt64, size: Int, indexed: (record: IndexedStratum, entries: [StratumEntry])?,
                      into report: inout Report) -> StratumInventory.Stratum? {
        let name = StratumName.objectName(lane: lane, id: id)
        guard let (record, entries) = indexed else {
            report.problems.append(CheckProblem(.index, object: name, "no index segment covers this stratum"))
            return nil
        }
        func problem(_ message: String, kind: CheckProblem.Kind = .stratum) -> StratumInventory.Stratum? {
            report.problems.append(CheckProblem(kind, object: name, message))
            return nil
        }
        guard record.lane == lane else { return problem("the index records it in the \(record.lane) lane", kind: .index) }
        guard record.size == size else { return problem(Self.sizeChanged(size, record.size)) }
        if record.scanned {
            report.problems.append(CheckProblem(.stratum, object: name, "its footer or index grain was damaged when it was indexed; its grains were found by scanning"))
        }
        guard entries.count == record.grainCount else {
            return problem("the index lists \(entries.count) of its grains, but recorded \(record.grainCount)", kind: .index)
        }
        // Its grains tile the stratum from the header on, leaving room for an index grain and footer.
        var expected = UInt64(StratumHeader.size)
        for entry in entries {
            guard UInt64(entry.offset) == expected, entry.length >= GrainFrameHeader.size, entry.kind.lane == lane else {
                return problem("the index lists grain \(entry.key) (kind \(entry.kind)) at offset \(entry.offset), length \(entry.length): not the next frame of a \(lane) stratum", kind: .index)
            }
            expected = entry.frameEnd
        }
        guard expected + UInt64(GrainFrameHeader.size + 4 + StratumFooter.size) <= UInt64(size) else {
            return problem("the index lists grains up to offset \(expected), leaving no room for the index grain and footer in \(size) bytes", kind: .index)
        }
        return StratumInventory.Stratum(record, entries: entries)
    }

    static func sizeChanged(_ size: Int, _ indexed: Int) -> String {
        "is \(size) bytes long but was \(indexed) when indexed: it was cut short or replaced"
    }

    /// Compares the grains a stratum's own index grain lists with the index's: the same
    /// grains (key, kind, place, lengths) and lane, the same count recorded. (Its size is
    /// compared before it is read.)
    func compare(_ stratum: StratumInventory.Stratum, with indexed: (record: IndexedStratum, entries: [StratumEntry])?,
                 into report: inout Report) {
        guard let (record, entries) = indexed else {
            report.problems.append(CheckProblem(.index, object: stratum.name, "no index segment covers this stratum"))
            return
        }
        if record.lane != stratum.lane {
            report.problems.append(CheckProblem(.index, object: stratum.name, "the index records it in the \(record.lane) lane"))
        }
        // Compared as index entries: the index keeps no frame flags.
        let own = Set(stratum.entries.map { IndexEntry(stratum: stratum.id, $0) })
        let listed = Set(entries.map { IndexEntry(stratum: stratum.id, $0) })
        let unindexed = stratum.entries.filter { !listed.contains(IndexEntry(stratum: stratum.id, $0)) }
        for entry in unindexed.prefix(Self.problemsPerObject) {
            report.problems.append(CheckProblem(.index, object: stratum.name, "grain \(entry.key) at offset \(entry.offset) is not in the index"))
        }
        if unindexed.count > Self.problemsPerObject {
            report.problems.append(CheckProblem(.index, object: stratum.name, "\(unindexed.count) grains in all are not in the index"))
        }
        let stray = entries.filter { !own.contains(IndexEntry(stratum: stratum.id, $0)) }
        for entry in stray.prefix(Self.problemsPerObject) {
            report.problems.append(CheckProblem(.index, object: stratum.name, "the index lists grain \(entry.key) at offset \(entry.offset), length \(entry.length), which the stratum does not hold"))
        }
        if stray.count > Self.problemsPerObject {
            report.problems.append(CheckProblem(.index, object: stratum.name, "\(stray.count) index entries in all name grains the stratum does not hold"))
        }
        if stray.isEmpty, unindexed.isEmpty, record.grainCount != entries.count {
            report.problems.append(CheckProblem(.index, object: stratum.name, "the index recorded \(record.grainCount) grains but lists \(entries.count)"))
        }
    }

    /// Every segment verifies (trailer checksum, order), names only strata that exist, and
    /// lists grains only of strata it covers. (Each stratum is compared with the index by
    /// ``checkIndexed(lane:id:size:indexed:into:)`` or ``compare(_:with:into:)``.)
    func checkIndex(listed: Set<UInt64>, into report: inout Report) async throws(BasinError) {
        let index = basin.segmentedIndex
        // Strata a backup running beside check committed after they were listed: their
        // segments are newer than the listing, and they are not problems.
        var late: Set<UInt64> = []
        for stratum in index.coveredStrata where !listed.contains(stratum) {
            for lane in [Lane.data, .meta] where try await basin.lanes.backend(for: lane).stat(StratumName.objectName(lane: lane, id: stratum)) != nil {
                late.insert(stratum)
            }
        }
        let listed = listed.union(late)
        for problem in index.problems {
            report.problems.append(CheckProblem(.indexSegment, object: problem.name, "cannot be used: \(problem.error.message); basin repair index rebuilds the index"))
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
            let covered = Set(segment.coveredStrata)
            var wrong = 0
            for entry in segment.entries where !covered.contains(entry.stratum) {
                wrong += 1
                if wrong <= Self.problemsPerObject {
                    report.problems.append(CheckProblem(.index, object: segment.name, "the entry for \(entry.key) points at stratum \(Hex.encode(entry.stratum)), which the segment does not cover"))
                }
            }
            if wrong > Self.problemsPerObject {
                report.problems.append(CheckProblem(.index, object: segment.name, "\(wrong) entries in all point at strata the segment does not cover"))
            }
        }
    }
}
