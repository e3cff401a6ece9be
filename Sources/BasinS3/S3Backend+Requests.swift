import BasinBackend
import Foundation

extension S3Backend {
    /// Signs and sends one request, retrying what is worth retrying.
    ///
    /// Retried, with backoff: no answer (refused or reset connection, timeout), 5xx, 429, and
    /// the error codes S3 uses for throttling and transient trouble. The last answer is
    /// returned whatever its status, for the caller to judge; when no attempt got an answer,
    /// `.unavailable` names the endpoint.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - key: The object key, or nil for a request on the bucket.
    ///   - query: Query parameters, unencoded.
    ///   - headers: Extra headers to sign and send.
    ///   - body: The body.
    ///   - what: The object or operation, for messages.
    /// - Returns: The last answer and the number of attempts made.
    /// - Throws: `.unavailable` when the endpoint never answered.
    func send(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: [UInt8] = [], what: String
    ) async throws(BasinError) -> (response: S3Response, attempts: Int) {
        let path = s3Location.path(key: key)
        let queryString = S3Signer.canonicalQuery(query)
        let url = s3Location.url(path: path, query: queryString)
        // A body with a Content-MD5 (every PUT of ours) is checked by the server against it;
        // hashing it once more for the signature would cost a pass over every byte uploaded.
        let payloadHash = !body.isEmpty && headers.contains { $0.0 == "content-md5" }
            ? S3Signer.unsignedPayload : S3Signer.hexSHA256(body)
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled {
                throw BasinError(.unavailable, "\(what): cancelled")
            }
            let signature = signer.sign(
                method: method, path: path, query: query,
                headers: [("host", s3Location.hostHeader), ("x-amz-content-sha256", payloadHash)] + headers,
                payloadHash: payloadHash, date: Date())
            let request = S3Request(
                method: method, url: url,
                headers: signature.headers + [("authorization", signature.authorization)], body: body)
            do {
                let response = try await limiter.withPermit { try await transport.send(request) }
                guard Self.isRetryable(response), attempt < options.retry.maxAttempts else {
                    return (response, attempt)
                }
            } catch {
                guard attempt < options.retry.maxAttempts else {
                    throw BasinError(.unavailable,
                        "cannot reach the S3 endpoint \(s3Location.requestEndpoint) for \(what) after \(attempt) attempts: \(error)",
                        underlying: error)
                }
            }
            await options.retry.sleep(options.retry.delay(afterAttempt: attempt))
        }
    }

    /// Error codes S3 answers for trouble that passes (throttling, internal errors, a
    /// conditional write racing another).
    static let retryableCodes: Set<String> = [
        "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed",
        "ThrottlingException", "Throttling", "TooManyRequests", "BadDigest", "XAmzContentSHA256Mismatch",
        "ConditionalRequestConflict", "OperationAborted",
    ]

    static func isRetryable(_ response: S3Response) -> Bool {
        if response.status >= 500 || response.status == 429 { return true }
        guard response.status >= 400, let code = errorCodeOf(response) else { return false }
        return retryableCodes.contains(code)
    }

    /// The `<Code>` of an S3 error answer, if it has one.
    static func errorCodeOf(_ response: S3Response) -> String? {
        guard !response.body.isEmpty, let root = try? S3XML.parse(response.body), root.name == "Error" else { return nil }
        return root.value("Code")
    }

    func errorCode(_ response: S3Response) -> String? { Self.errorCodeOf(response) }

    /// Parses an XML answer, as `.internalError` naming the request when it is malformed.
    func parseXML(_ bytes: [UInt8], what: String) throws(BasinError) -> S3XMLElement {
        do {
            return try S3XML.parse(bytes)
        } catch {
            throw BasinError(.internalError, "\(location) answered malformed XML for \(what)", underlying: error)
        }
    }

    /// The error for an answer the caller did not expect, by status and S3 error code.
    ///
    /// - Parameters:
    ///   - response: The answer.
    ///   - what: The object or operation, for the message.
    ///   - attempts: How many attempts were made.
    ///   - name: The object's name, when the request was about one.
    /// - Returns: `.noRepository` (no such bucket), `.notFound`, `.invalidArgument` (refused
    ///   credentials, bad request), `.alreadyExists`, `.noSpace`, `.unavailable` (the server
    ///   kept failing) or `.internalError`.
    func failure(_ response: S3Response, what: String, attempts: Int, name: String? = nil) -> BasinError {
        let root = response.body.isEmpty ? nil : try? S3XML.parse(response.body)
        let code = root?.name == "Error" ? root?.value("Code") : nil
        let message = root?.name == "Error" ? root?.value("Message") : nil
        let detail = "HTTP \(response.status)" + (code.map { " \($0)" } ?? "") + (message.map { ": \($0)" } ?? "")
        let bucket = s3Location.bucket
        let endpoint = s3Location.endpoint
        if code == "NoSuchBucket" {
            return BasinError(.noRepository, "the bucket '\(bucket)' does not exist at \(endpoint) (\(what))")
        }
        let credentialCodes: Set<String> = [
            "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken",
            "InvalidSecurity", "AuthorizationHeaderMalformed",
        ]
        if response.status == 403 || code.map(credentialCodes.contains) == true {
            return BasinError(.invalidArgument,
                "the S3 server at \(endpoint) refused the credentials for \(what) (\(detail)): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and the access rights on bucket '\(bucket)'")
        }
        if response.status == 404, let name { return notFound(name) }
        if response.status == 412, let name { return alreadyExists(name) }
        if response.status == 507 || code == "InsufficientStorage" {
            return BasinError(.noSpace, "the S3 server at \(endpoint) has no space left for \(what) (\(detail))")
        }
        if code == "InvalidStorageClass" {
            return BasinError(.invalidArgument, "the S3 server at \(endpoint) does not accept the storage class '\(options.storageClass ?? "")' for \(what) (\(detail))")
        }
        if Self.isRetryable(response) {
            return BasinError(.unavailable, "the S3 server at \(endpoint) kept failing for \(what): \(detail) after \(attempts) attempts")
        }
        return BasinError(.internalError, "the S3 server at \(endpoint) answered \(detail) for \(what)")
    }
}
