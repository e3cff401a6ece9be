import BasinBackend
import BasinStore
import Foundation

/// A calendar duration for `--keep-within`, written as restic writes it: numbers with the
/// units `y`, `m` (months), `d` and `h`, in any order, e.g. `1y5m7d2h` or `36h`.
public struct KeepDuration: Sendable, Equatable, CustomStringConvertible {
    public var years = 0
    public var months = 0
    public var days = 0
    public var hours = 0

    public init(years: Int = 0, months: Int = 0, days: Int = 0, hours: Int = 0) {
        (self.years, self.months, self.days, self.hours) = (years, months, days, hours)
    }

    /// - Throws: `.invalidArgument` for anything but number-unit pairs.
    public init(parsing text: String) throws(BasinError) {
        func fail() -> BasinError {
            BasinError(.invalidArgument, "'\(text)' is not a duration: write it like 1y5m7d2h (years, months, days, hours)")
        }
        var number = ""
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                guard number.count < 9 else { throw fail() }
                number.append(character)
                continue
            }
            guard let value = Int(number) else { throw fail() }
            switch character {
            case "y": years += value
            case "m": months += value
            case "d": days += value
            case "h": hours += value
            default: throw fail()
            }
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty else { throw fail() }
    }

    public var description: String {
        let parts = [(years, "y"), (months, "m"), (days, "d"), (hours, "h")].filter { $0.0 != 0 }
        return parts.isEmpty ? "0h" : parts.map { "\($0.0)\($0.1)" }.joined()
    }

    /// `date` moved back by this duration, by calendar arithmetic in `calendar`'s time zone.
    func subtracted(from date: Date, in calendar: Calendar) -> Date {
        let back = DateComponents(year: -years, month: -months, day: -days, hour: -hours)
        return calendar.date(byAdding: back, to: date) ?? date
    }
}
