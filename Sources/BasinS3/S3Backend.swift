import BasinBackend
import Crypto
import Foundation

/// A ``Backend`` on an S3-compatible object store (AWS S3, SeaweedFS, MinIO, …).
///
/// Object `name` is the key `PREFIX/name` in the bucket. Requests are signed with SigV4,
/// retried with exponential backoff and jitter on 5xx, 429/SlowDown, timeouts and dropped
/// connections, and at most `maxConcurrentRequests` run at once. Writes never overwrite: a
/// PUT carries `If-None-Match: *`, which the server checks atomically (AWS S3 since 2024,
/// SeaweedFS 4.x); with `conditionalWrites` off, a HEAD before the PUT checks instead, which
/// leaves a window in which two writers of one name can both succeed. Large uploads
/// (``beginWrite(_:)``) go up as multipart uploads, completed with the same condition.
///
/// Errors name the object, key, bucket and endpoint: NoSuchBucket is `.noRepository`,
/// refused credentials `.invalidArgument`, an unreachable endpoint or a server that keeps
/// failing `.unavailable`.
///
/// The backend owns one pooled HTTP client; call ``shutdown()`` when done with it (dropping
/// the backend shuts the client down too, without waiting).
public final class S3Backend: Backend {
    /// How the backend talks to the store.
    public struct Options: Sendable {
        /// The signing region.
        public var region = "us-east-1"
        /// `x-amz-storage-class` of every object written (`STANDARD_IA`, `GLACIER`, …); nil for
        /// the bucket's default.
        public var storageClass: String?
        /// Requests in flight at once, and connections kept.
        public var maxConcurrentRequests = 8
        /// Multipart part size for streamed uploads (S3 needs at least 5 MiB but for the last).
        public var partSize = 16 << 20
        /// Keys per ListObjectsV2 page (S3's maximum is 1000).
        public var listPageSize = 1000
        public var retry = S3RetryPolicy()
        /// Whether writes use `If-None-Match: *` (atomic no-overwrite); when false a HEAD
        /// precedes each PUT, racy between concurrent writers of one name.
        public var conditionalWrites = true
        public var connectTimeout: Duration = .seconds(10)
        /// Longest silence while waiting for an answer.
        public var readTimeout: Duration = .seconds(60)
        /// Longest time for one request, a whole upload or download included.
        public var requestTimeout: Duration = .seconds(600)

        public init() {}
    }

    public let location: String
    public let s3Location: S3Location
    public let options: Options
    let signer: S3Signer
    let transport: any S3Transport
    let limiter: AsyncSemaphore

    /// A backend talking HTTP(S) to the location's endpoint.
    ///
    /// - Parameters:
    ///   - location: Endpoint, bucket and prefix.
    ///   - credentials: Access key and secret (see ``S3Credentials/resolve(environment:)``).
    ///   - options: Region, storage class, concurrency, retries, timeouts.
    public convenience init(location: S3Location, credentials: S3Credentials, options: Options = Options()) {
        let transport = HTTPClientTransport(
            connections: options.maxConcurrentRequests, connectTimeout: options.connectTimeout,
            readTimeout: options.readTimeout, requestTimeout: options.requestTimeout)
        self.init(location: location, credentials: credentials, options: options, transport: transport)
    }

    /// A backend sending its requests through `transport` (tests script one).
    package init(location: S3Location, credentials: S3Credentials, options: Options, transport: any S3Transport) {
        self.s3Location = location
        self.location = location.description
        self.options = options
        self.signer = S3Signer(credentials: credentials, region: options.region)
        self.transport = transport
        self.limiter = AsyncSemaphore(permits: options.maxConcurrentRequests)
    }

    /// Closes the HTTP client's connections. The backend must not be used afterwards.
    public func shutdown() async {
        await transport.shutdown()
    }

    // MARK: - Backend

