import BasinBackend
import Crypto
import Foundation

/// A streamed write to S3: bytes gather until a part is full, then go up as parts of a
/// multipart upload; an object that never fills a part is one conditional PUT at `commit`.
///
/// `commit` completes the multipart upload with `If-None-Match: *`, so the object appears
/// whole or not at all and never replaces another. Any failure aborts the multipart upload
/// (best effort: a bucket lifecycle rule for incomplete uploads catches what a crash leaves).
/// Calls must not overlap; one that does fails with `.invalidArgument`.
actor S3Upload: ObjectUpload {
    private enum State { case open, committed, aborted, failed }

    private let backend: S3Backend
    private let name: String
    private var state = State.open
    private var busy = false
    private var buffer: [UInt8] = []
    private var uploadID: String?
    /// Part numbers with their ETags and MD5 digests, in order.
    private var parts: [(number: Int, etag: String, md5: [UInt8])] = []

    init(backend: S3Backend, name: String) {
        self.backend = backend
        self.name = name
    }

    func append(_ bytes: [UInt8]) async throws(BasinError) {
        try begin()
        defer { busy = false }
        buffer += bytes
        let partSize = max(backend.options.partSize, 5 << 20)
        do {
            while buffer.count >= partSize {
                let part = Array(buffer[..<partSize])
                buffer.removeFirst(partSize)
                try await uploadPart(part)
            }
        } catch {
            await fail()
            throw error
        }
    }

    func commit() async throws(BasinError) {
        try begin()
        defer { busy = false }
        do {
            if uploadID == nil {
                try await backend.put(name, bytes: buffer)
            } else {
                if !buffer.isEmpty || parts.isEmpty { try await uploadPart(buffer) }
                try await complete()
            }
            buffer = []
            state = .committed
        } catch {
            await fail()
            throw error
        }
    }

    func abort() async {
        guard state == .open, !busy else { return }
        state = .aborted
        buffer = []
        await abortMultipart()
    }

    // MARK: - Steps

    private func begin() throws(BasinError) {
        guard state == .open else {
            let what = switch state {
            case .committed: "is already committed"
            case .aborted: "was aborted"
            default: "has failed"
            }
            throw BasinError(.invalidArgument, "upload of object '\(name)' \(what)")
        }
        guard !busy else { throw BasinError(.invalidArgument, "upload of object '\(name)' is already busy with another call") }
        busy = true
    }

    private func fail() async {
        state = .failed
        buffer = []
        await abortMultipart()
    }

    private var key: String { backend.s3Location.key(for: name) }
    private var what: String { backend.describe(name) }

    /// Starts the multipart upload (CreateMultipartUpload) if not yet done, then uploads a part.
    private func uploadPart(_ bytes: [UInt8]) async throws(BasinError) {
        if uploadID == nil {
            var headers = [("content-type", "application/octet-stream")]
            if let storageClass = backend.options.storageClass { headers.append(("x-amz-storage-class", storageClass)) }
            let (response, attempts) = try await backend.send("POST", key: key, query: [("uploads", "")], headers: headers, what: what)
            guard response.status == 200 else { throw backend.failure(response, what: what, attempts: attempts, name: name) }
            guard let id = try backend.parseXML(response.body, what: what).value("UploadId"), !id.isEmpty else {
                throw BasinError(.internalError, "\(backend.location) started a multipart upload without an upload id for \(what)")
            }
            uploadID = id
        }
        let number = parts.count + 1
        let md5 = Array(Insecure.MD5.hash(data: bytes))
        let (response, attempts) = try await backend.send(
            "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID!)],
            headers: [("content-md5", Data(md5).base64EncodedString())], body: bytes, what: "part \(number) of \(what)")
        guard response.status == 200 else {
            throw backend.failure(response, what: "part \(number) of \(what)", attempts: attempts, name: name)
        }
        guard let etag = response.headers["etag"] else {
            throw BasinError(.internalError, "\(backend.location) stored part \(number) of \(what) without an ETag")
        }
        parts.append((number, etag, md5))
    }

    /// CompleteMultipartUpload with `If-None-Match: *`.
    private func complete() async throws(BasinError) {
        var body = "<CompleteMultipartUpload>"
        for part in parts {
            body += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(Self.escape(part.etag))</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        var headers = [("content-type", "application/xml")]
        if backend.options.conditionalWrites {
            headers.append(("if-none-match", "*"))
        } else if try await backend.stat(name) != nil {
            throw backend.alreadyExists(name)
        }
        let (response, attempts) = try await backend.send(
            "POST", key: key, query: [("uploadId", uploadID!)], headers: headers, body: Array(body.utf8), what: what)
        // S3 may answer 200 and still report an error in the body.
        let root = response.status == 200 ? try backend.parseXML(response.body, what: what) : nil
        if let root, root.name != "Error" {
            uploadID = nil  // completed: nothing to abort
            return
        }
        // A retried completion whose first attempt did land finds the object (and no upload).
        if attempts > 1, try await backend.objectETag(name) == expectedETag { uploadID = nil; return }
        if response.status == 412 { throw backend.alreadyExists(name) }
        if let root {
            let code = root.value("Code") ?? "?"
            let failed = S3Response(status: code == "PreconditionFailed" ? 412 : 500, headers: response.headers, body: response.body)
            if failed.status == 412 { throw backend.alreadyExists(name) }
            throw backend.failure(failed, what: what, attempts: attempts, name: name)
        }
        throw backend.failure(response, what: what, attempts: attempts, name: name)
    }

    /// The ETag S3 gives a multipart object: MD5 of the parts' MD5s, then `-` and the count.
    private var expectedETag: String {
        "\"\(S3Signer.hex(Insecure.MD5.hash(data: parts.flatMap(\.md5))))-\(parts.count)\""
    }

    private func abortMultipart() async {
        guard let id = uploadID else { return }
        uploadID = nil
        _ = try? await backend.send("DELETE", key: key, query: [("uploadId", id)], what: what)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
