import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// ``S3Transport`` over one async-http-client `HTTPClient`, which pools connections.
///
/// The client is shut down by ``shutdown()``; a transport dropped without it starts the
/// shutdown itself (async-http-client traps in debug builds when a client is dropped running).
package final class HTTPClientTransport: S3Transport {
    private let client: HTTPClient
    private let requestTimeout: TimeAmount
    private let isShutDown = Mutex(false)

    /// - Parameters:
    ///   - connections: Connections kept per host (match the backend's request concurrency).
    ///   - connectTimeout: Time allowed to connect.
    ///   - readTimeout: Longest silence while waiting for an answer's bytes.
    ///   - requestTimeout: Longest time for one whole request.
    package init(connections: Int, connectTimeout: Duration, readTimeout: Duration, requestTimeout: Duration) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(connectTimeout), read: TimeAmount(readTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connections)),
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        // Fail a refused connection at once: the backend retries with its own backoff.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.requestTimeout = TimeAmount(requestTimeout)
    }

    package func send(_ request: S3Request) async throws -> S3Response {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if !request.body.isEmpty || request.method == "PUT" || request.method == "POST" {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(outgoing, timeout: requestTimeout)
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name.lowercased()] = value }
            var body: [UInt8] = []
            if let length = headers["content-length"].flatMap(Int.init), length > 0 { body.reserveCapacity(length) }
            for try await buffer in response.body { body += buffer.readableBytesView }
            return S3Response(status: Int(response.status.code), headers: headers, body: body)
        } catch let error as IOError {
            throw SocketFailure(code: error.errnoCode)
        }
    }

    /// A connection that failed at the socket, said plainly ("connection refused (errno 111)"):
    /// NIO's own description garbles it ("connection reset (error set): Connection refused)
    /// (errno: 111)"), and it ends up in the message naming the endpoint.
    package struct SocketFailure: Error, CustomStringConvertible {
        package let code: CInt

        package var description: String {
            let text = String(cString: strerror(code))
            return text.prefix(1).lowercased() + text.dropFirst() + " (errno \(code))"
        }
    }

    package func shutdown() async {
        guard isShutDown.withLock({ done in defer { done = true }; return !done }) else { return }
        try? await client.shutdown()
    }

    deinit {
        if !isShutDown.withLock({ $0 }) { _ = client.shutdown() }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
