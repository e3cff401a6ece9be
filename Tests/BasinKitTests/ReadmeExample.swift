import BasinKit

/// Stores values in a new basin in `directory`, then reads them back as another process would.
func readmeExample(directory: String) async throws -> String {
    // A directory or an s3: location; the password seals the basin's keys.
    let basin = try await Basin.create(directory, password: "correct horse battery staple")

    // Each put is durable and kept when it returns: by its key, or by a name.
    let key = try await basin.put(Array("hello, basin".utf8))
    try await basin.put(Array("dark".utf8), name: "settings/theme")

    // Several steps in one commit: all of them are kept, or none.
    try await basin.batch { batch in
        batch.put(Array("en".utf8), name: "settings/language")
        batch.remove(key)
    }

    let reopened = try await Basin.open(directory, password: "correct horse battery staple")
    let theme = String(decoding: try await reopened.get(named: "settings/theme"), as: UTF8.self)
    let names = try await reopened.names(prefix: "settings/").map(\.name)

    var refusal = ""
    do {
        _ = try await Basin.open(directory, password: "wrong")
    } catch {
        // Every error is a BasinError: a code to act on, a message naming the object.
        refusal = "\(error.code)"
    }
    return theme + " " + names.joined(separator: ",") + " " + refusal
}
