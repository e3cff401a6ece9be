import BasinKit
import Foundation

// Stores values in a new basin in a temporary directory, reads them back through a second
// opening, and exits non-zero when anything differs.

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("basin-kvexample-\(UUID().uuidString)").path

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("KVExample: \(message)\n".utf8))
    try? FileManager.default.removeItem(atPath: directory)
    exit(1)
}

do {
    let basin = try await Basin.create(directory, password: "example password")
    let greeting = Array("hello from another package".utf8)
    let key = try await basin.put(greeting)
    try await basin.batch { batch in
        for index in 0..<3 { batch.put(Array("value \(index)".utf8), name: "items/\(index)") }
    }

    let reopened = try await Basin.open(directory, password: "example password")
    guard try await reopened.get(key) == greeting else { fail("get returned other bytes for \(key)") }
    let names = try await reopened.names(prefix: "items/")
    guard names.map(\.name) == ["items/0", "items/1", "items/2"] else { fail("names: \(names.map(\.name))") }
    for (index, entry) in names.enumerated() {
        guard try await reopened.get(entry.key) == Array("value \(index)".utf8) else { fail("\(entry.name) holds other bytes") }
    }
    do {
        _ = try await Basin.open(directory, password: "not the password")
        fail("a wrong password opened the basin")
    } catch {
        guard error.code == .wrongPassword else { fail("a wrong password gave \(error)") }
    }
    print("KVExample: put, get and names agree (\(names.count + 1) values)")
    try? FileManager.default.removeItem(atPath: directory)
} catch {
    fail("\(error)")
}