    /// Every object whose name starts with `prefix`, page by page (ListObjectsV2).
    ///
    /// - Parameter prefix: A name prefix; its last segment may be partial.
    /// - Returns: Names (without the location's prefix) and sizes.
    /// - Throws: `.invalidArgument` for an invalid prefix or refused credentials;
    ///   `.noRepository` when the bucket is missing; `.unavailable`.
    public func list(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        try ObjectName.validatePrefix(prefix)
        let keyPrefix = s3Location.prefix.isEmpty ? prefix : s3Location.prefix + "/" + prefix
        var found: [ObjectInfo] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", keyPrefix), ("max-keys", String(options.listPageSize)),
                         ("encoding-type", "url")]
            if let token { query.append(("continuation-token", token)) }
            let what = "the listing of '\(prefix)'"
            let (response, attempts) = try await send("GET", key: nil, query: query, what: what)
            guard response.status == 200 else { throw failure(response, what: what, attempts: attempts) }
            let page = try parseXML(response.body, what: what)
            let decode = page.value("EncodingType") == "url"
            for entry in page.children("Contents") {
                guard let rawKey = entry.value("Key"), let size = entry.value("Size").flatMap(Int.init) else {
                    throw BasinError(.internalError, "\(self.location) answered a listing entry without key or size for \(what)")
                }
                let key = decode ? (rawKey.removingPercentEncoding ?? rawKey) : rawKey
                guard let name = s3Location.name(forKey: key), !name.isEmpty, !name.hasSuffix("/") else { continue }
                found.append(ObjectInfo(name: name, size: size))
            }
            if page.value("IsTruncated") == "true" {
                guard let next = page.value("NextContinuationToken"), !next.isEmpty, next != token else {
                    throw BasinError(.internalError, "\(self.location) answered a truncated listing without a new continuation token for \(what)")
                }
                token = next
            } else {
                token = nil
            }
        } while token != nil
        return found
    }

    /// The whole object (GET).
    ///
    /// - Parameter name: The object's name.
    /// - Returns: Its bytes.
    /// - Throws: `.notFound` naming the object; `.invalidArgument`; `.noRepository`; `.unavailable`.
    public func read(_ name: String) async throws(BasinError) -> [UInt8] {
        try ObjectName.validate(name)
        let what = describe(name)
        let (response, attempts) = try await send("GET", key: s3Location.key(for: name), what: what)
        guard response.status == 200 else { throw failure(response, what: what, attempts: attempts, name: name) }
        return response.body
    }

    /// Bytes `range` of the object (GET with `Range`).
    ///
    /// - Parameters:
    ///   - name: The object's name.
    ///   - range: Byte offsets; must lie within the object.
    /// - Returns: Exactly `range.count` bytes.
    /// - Throws: `.corrupted` naming the object when it is shorter than `range.upperBound`;
    ///   `.notFound`; `.invalidArgument` for a negative offset or an invalid name; `.unavailable`.
    public func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        try ObjectName.validate(name)
        guard range.lowerBound >= 0 else {
            throw BasinError(.invalidArgument, "cannot read object '\(name)': negative offset \(range.lowerBound)")
        }
        if range.isEmpty {
            // HTTP cannot ask for no bytes: check that the object is there and long enough.
            guard let info = try await stat(name) else { throw notFound(name) }
            guard info.size >= range.upperBound else { throw short(name, size: info.size, range: range) }
            return []
        }
        let what = describe(name)
        let (response, attempts) = try await send(
            "GET", key: s3Location.key(for: name), headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
            what: what)
        switch response.status {
        case 206:
            guard response.body.count >= range.count else {
                throw short(name, size: Self.totalSize(response) ?? range.lowerBound + response.body.count, range: range)
            }
            guard response.body.count == range.count else {
                throw BasinError(.internalError, "\(what): \(range.count) bytes asked, \(response.body.count) answered")
            }
            return response.body
        case 200:
            // A server that ignores Range sends the whole object.
            guard response.body.count >= range.upperBound else { throw short(name, size: response.body.count, range: range) }
            return Array(response.body[range])
        case 416:
            throw short(name, size: Self.totalSize(response), range: range)
        default:
            throw failure(response, what: what, attempts: attempts, name: name)
        }
    }

    /// Size of the object (HEAD), or nil when it does not exist.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: Its name and size, or nil.
    /// - Throws: `.invalidArgument` for an invalid name or refused credentials; `.unavailable`.
    public func stat(_ name: String) async throws(BasinError) -> ObjectInfo? {
        try ObjectName.validate(name)
        let what = describe(name)
        let (response, attempts) = try await send("HEAD", key: s3Location.key(for: name), what: what)
        switch response.status {
        case 200:
            guard let size = response.headers["content-length"].flatMap(Int.init) else {
                throw BasinError(.internalError, "\(location) answered HEAD without a Content-Length for \(what)")
            }
            return ObjectInfo(name: name, size: size)
        case 404:
            return nil
        default:
            throw failure(response, what: what, attempts: attempts, name: name)
        }
    }

    /// Stores a new object with one PUT, never replacing an existing one.
    ///
    /// The body carries `Content-MD5`, so the server rejects bytes damaged in transit (the
    /// signature leaves the body out: `UNSIGNED-PAYLOAD`, one hash pass fewer).
    /// - Parameters:
    ///   - name: The object's name.
    ///   - bytes: Its whole content.
    /// - Throws: `.alreadyExists` when `name` exists (which is left as it was);
    ///   `.invalidArgument`; `.noRepository`; `.noSpace`; `.unavailable`.
    public func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        try ObjectName.validate(name)
        try await put(name, bytes: bytes)
    }

    /// Starts a streamed write: a multipart upload once more than one part has gathered, a
    /// single PUT otherwise; invisible until `commit`.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: The upload; its `commit` fails with `.alreadyExists` if `name` is taken by then.
    /// - Throws: `.invalidArgument` for an invalid name.
    public func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        try ObjectName.validate(name)
        return S3Upload(backend: self, name: name)
    }

    /// Deletes the object; a missing object is not an error.
    ///
    /// - Parameter name: The object's name.
    /// - Throws: `.invalidArgument`; `.noRepository`; `.unavailable`.
    public func delete(_ name: String) async throws(BasinError) {
        try ObjectName.validate(name)
        let what = describe(name)
        let (response, attempts) = try await send("DELETE", key: s3Location.key(for: name), what: what)
        guard response.status == 204 || response.status == 200 || (response.status == 404 && errorCode(response) != "NoSuchBucket") else {
            throw failure(response, what: what, attempts: attempts, name: name)
        }
    }

    // MARK: - Writing

    /// One conditional PUT of a whole object (also the commit of a small streamed upload).
    func put(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        let what = describe(name)
        let key = s3Location.key(for: name)
        if !options.conditionalWrites, try await stat(name) != nil { throw alreadyExists(name) }
        let md5 = Insecure.MD5.hash(data: bytes)
        var headers = [("content-md5", Data(md5).base64EncodedString()), ("content-type", "application/octet-stream")]
        if options.conditionalWrites { headers.append(("if-none-match", "*")) }
        if let storageClass = options.storageClass { headers.append(("x-amz-storage-class", storageClass)) }
        let (response, attempts) = try await send("PUT", key: key, headers: headers, body: bytes, what: what)
        switch response.status {
        case 200:
            return
        case 412:
            // A retried PUT whose first attempt did land finds its own object: not a conflict.
            if attempts > 1, try await objectETag(name) == "\"\(S3Signer.hex(md5))\"" { return }
            throw alreadyExists(name)
        default:
            throw failure(response, what: what, attempts: attempts, name: name)
        }
    }

    /// The ETag of an object, or nil when it is missing.
    func objectETag(_ name: String) async throws(BasinError) -> String? {
        let what = describe(name)
        let (response, attempts) = try await send("HEAD", key: s3Location.key(for: name), what: what)
        switch response.status {
        case 200: return response.headers["etag"]
        case 404: return nil
        default: throw failure(response, what: what, attempts: attempts, name: name)
        }
    }

    // MARK: - Messages

    /// `object 'NAME' (key 'KEY' in bucket 'BUCKET' at ENDPOINT)`.
    func describe(_ name: String) -> String {
        "object '\(name)' (key '\(s3Location.key(for: name))' in bucket '\(s3Location.bucket)' at \(s3Location.endpoint))"
    }

    func notFound(_ name: String) -> BasinError {
        BasinError(.notFound, "object '\(name)' not found in \(location)")
    }

    func alreadyExists(_ name: String) -> BasinError {
        BasinError(.alreadyExists, "object '\(name)' already exists in \(location)")
    }

    func short(_ name: String, size: Int?, range: Range<Int>) -> BasinError {
        let has = size.map { "\($0) bytes" } ?? "fewer bytes"
        return BasinError(.corrupted,
            "object '\(name)' is shorter than expected: \(has), bytes \(range.lowerBound)..<\(range.upperBound) wanted (\(describe(name)))")
    }

    /// The object's full size from `Content-Range: bytes a-b/SIZE` or `bytes */SIZE`.
    static func totalSize(_ response: S3Response) -> Int? {
        guard let range = response.headers["content-range"], let slash = range.lastIndex(of: "/") else { return nil }
        return Int(range[range.index(after: slash)...])
    }
}
