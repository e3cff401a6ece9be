import ArgumentParser
import BasinSnapshots
import BasinStore
import Foundation

/// The options `basin prune` and `basin forget --prune` share.
struct PruneOptionGroup: ParsableArguments {
    @Option(name: .customLong("max-unused"), help: ArgumentHelp("Repack a stratum when more than this share of it is unused.", valueName: "P%"))
    var maxUnused = "10%"

    @Option(name: .customLong("max-repack-size"), help: ArgumentHelp("Write at most this many bytes of live grains again per run (K, M, G, T suffixes; default unlimited).", valueName: "SIZE"))
    var maxRepackSize: String?

    @Option(name: .customLong("repack-cold"), help: ArgumentHelp("always: repack data strata too; never: only delete wholly unused data strata (a cold data lane).", valueName: "never|always"))
    var repackCold = "always"

    @Flag(name: .customLong("no-compaction"), help: "Leave small strata as they are (by default, once a lane has at least 8 under a quarter of the target size, they are merged into full ones).")
    var noCompaction = false

    @Option(name: .customLong("grace-period"), help: ArgumentHelp("Delete condemned strata only this long after their condemnation (30m, 24h, 2d; 0 = in the same run).", valueName: "DURATION"))
    var gracePeriod = "24h"

    func validate() throws {
        _ = try pruneOptions(dryRun: false)
    }

    /// The library options these arguments stand for.
    /// - Throws: `ValidationError` for a malformed value.
    func pruneOptions(dryRun: Bool) throws -> PruneOptions {
        var options = PruneOptions()
        options.dryRun = dryRun
        options.plan.compact = !noCompaction
        guard let percent = Self.percentage(maxUnused) else {
            throw ValidationError("--max-unused takes a percentage from 0% to 100%, not '\(maxUnused)'")
        }
        options.plan.maxUnused = percent / 100
        if let maxRepackSize, maxRepackSize != "unlimited" {
            guard let bytes = Self.byteCount(maxRepackSize) else {
                throw ValidationError("--max-repack-size takes a size such as 500M or 2G, not '\(maxRepackSize)'")
            }
            options.plan.maxRepackBytes = bytes
        }
        switch repackCold {
        case "always": options.plan.repackData = true
        case "never": options.plan.repackData = false
        default: throw ValidationError("--repack-cold takes never or always, not '\(repackCold)'")
        }
        guard let grace = Self.seconds(gracePeriod) else {
            throw ValidationError("--grace-period takes a duration such as 0, 90s, 30m, 24h or 2d, not '\(gracePeriod)'")
        }
        options.gracePeriod = grace
        return options
    }

    /// `10%` or `10` → 10; nil outside 0…100.
    static func percentage(_ text: String) -> Double? {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number), value.isFinite, (0...100).contains(value) else { return nil }
        return value
    }

    /// `1024`, `500K`, `2M`, `1.5G`, `1T` (powers of 1024; a trailing `B` or `iB` is allowed).
    static func byteCount(_ text: String) -> Int64? {
        var body = text.uppercased()
        for suffix in ["IB", "B"] where body.hasSuffix(suffix) && body.count > suffix.count {
            body.removeLast(suffix.count)
            break
        }
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var scale = 1.0
        if let last = body.last, let unit = units[last] {
            scale = unit
            body.removeLast()
        }
        guard let value = Double(body), value.isFinite, value >= 0, value * scale < 9e18 else { return nil }
        return Int64(value * scale)
    }

    /// `0`, `90s`, `30m`, `24h`, `2d`, or combinations such as `1d12h`.
    static func seconds(_ text: String) -> Double? {
        if let plain = Double(text), plain >= 0 { return plain }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var total = 0.0
        var digits = ""
        for character in text {
            if character.isNumber || character == "." {
                digits.append(character)
            } else if let unit = units[character], let value = Double(digits) {
                total += value * unit
                digits = ""
            } else {
                return nil
            }
        }
        return digits.isEmpty && !text.isEmpty ? total : nil
    }
}
