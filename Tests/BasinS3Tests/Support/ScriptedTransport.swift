import Foundation
import Synchronization
@testable import BasinS3

/// A fake ``S3Transport`` answering from a script, for retries and error mapping without a
/// server. Each request goes to `answer`, which returns a response or throws (no answer).
final class ScriptedTransport: S3Transport {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let answer: @Sendable (S3Request, Int) async throws -> S3Response
    private let state = Mutex<(count: Int, requests: [S3Request])>((0, []))

    /// - Parameter answer: Called with each request and its number (from 1).
    init(_ answer: @escaping @Sendable (S3Request, Int) async throws -> S3Response) {
        self.answer = answer
    }

    var requests: [S3Request] { state.withLock { $0.requests } }

    func send(_ request: S3Request) async throws -> S3Response {
        let number = state.withLock { state in
            state.count += 1
            state.requests.append(request)
            return state.count
        }
        return try await answer(request, number)
    }

    func shutdown() async {}

    /// An S3 error document.
    static func errorBody(_ code: String, _ message: String = "") -> [UInt8] {
        Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message></Error>".utf8)
    }

    /// A backend on `s3:http://127.0.0.1:9/bucket/prefix` sending through `transport`.
    static func backend(_ transport: ScriptedTransport, options: S3Backend.Options) throws -> S3Backend {
        S3Backend(location: try S3Location("s3:http://127.0.0.1:9/bucket/prefix"),
                  credentials: S3Credentials(accessKeyID: "AK", secretAccessKey: "SK"), options: options, transport: transport)
    }
}
