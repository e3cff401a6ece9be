import BasinBackend
import BasinStore
import Foundation

extension KeyFile.KDFParameters {
    /// scrypt at 1 MiB instead of 32: cheap enough for tests that open a basin many times.
    /// A key file records its parameters (docs/FORMAT.md, "Key files"), so a basin sealed with
    /// these opens like any other; nothing in the product seals with them.
    public static let testing = KeyFile.KDFParameters(n: 1 << 10, r: 8, p: 1)
}

/// Key files of a basin in a local directory, for CLI tests.
public enum KeyFiles {
    /// Re-seals every key file of the basin at `directory` under ``KeyFile/KDFParameters/testing``,
    /// in place (same id, same file mode), so the `basin` commands a test runs after `basin init`
    /// derive their key in milliseconds instead of paying the standard cost each time.
    ///
    /// - Throws: `.wrongPassword` when `password` opens none of them; the key files' errors.
    public static func resealCheaply(basinAt directory: String, password: String) throws {
        let folder = directory + "/" + KeyFile.folder
        var opened = 0
        for id in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
            let path = folder + id
            let name = KeyFile.folder + id
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw BasinError(.notFound, "cannot read key file \(name) at \(path)")
            }
            guard let keys = try KeyFile.decode(Array(bytes), name: name).open(password: password, name: name) else { continue }
            let cheap = try KeyFile.seal(keys, password: password, parameters: .testing).encoded()
            // Rewritten through the open file, which keeps its mode (0600).
            guard let handle = FileHandle(forUpdatingAtPath: path) else {
                throw BasinError(.unavailable, "cannot open key file \(name) at \(path) for writing")
            }
            defer { try? handle.close() }
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: cheap)
            opened += 1
        }
        guard opened > 0 else { throw BasinError(.wrongPassword, "no key file of \(directory) opens with the password given") }
    }
}
