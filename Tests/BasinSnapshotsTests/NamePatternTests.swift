import BasinSnapshots
import BasinStore
import Testing

private func matches(_ pattern: String, _ name: String, ignoringCase: Bool = false) throws -> Bool {
    try NamePattern(pattern, ignoringCase: ignoringCase).matches(Array(name.utf8))
}

@Suite("NamePattern: globs on names")
struct NamePatternTests {
    @Test("wildcards, sets and escapes", arguments: [
        ("*.txt", "notes.txt", true), ("*.txt", "notes.txt.bak", false), ("*.txt", ".txt", true),
        ("a*b*c", "aXbYbZc", true), ("a*b*c", "aXbYbZ", false), ("*", "anything", true), ("**x", "yx", true),
        ("?", "é", true), ("??", "é", false), ("f?le", "file", true), ("f?le", "fle", false),
        ("[abc]x", "bx", true), ("[abc]x", "dx", false), ("[a-c]", "b", true), ("[!a-c]", "b", false),
        ("[^a-c]", "d", true), ("[]]", "]", true), ("[!]]", "a", true), ("[a-]", "-", true),
        ("\\*", "*", true), ("\\*", "a", false), ("report", "Report", false), ("notes", "notes.txt", false),
        ("[é-ê]", "ê", true), ("日*", "日本", true),
    ])
    func globs(pattern: String, name: String, expected: Bool) throws {
        #expect(try matches(pattern, name) == expected)
    }

    @Test("case-insensitive matching, beyond ASCII")
    func ignoringCase() throws {
        #expect(try matches("report*", "REPORT.PDF", ignoringCase: true))
        #expect(try matches("ÉTÉ", "été", ignoringCase: true))
        #expect(try matches("[a-c]x", "BX", ignoringCase: true))
        #expect(try matches("[A-C]x", "bX", ignoringCase: true))
        #expect(try !matches("[a-c]x", "BX"))
    }

    @Test("bytes that are not UTF-8: one character each, written \\xNN")
    func invalidBytes() throws {
        let name: [UInt8] = [0x61, 0xff, 0x62]
        #expect(try NamePattern("a?b").matches(name))
        #expect(try NamePattern("a\\xffb").matches(name))
        #expect(try NamePattern("a\\xFF*").matches(name))
        #expect(try !NamePattern("a\\xfeb").matches(name))
        #expect(try !NamePattern("a??b").matches(name))
    }

    @Test("malformed patterns are usage errors", arguments: ["[abc", "abc\\", "a/b", "[z-a]", "[!"])
    func malformed(pattern: String) {
        do {
            _ = try NamePattern(pattern)
            Issue.record("\(pattern) was accepted")
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains(pattern))
        }
    }
}
