import BasinBackend
import BasinCore
import BasinStore
import Foundation

/// How the snapshot commands print sizes, times and JSON.
enum Format {
    /// A size as restic prints it: `0 B`, `512 B`, `3.312 KiB`, `1.000 GiB` (`digits` after
    /// the point; the progress line uses 1).
    static func bytes<Count: BinaryInteger>(_ count: Count, digits: Int = 3) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.\(digits)f %@", value, units[unit])
    }

    /// Local time to the second, as listings show it: `2024-05-01 13:45:07`.
    static func localTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    static func localTime(_ time: TreeEntry.Timestamp) -> String {
        localTime(Date(timeIntervalSince1970: TimeInterval(time.seconds)))
    }

    /// RFC 3339 in UTC with nanoseconds, exactly: `2024-05-01T11:45:07.123456789Z`.
    static func rfc3339(_ time: TreeEntry.Timestamp) -> String {
        RFC3339.format(time, precision: .nanoseconds)
    }

    /// One JSON value: keys in snake case and sorted, on one line unless `pretty`.
    /// - Throws: `.internalError` if the value cannot be encoded (a non-finite number).
    static func json(_ value: some Encodable, pretty: Bool = false) throws(BasinError) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw BasinError(.internalError, "could not encode JSON output", underlying: error)
        }
    }
}
