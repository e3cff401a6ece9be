import BasinBackend
import BasinCore
import BasinStore

/// A glob pattern for names, as `basin find` takes it: `*` matches any run of characters,
/// `?` one character, `[abc]`, `[a-z]` and `[!a-z]` (or `[^a-z]`) one character of (or not
/// of) a set, `\c` the character c itself and `\xNN` the byte NN (as listings print bytes
/// that are not UTF-8). A `]` right after `[` or `[!` belongs to the set.
///
/// Names are matched character by character (Unicode scalars; a byte that is not part of
/// valid UTF-8 is a character of its own), the whole name, never part of it.
public struct NamePattern: Sendable, Equatable {
    /// A character: a Unicode scalar's value, or `invalidByteBase + byte` for a stray byte.
    typealias Unit = UInt32
    static let invalidByteBase: Unit = 0x11_0000

    enum Element: Sendable, Equatable {
        case literal(Unit)
        case any
        case star
        case set(negated: Bool, ranges: [ClosedRange<Unit>])
    }

    public let text: String
    public let ignoringCase: Bool
    let elements: [Element]

    /// - Parameters:
    ///   - text: The pattern.
    ///   - ignoringCase: Match letters in either case.
    /// - Throws: `.invalidArgument` for an unterminated `[` set, a trailing `\`, or a `/`
    ///   (names have none: a pattern matches names, not paths).
    public init(_ text: String, ignoringCase: Bool = false) throws(BasinError) {
        self.text = text
        self.ignoringCase = ignoringCase
        let units = Self.units(SnapshotPath.unescape(Array(text.utf8)))
        var elements: [Element] = []
        var index = 0
        func fail(_ why: String) -> BasinError {
            BasinError(.invalidArgument, "bad pattern '\(text)': \(why)")
        }
        while index < units.count {
            let unit = units[index]
            index += 1
            switch unit {
            case Self.ascii("/"):
                throw fail("patterns match names, which have no '/'")
            case Self.ascii("*"):
                if elements.last != .star { elements.append(.star) }
            case Self.ascii("?"):
                elements.append(.any)
            case Self.ascii("\\"):
                guard index < units.count else { throw fail("it ends with '\\'") }
                elements.append(.literal(units[index]))
                index += 1
            case Self.ascii("["):
                var negated = false
                if index < units.count, units[index] == Self.ascii("!") || units[index] == Self.ascii("^") {
                    negated = true
                    index += 1
                }
                var ranges: [ClosedRange<Unit>] = []
                var first = true
                while true {
                    guard index < units.count else { throw fail("a '[' set is not closed with ']'") }
                    var low = units[index]
                    index += 1
                    if low == Self.ascii("]"), !first { break }
                    first = false
                    if low == Self.ascii("\\") {
                        guard index < units.count else { throw fail("it ends with '\\'") }
                        low = units[index]
                        index += 1
                    }
                    var high = low
                    if index + 1 < units.count, units[index] == Self.ascii("-"), units[index + 1] != Self.ascii("]") {
                        high = units[index + 1]
                        index += 2
                        if high == Self.ascii("\\") {
                            guard index < units.count else { throw fail("it ends with '\\'") }
                            high = units[index]
                            index += 1
                        }
                        guard low <= high else { throw fail("the range in a '[' set is reversed") }
                    }
                    ranges.append(low...high)
                }
                elements.append(.set(negated: negated, ranges: ranges))
            default:
                elements.append(.literal(unit))
            }
        }
        self.elements = elements
    }

    /// Whether the whole of `name` matches.
    public func matches(_ name: [UInt8]) -> Bool {
        let name = Self.units(name)
        var p = 0
        var n = 0
        // Where the last `*` was, and how much of the name it has taken so far.
        var star: (pattern: Int, name: Int)?
        while n < name.count {
            if p < elements.count {
                switch elements[p] {
                case .star:
                    star = (p, n)
                    p += 1
                    continue
                case .any:
                    p += 1
                    n += 1
                    continue
                case .literal(let unit) where same(unit, name[n]):
                    p += 1
                    n += 1
                    continue
                case .set(let negated, let ranges) where inSet(name[n], ranges) != negated:
                    p += 1
                    n += 1
                    continue
                default:
                    break
                }
            }
            // Mismatch: let the last `*` take one more character, or fail.
            guard let last = star else { return false }
            star = (last.pattern, last.name + 1)
            p = last.pattern + 1
            n = last.name + 1
        }
        while p < elements.count, elements[p] == .star { p += 1 }
        return p == elements.count
    }

    private func same(_ a: Unit, _ b: Unit) -> Bool {
        a == b || (ignoringCase && Self.lower(a) == Self.lower(b))
    }

    private func inSet(_ unit: Unit, _ ranges: [ClosedRange<Unit>]) -> Bool {
        let candidates = ignoringCase ? [unit, Self.lower(unit), Self.upper(unit)] : [unit]
        return candidates.contains { candidate in ranges.contains { $0.contains(candidate) } }
    }

    static func ascii(_ character: Unicode.Scalar) -> Unit { character.value }

    /// The characters of `bytes`: scalars of valid UTF-8, stray bytes on their own (the same
    /// units path patterns match, so both agree on names that are not UTF-8).
    static func units(_ bytes: [UInt8]) -> [Unit] { PathPattern.units(of: bytes) }

    static func lower(_ unit: Unit) -> Unit { mapped(unit) { $0.properties.lowercaseMapping } }
    static func upper(_ unit: Unit) -> Unit { mapped(unit) { $0.properties.uppercaseMapping } }

    /// A scalar's single-scalar case mapping, else the scalar itself.
    private static func mapped(_ unit: Unit, _ mapping: (Unicode.Scalar) -> String) -> Unit {
        guard let scalar = Unicode.Scalar(unit) else { return unit }
        let result = mapping(scalar).unicodeScalars
        return result.count == 1 ? result.first!.value : unit
    }
}
