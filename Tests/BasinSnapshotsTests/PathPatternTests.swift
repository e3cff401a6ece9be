import BasinBackend
import BasinSnapshots
import BasinStore
import Testing

@Suite("PathPattern: restic-style globs over snapshot paths")
struct PathPatternTests {
    static func path(_ text: String) -> [[UInt8]] {
        text.split(separator: "/").map { Array($0.utf8) }
    }

    @Test("matches the path or an ancestor", arguments: [
        ("*.txt", "/a/b.txt", true),
        ("*.txt", "/a/b.txtx", false),
        ("*.txt", "/notes.txt/inside", true),
        ("/home/u", "/home/u/x/y", true),
        ("/home/u", "/home/u", true),
        ("/home/u", "/x/home/u", false),
        ("/home/u", "/home/uu", false),
        ("docs", "/home/docs/a", true),
        ("home/u", "/srv/home/u/f", true),
        ("/home/*/docs", "/home/u/docs/f", true),
        ("/home/*/docs", "/home/u/v/docs", false),
        ("/home/**/f", "/home/f", true),
        ("/home/**/f", "/home/a/b/f", true),
        ("/home/**/f", "/home/a/b/g", false),
        ("/home/**", "/home", true),
        ("a?c", "/abc", true),
        ("a?c", "/ac", false),
        ("?", "/é", true),
        ("[a-c]x", "/bx", true),
        ("[a-c]x", "/dx", false),
        ("[!a]x", "/ax", false),
        ("[^a]x", "/bx", true),
        ("[]]", "/]", true),
        ("\\*", "/*", true),
        ("\\*", "/a", false),
        ("*", "/anything/at/all", true),
        ("a*b*c", "/aXbYbZc", true),
        ("a*b*c", "/aXbYbZ", false),
    ])
    func matching(pattern: String, path: String, expected: Bool) throws {
        #expect(try PathPattern(pattern).matches(Self.path(path)) == expected, "\(pattern) on \(path)")
    }

    @Test("names that are not UTF-8 match byte for byte, and any byte matches ? and *")
    func nonUTF8() throws {
        let name: [UInt8] = [0x66, 0xFF, 0x80]
        #expect(try PathPattern("f*").matches([name]))
        #expect(try PathPattern("f??").matches([name]))
        #expect(try !PathPattern("f?").matches([name]))
        #expect(try !PathPattern("g*").matches([name]))
    }

    @Test("whether an include may match inside a directory decides whether restore walks into it")
    func mayMatchInside() throws {
        #expect(try PathPattern("/home/u/docs").mayMatchInside(Self.path("/home")))
        #expect(try PathPattern("/home/u/docs").mayMatchInside(Self.path("/home/u")))
        #expect(try !PathPattern("/home/u/docs").mayMatchInside(Self.path("/etc")))
        #expect(try !PathPattern("/home/u/docs").mayMatchInside(Self.path("/home/v")))
        #expect(try PathPattern("/home/*/docs").mayMatchInside(Self.path("/home/v")))
        #expect(try PathPattern("*.txt").mayMatchInside(Self.path("/etc")))
        #expect(try PathPattern("/srv/**/x").mayMatchInside(Self.path("/srv/a/b")))
    }

    @Test("malformed patterns are usage errors", arguments: ["[abc", "a\\", "/", ""])
    func malformed(pattern: String) {
        #expect(throws: BasinError.self) { try PathPattern(pattern) }
    }
}
