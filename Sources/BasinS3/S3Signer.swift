import Crypto
import Foundation

/// AWS Signature Version 4 for one set of credentials, region and service.
///
/// Implements the documented algorithm: a canonical request (method, URI, sorted query,
/// sorted lower-case headers with trimmed values, signed header list, payload hash), a
/// string to sign over its SHA-256, and an HMAC-SHA256 signature with a key derived from
/// the secret, the date, the region and the service. Checked against AWS's published
/// test-suite vectors (Tests/BasinS3Tests/S3SignerTests.swift) and against a real server.
public struct S3Signer: Sendable {
    /// What signing produced: the pieces a test compares with the published vectors, and the
    /// headers to send.
    public struct Signature: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        /// The `Authorization` header's value.
        public let authorization: String
        /// Every header to send, the signed ones included (`x-amz-date`, and
        /// `x-amz-security-token` with a session token).
        public let headers: [(name: String, value: String)]
    }

    /// SHA-256 of no bytes, the payload hash of a request without a body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: S3Credentials
    public let region: String
    public let service: String

    /// - Parameters:
    ///   - credentials: The access key, secret and optional session token.
    ///   - region: The signing region (`us-east-1` for most S3-compatible servers).
    ///   - service: The signing service: `s3`.
    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs a request.
    ///
    /// - Parameters:
    ///   - method: `GET`, `PUT`, …
    ///   - path: The URI path exactly as sent, already percent-encoded (`/bucket/data/3f/…`).
    ///   - query: Query parameters, not yet encoded; duplicates are kept.
    ///   - headers: Headers to sign, `host` included; names in any case, repeated names allowed.
    ///   - payloadHash: Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    ///   - date: The signing time.
    /// - Returns: The canonical request, string to sign, `Authorization` value and headers.
    public func sign(
        method: String, path: String, query: [(String, String)], headers: [(String, String)],
        payloadHash: String, date: Date
    ) -> Signature {
        let (amzDate, day) = Self.timestamps(date)
        var all = headers
        all.append(("x-amz-date", amzDate))
        if let token = credentials.sessionToken { all.append(("x-amz-security-token", token)) }

        // Lower-case names, values trimmed with inner runs of spaces collapsed; values of a
        // repeated name joined by commas in the order given.
        var byName: [String: [String]] = [:]
        for (name, value) in all { byName[name.lowercased(), default: []].append(Self.trimmedHeaderValue(value)) }
        let names = byName.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            method, path, Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, Self.hexSHA256(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")

        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                         authorization: authorization, headers: all.map { (name: $0.0, value: $0.1) })
    }

    /// The query string as signed and as sent: each name and value URI-encoded, sorted by name
    /// then value, joined with `&`.
    ///
    /// - Parameter query: Unencoded name/value pairs.
    /// - Returns: The canonical query string (empty for no parameters).
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0, encodeSlash: true), uriEncode($0.1, encodeSlash: true)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// AWS's URI encoding: every byte but the unreserved `A-Z a-z 0-9 - . _ ~` as `%XX`
    /// (upper-case hex), `/` kept when `encodeSlash` is false (object key paths).
    ///
    /// - Parameters:
    ///   - text: The text to encode (as UTF-8).
    ///   - encodeSlash: Whether `/` is encoded too.
    /// - Returns: The encoded text.
    public static func uriEncode(_ text: String, encodeSlash: Bool) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.utf8.count)
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(byte)
            case UInt8(ascii: "/") where !encodeSlash:
                encoded.append(byte)
            default:
                encoded += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 15)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The `x-amz-content-sha256` of a request whose body the signature does not cover (its
    /// integrity then rests on Content-MD5).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Hex SHA-256 of `bytes`, as `x-amz-content-sha256` and the string to sign use it.
    ///
    /// - Parameter bytes: The bytes to hash.
    /// - Returns: 64 lower-case hex digits.
    public static func hexSHA256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// `20150830T123600Z` and `20150830` for `date`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let day = "\(c.year ?? 1970)\(two(c.month))\(two(c.day))"
        return ("\(day)T\(two(c.hour))\(two(c.minute))\(two(c.second))Z", day)
    }

    /// A header value with leading and trailing spaces removed and runs of spaces made one.
    static func trimmedHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }
}
