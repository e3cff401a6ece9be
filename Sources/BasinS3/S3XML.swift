/// An XML element of an S3 answer: its name (namespace prefix dropped), its text and its
/// child elements. Attributes are not kept: S3's answers carry nothing in them we need.
package struct S3XMLElement: Sendable, Equatable {
    package var name: String
    package var text: String = ""
    package var children: [S3XMLElement] = []

    /// The first child named `name`.
    package func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`, in order.
    package func children(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    package func value(_ name: String) -> String? { child(name)?.text }
}

/// A small, strict reader for the XML S3 servers answer with (ListObjectsV2, errors,
/// multipart uploads, DeleteObjects). Untrusted input: malformed XML throws, never traps.
package enum S3XML {
    package struct ParseError: Error, CustomStringConvertible {
        package let offset: Int
        package let reason: String
        package var description: String { "malformed XML at byte \(offset): \(reason)" }
    }

    /// Parses a document into its root element.
    ///
    /// - Parameter bytes: The document (UTF-8).
    /// - Returns: The root element.
    /// - Throws: ``ParseError`` with the offset of the problem.
    package static func parse(_ bytes: [UInt8]) throws(ParseError) -> S3XMLElement {
        var stack: [S3XMLElement] = []
        var root: S3XMLElement?
        var i = 0
        let n = bytes.count
        func fail(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }
        func starts(with literal: String, at position: Int) -> Bool {
            let utf8 = Array(literal.utf8)
            return position + utf8.count <= n && Array(bytes[position..<(position + utf8.count)]) == utf8
        }
        func find(_ literal: String, from position: Int) -> Int? {
            var j = position
            while j < n {
                if starts(with: literal, at: j) { return j }
                j += 1
            }
            return nil
        }
        while i < n {
            if bytes[i] != UInt8(ascii: "<") {
                let end = bytes[i...].firstIndex(of: UInt8(ascii: "<")) ?? n
                let text = try decodeEntities(bytes[i..<end], offset: i)
                if stack.isEmpty {
                    guard text.allSatisfy(\.isWhitespace) else { throw fail("text outside the root element") }
                } else {
                    stack[stack.count - 1].text += text
                }
                i = end
                continue
            }
            if starts(with: "<?", at: i) {
                guard let end = find("?>", from: i + 2) else { throw fail("unterminated declaration") }
                i = end + 2
            } else if starts(with: "<!--", at: i) {
                guard let end = find("-->", from: i + 4) else { throw fail("unterminated comment") }
                i = end + 3
            } else if starts(with: "<![CDATA[", at: i) {
                guard !stack.isEmpty else { throw fail("CDATA outside the root element") }
                guard let end = find("]]>", from: i + 9) else { throw fail("unterminated CDATA") }
                stack[stack.count - 1].text += String(decoding: bytes[(i + 9)..<end], as: UTF8.self)
                i = end + 3
            } else if starts(with: "<!", at: i) {
                guard let end = bytes[i...].firstIndex(of: UInt8(ascii: ">")) else { throw fail("unterminated declaration") }
                i = end + 1
            } else if starts(with: "</", at: i) {
                guard let end = bytes[i...].firstIndex(of: UInt8(ascii: ">")) else { throw fail("unterminated end tag") }
                let name = localName(bytes[(i + 2)..<end])
                guard let open = stack.popLast(), open.name == name else { throw fail("unexpected end tag </\(name)>") }
                if stack.isEmpty {
                    guard root == nil else { throw fail("a second root element") }
                    root = open
                } else {
                    stack[stack.count - 1].children.append(open)
                }
                i = end + 1
            } else {
                // A start tag: its name, then attributes, whose quoted values may hold '>'.
                var j = i + 1
                while j < n, !isNameEnd(bytes[j]) { j += 1 }
                let name = localName(bytes[(i + 1)..<j])
                guard !name.isEmpty else { throw fail("empty element name") }
                var quote: UInt8?
                while j < n {
                    let byte = bytes[j]
                    if let q = quote {
                        if byte == q { quote = nil }
                    } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                        quote = byte
                    } else if byte == UInt8(ascii: ">") {
                        break
                    }
                    j += 1
                }
                guard j < n else { throw fail("unterminated start tag <\(name)>") }
                let element = S3XMLElement(name: name)
                if bytes[j - 1] == UInt8(ascii: "/") {
                    if stack.isEmpty {
                        guard root == nil else { throw fail("a second root element") }
                        root = element
                    } else {
                        stack[stack.count - 1].children.append(element)
                    }
                } else {
                    guard stack.count < 64 else { throw fail("elements nested too deeply") }
                    guard root == nil else { throw fail("a second root element") }
                    stack.append(element)
                }
                i = j + 1
            }
        }
        guard stack.isEmpty else { throw ParseError(offset: n, reason: "unclosed element <\(stack.last!.name)>") }
        guard let root else { throw ParseError(offset: n, reason: "no root element") }
        return root
    }

    private static func isNameEnd(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">")
    }

    /// A tag's name without its namespace prefix and surrounding spaces.
    private static func localName(_ bytes: ArraySlice<UInt8>) -> String {
        let name = String(decoding: bytes, as: UTF8.self).trimmingSpaces()
        if let colon = name.lastIndex(of: ":") { return String(name[name.index(after: colon)...]) }
        return name
    }

    /// Text with the five predefined entities and numeric character references replaced.
    private static func decodeEntities(_ bytes: ArraySlice<UInt8>, offset: Int) throws(ParseError) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                i += 1
                continue
            }
            guard let semicolon = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw ParseError(offset: offset + (i - bytes.startIndex), reason: "unterminated entity")
            }
            let entity = String(decoding: bytes[(i + 1)..<semicolon], as: UTF8.self)
            let scalar: Unicode.Scalar?
            switch entity {
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "amp": scalar = "&"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
                } else {
                    scalar = nil
                }
            }
            guard let scalar else {
                throw ParseError(offset: offset + (i - bytes.startIndex), reason: "unknown entity '&\(entity);'")
            }
            out += Array(String(Character(scalar)).utf8)
            i = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
