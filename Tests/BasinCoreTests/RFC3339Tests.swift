import BasinCore
import BasinTestSupport
import Foundation
import Testing

/// The times in lock, condemnation and snapshot records: written and read without ICU, whose
/// parser traps on long fractions.
@Suite struct RFC3339Tests {
    @Test func knownInstants() {
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == .init(seconds: 0, nanoseconds: 0))
        #expect(RFC3339.parse("2000-02-29T23:59:59.5Z") == .init(seconds: 951_868_799, nanoseconds: 500_000_000))
        #expect(RFC3339.parse("1969-12-31T23:59:59.000000001Z") == .init(seconds: -1, nanoseconds: 1))
        #expect(RFC3339.parse("2026-12-06T10:00:00+01:30") == RFC3339.parse("2026-12-06T08:30:00Z"))
        #expect(RFC3339.format(.init(seconds: 951_868_799, nanoseconds: 500_000_000), precision: .milliseconds)
            == "2000-02-29T23:59:59.500Z")
        #expect(RFC3339.format(.init(seconds: -1, nanoseconds: 1), precision: .nanoseconds) == "1969-12-31T23:59:59.000000001Z")
        #expect(RFC3339.format(.init(seconds: 1_764_998_400, nanoseconds: 0), precision: .seconds) == "2025-12-06T05:20:00Z")
    }

    @Test func aDateOfMillisecondsKeepsThemThroughFormatAndParse() {
        let date = Date(timeIntervalSince1970: 1_764_998_400.123)
        let text = RFC3339.format(date, precision: .milliseconds)
        #expect(text == "2025-12-06T05:20:00.123Z")
        #expect(RFC3339.format(RFC3339.date(text)!, precision: .milliseconds) == text)
    }

    /// Foundation's formatter (with its ICU parser) agrees on well-formed times.
    @Test func agreesWithFoundationOnSeededTimes() {
        var random = SplitMix64(seed: 3339)
        print("seed 3339")
        let foundation = ISO8601DateFormatter()
        foundation.formatOptions = [.withInternetDateTime]
        foundation.timeZone = TimeZone(identifier: "UTC")
        for _ in 0..<2000 {
            let seconds = Int64(random.next() % 8_000_000_000) - 1_000_000_000
            let text = RFC3339.format(.init(seconds: seconds, nanoseconds: 0), precision: .seconds)
            #expect(text == foundation.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))))
            #expect(RFC3339.parse(text)?.seconds == seconds, "\(text)")
        }
    }

    @Test(arguments: [
        "", "2026-12-06", "2026-12-06T08:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-12-06T24:00:00Z", "2026-12-06T08:60:00Z", "2026-12-06T08:00:00.Z", "2026-12-06T08:00:00Zjunk",
        "2026-12-06T08:00:00+1:00", "+2026-12-06T08:00:00Z", "２０２６-12-06T08:00:00Z",
    ])
    func malformedTextIsNoTime(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    /// Found by fuzzing: ICU divided by zero on a fraction of hundreds of digits.
    @Test func aFractionOfHundredsOfDigitsIsReadNotFatal() {
        let text = "2026-05-28T20:31:40.25" + String(repeating: "1", count: 400) + "Z"
        #expect(RFC3339.parse(text) == .init(seconds: RFC3339.parse("2026-05-28T20:31:40Z")!.seconds, nanoseconds: 251_111_111))
    }

    @Test func yearsBeyondTheFormatAreClamped() {
        #expect(RFC3339.format(.distantFuture, precision: .seconds) == "4001-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1e15), precision: .seconds) == "9999-12-31T23:59:59Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1e15), precision: .seconds) == "0000-01-01T00:00:00Z")
    }
}
