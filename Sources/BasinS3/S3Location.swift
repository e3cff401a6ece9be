import BasinBackend

/// Where a basin lives in an S3-compatible store: endpoint, bucket and key prefix.
///
/// Written in restic's style: `s3:http://127.0.0.1:8333/BUCKET/PREFIX`,
/// `s3:https://HOST/BUCKET/PREFIX`, or `s3:HOST/BUCKET/PREFIX` (HTTPS). The prefix may be
/// empty or several segments; object `name` is stored under the key `PREFIX/name`.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// How the bucket is named in requests.
    public enum AddressingStyle: String, Sendable, Hashable {
        /// `http://host/bucket/key`: works with every S3-compatible server.
        case path
        /// `http://bucket.host/key`: what AWS prefers for new buckets.
        case virtualHosted
    }

    /// `http` or `https`.
    public var scheme: String
    /// Host name or address, without the port (IPv6 addresses in brackets).
    public var host: String
    /// The port, or nil for the scheme's default.
    public var port: Int?
    public var bucket: String
    /// Key prefix without leading or trailing `/`; may be empty.
    public var prefix: String
    public var addressingStyle: AddressingStyle

    /// Parses an `s3:` location.
    ///
    /// - Parameters:
    ///   - location: `s3:http://host:port/bucket/prefix` and the like.
    ///   - addressingStyle: Path-style (default) or virtual-hosted requests.
    /// - Throws: `.invalidArgument` naming the location and what is wrong with it.
    public init(_ location: String, addressingStyle: AddressingStyle = .path) throws(BasinError) {
        func invalid(_ reason: String) -> BasinError {
            BasinError(.invalidArgument, "invalid S3 location '\(location)': \(reason); expected s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]")
        }
        guard location.hasPrefix("s3:") else { throw invalid("it does not start with 's3:'") }
        var rest = Substring(location.dropFirst(3))
        if rest.hasPrefix("http://") {
            scheme = "http"
            rest = rest.dropFirst(7)
        } else if rest.hasPrefix("https://") {
            scheme = "https"
            rest = rest.dropFirst(8)
        } else if rest.contains("://") {
            throw invalid("only http and https are supported")
        } else {
            scheme = "https"
        }
        guard !rest.contains("?"), !rest.contains("#") else { throw invalid("no query or fragment is allowed") }
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        // Host and port: `[v6]:port`, `name:port` or `name`.
        var hostPart = Substring(authority)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw invalid("unclosed '[' in the host") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { throw invalid("bad host") }
            hostPart = hostPart[...close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { throw invalid("no host") }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else { throw invalid("bad port '\(portPart)'") }
            port = value
        } else {
            port = nil
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let first = segments.first else { throw invalid("no bucket") }
        bucket = String(first)
        guard bucket.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") }) else {
            throw invalid("the bucket name '\(bucket)' has characters S3 does not allow")
        }
        prefix = segments.dropFirst().joined(separator: "/")
        if !prefix.isEmpty {
            do { try ObjectName.validate(prefix) } catch { throw invalid("bad prefix: \(error.message)") }
        }
        self.addressingStyle = addressingStyle
    }

    /// Whether `location` names an S3 location (`s3:…`), so callers can pick a backend.
    public static func isS3(_ location: String) -> Bool { location.hasPrefix("s3:") }

    /// `http://host:port`, for messages.
    public var endpoint: String {
        "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }

    /// The endpoint as requests reach it (`http://BUCKET.host:port` when virtual-hosted), for messages.
    public var requestEndpoint: String { "\(scheme)://\(hostHeader)" }

    /// The location in the form it was parsed from.
    public var description: String {
        "s3:\(endpoint)/\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
    }

    /// The object key of a backend name.
    func key(for name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }

    /// The backend name of an object key, or nil when the key lies outside the prefix.
    func name(forKey key: String) -> String? {
        if prefix.isEmpty { return key }
        guard key.hasPrefix(prefix + "/") else { return nil }
        return String(key.dropFirst(prefix.count + 1))
    }

    /// The `Host` header: the endpoint's host (with the bucket in front when virtual-hosted)
    /// and its port unless it is the scheme's default.
    var hostHeader: String {
        let name = addressingStyle == .virtualHosted ? "\(bucket).\(host)" : host
        guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return name }
        return "\(name):\(port)"
    }

    /// The encoded request path of an object key, or of the bucket when `key` is nil.
    func path(key: String?) -> String {
        let encodedKey = key.map { S3Signer.uriEncode($0, encodeSlash: false) }
        switch addressingStyle {
        case .path:
            let bucketPath = "/" + S3Signer.uriEncode(bucket, encodeSlash: true)
            return encodedKey.map { bucketPath + "/" + $0 } ?? bucketPath
        case .virtualHosted:
            return "/" + (encodedKey ?? "")
        }
    }

    /// The URL for a request path and canonical query string.
    func url(path: String, query: String) -> String {
        "\(scheme)://\(hostHeader)\(path)" + (query.isEmpty ? "" : "?\(query)")
    }
}
