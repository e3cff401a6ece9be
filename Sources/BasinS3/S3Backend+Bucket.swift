import BasinBackend

extension S3Backend {
    /// Whether the bucket exists (HEAD on the bucket): the first request a command makes, so a
    /// missing bucket, refused credentials or an unreachable endpoint is reported clearly.
    ///
    /// - Returns: True when the bucket exists.
    /// - Throws: `.invalidArgument` for refused credentials; `.unavailable` naming the endpoint.
    public func bucketExists() async throws(BasinError) -> Bool {
        let what = "bucket '\(s3Location.bucket)'"
        let (response, attempts) = try await send("HEAD", key: nil, what: what)
        switch response.status {
        case 200: return true
        case 404: return false
        default: throw failure(response, what: what, attempts: attempts)
        }
    }

    /// Creates the bucket unless it exists (as `restic init` does).
    ///
    /// - Throws: `.invalidArgument` for refused credentials or a bucket owned by someone else;
    ///   `.unavailable`.
    public func createBucketIfMissing() async throws(BasinError) {
        if try await bucketExists() { return }
        let what = "bucket '\(s3Location.bucket)'"
        var body: [UInt8] = []
        if options.region != "us-east-1" {
            body = Array(("<CreateBucketConfiguration><LocationConstraint>\(options.region)"
                + "</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        let (response, attempts) = try await send("PUT", key: nil, body: body, what: what)
        guard response.status == 200 || errorCode(response) == "BucketAlreadyOwnedByYou" else {
            throw failure(response, what: "creating \(what)", attempts: attempts)
        }
    }
}
