import Foundation

/// Times as Basin's records write them (docs/FORMAT.md): RFC 3339 in UTC, `2026-11-26T01:02:03.123Z`.
///
/// Written and read here rather than by Foundation's `ISO8601DateFormatter`, whose ICU parser
/// traps (SIGFPE) on a long run of fraction digits: a damaged or hostile record must be
/// unreadable, never fatal. The calendar arithmetic is the proleptic Gregorian one
/// (days from civil dates and back, as in Howard Hinnant's `chrono` algorithms).
public enum RFC3339 {
    /// Digits after the seconds' point.
    public enum Precision: Sendable {
        case seconds, milliseconds, nanoseconds
    }

    /// A time as seconds since 1970 (UTC) and nanoseconds within the second: the tree's
    /// timestamp, one time value for the whole core.
    public typealias Instant = TreeEntry.Timestamp

    /// Years outside 0000…9999 cannot be written in RFC 3339; times beyond are clamped.
    static let earliest: Int64 = daysFromCivil(year: 0, month: 1, day: 1) * 86_400
    static let latest: Int64 = daysFromCivil(year: 9999, month: 12, day: 31) * 86_400 + 86_399

    /// `instant` in UTC with the digits `precision` asks for, truncated (never rounded up: a
    /// condemnation must never seem to have happened later than it did).
    public static func format(_ instant: Instant, precision: Precision) -> String {
        let seconds = min(max(instant.seconds, earliest), latest)
        let days = seconds.floorDivided(by: 86_400), second = Int(seconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        var text = padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T"
            + padded(second / 3600, 2) + ":" + padded(second / 60 % 60, 2) + ":" + padded(second % 60, 2)
        switch precision {
        case .seconds: break
        case .milliseconds: text += "." + padded(Int(instant.nanoseconds / 1_000_000), 3)
        case .nanoseconds: text += "." + padded(Int(instant.nanoseconds), 9)
        }
        return text + "Z"
    }

    public static func format(_ date: Date, precision: Precision) -> String {
        format(Instant(date), precision: precision)
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; fraction digits beyond the ninth are
    /// read and dropped.
    /// - Returns: the instant, or nil for text that is not such a time.
    public static func parse(_ text: String) -> Instant? {
        var reader = Reader(bytes: Array(text.utf8))
        guard let year = reader.number(digits: 4), reader.skip("-"), let month = reader.number(digits: 2), reader.skip("-"),
              let day = reader.number(digits: 2), reader.skip("T") || reader.skip("t") || reader.skip(" "),
              let hour = reader.number(digits: 2), reader.skip(":"), let minute = reader.number(digits: 2), reader.skip(":"),
              let second = reader.number(digits: 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        var nanoseconds: UInt32 = 0
        if reader.skip(".") {
            var digits = 0
            while let digit = reader.digit() {
                if digits < 9 { nanoseconds = nanoseconds * 10 + UInt32(digit) }
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanoseconds *= 10 }
        }
        var offset = 0
        if reader.skip("Z") || reader.skip("z") {
            offset = 0
        } else if let sign = reader.sign(), let hours = reader.number(digits: 2), reader.skip(":"),
                  let minutes = reader.number(digits: 2), hours < 24, minutes < 60 {
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second - offset)
        return Instant(seconds: seconds, nanoseconds: nanoseconds)
    }

    /// The date of `text` (see ``parse(_:)``), or nil.
    public static func date(_ text: String) -> Date? { parse(text)?.date }

    // MARK: - Calendar arithmetic

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = Int64((153 * ((month + 9) % 12) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// ASCII digits and separators, one byte at a time.
    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        mutating func digit() -> Int? {
            guard position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) else { return nil }
            position += 1
            return Int(bytes[position - 1] - UInt8(ascii: "0"))
        }

        mutating func number(digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}

extension TreeEntry.Timestamp {
    /// `date` to the nearest microsecond: a `Date` of these decades holds no finer
    /// time, and truncating its binary fraction would turn `.123` into `.122999…`.
    public init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        guard interval.isFinite else {
            self.init(seconds: interval > 0 ? RFC3339.latest : RFC3339.earliest, nanoseconds: 0)
            return
        }
        let clamped = min(max(interval, Double(RFC3339.earliest)), Double(RFC3339.latest))
        var whole = clamped.rounded(.down)
        var microseconds = ((clamped - whole) * 1e6).rounded()
        if microseconds >= 1e6 { whole += 1; microseconds = 0 }
        self.init(seconds: Int64(whole), nanoseconds: UInt32(microseconds) * 1000)
    }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(nanoseconds) / 1e9) }
}

extension Int64 {
    /// Division rounding toward negative infinity (times before 1970 fall on the day before).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
