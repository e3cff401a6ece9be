import BasinBackend
import Crypto
import Foundation

extension S3Backend {
    /// Deletes many objects with DeleteObjects, up to 1000 per request; missing objects are
    /// not an error.
    ///
    /// - Parameter names: The objects' names.
    /// - Throws: `.invalidArgument` for an invalid name; the first object the server could not
    ///   delete, by name; `.noRepository`; `.unavailable`.
    public func delete(names: [String]) async throws(BasinError) {
        for name in names { try ObjectName.validate(name) }
        var start = 0
        while start < names.count {
            let batch = names[start..<min(start + 1000, names.count)]
            start += batch.count
            var body = "<Delete><Quiet>true</Quiet>"
            for name in batch { body += "<Object><Key>\(S3Upload.escape(s3Location.key(for: name)))</Key></Object>" }
            body += "</Delete>"
            let bytes = Array(body.utf8)
            let what = "the deletion of \(batch.count) objects from \(location)"
            let (response, attempts) = try await send(
                "POST", key: nil, query: [("delete", "")],
                headers: [("content-md5", Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()),
                          ("content-type", "application/xml")],
                body: bytes, what: what)
            guard response.status == 200 else { throw failure(response, what: what, attempts: attempts) }
            let result = try parseXML(response.body, what: what)
            if result.name == "Error" {
                throw failure(S3Response(status: 500, body: response.body), what: what, attempts: attempts)
            }
            if let error = result.children("Error").first {
                let key = error.value("Key") ?? "?"
                let name = s3Location.name(forKey: key) ?? key
                throw BasinError(.unavailable,
                    "could not delete \(describe(name)): \(error.value("Code") ?? "?"): \(error.value("Message") ?? "")")
            }
        }
    }
}
