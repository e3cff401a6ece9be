/// One HTTP request to an S3 server, signed and ready to send.
package struct S3Request: Sendable {
    package var method: String
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// An S3 server's answer: status, headers (names lower-cased) and the whole body.
package struct S3Response: Sendable {
    package var status: Int
    package var headers: [String: String]
    package var body: [UInt8]

    package init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends requests: async-http-client in production, a scripted fake in tests of retries and
/// error mapping. A thrown error means no answer arrived (refused or reset connection,
/// timeout); the backend retries those.
package protocol S3Transport: Sendable {
    func send(_ request: S3Request) async throws -> S3Response
    /// Releases connections and threads; the transport is unusable afterwards.
    func shutdown() async
}
