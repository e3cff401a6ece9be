import Foundation

/// Times in lock objects and condemnation records: RFC 3339 in UTC with milliseconds
/// (`2026-11-26T01:02:03.123Z`), as docs/FORMAT.md ("Locks", "Prune") describes them.
enum RFC3339 {
    /// Truncated to the millisecond, never rounded up: a condemnation must never seem to
    /// have happened later than it did (with a grace period of 0 it is due at once).
    static func format(_ date: Date) -> String {
        formatter().string(from: Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000))
    }

    /// - Returns: the date, or nil for text that is not RFC 3339 (with or without fractions).
    static func parse(_ text: String) -> Date? {
        if let date = formatter().date(from: text) { return date }
        let whole = ISO8601DateFormatter()
        whole.formatOptions = [.withInternetDateTime]
        return whole.date(from: text)
    }

    private static func formatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }
}
