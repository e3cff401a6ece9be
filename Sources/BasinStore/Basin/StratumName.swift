import BasinCore

/// Object names of strata: `<lane>/<first two hex digits of the id>/<16 hex digits>.stratum`.
/// The two-digit folders keep directories small on file systems (docs/FORMAT.md, "Layout").
package enum StratumName {
    package static let suffix = ".stratum"

    package static func objectName(lane: Lane, id: UInt64) -> String {
        let hex = Hex.encode(id)
        return "\(lane.folder)/\(hex.prefix(2))/\(hex)\(suffix)"
    }

    /// - Returns: the stratum id named by `objectName`, or nil when it is not a stratum of `lane`.
    package static func parse(_ objectName: String, lane: Lane) -> UInt64? {
        let parts = objectName.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == lane.folder, parts[2].hasSuffix(suffix) else { return nil }
        let hex = String(parts[2].dropLast(suffix.count))
        guard let id = Hex.decodeUInt64(hex), parts[1] == hex.prefix(2), hex == Hex.encode(id) else { return nil }
        return id
    }
}
