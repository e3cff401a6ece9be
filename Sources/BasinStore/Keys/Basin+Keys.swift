import BasinBackend
import BasinCore

/// A key file as `basin key list` shows it.
public struct KeyFileEntry: Sendable {
    /// The 16 hex digits of its name `keys/<id>`.
    public let id: String
    public let file: KeyFile

    public var name: String { KeyFile.folder + id }
}

extension Basin {
    /// Every key file of the basin, by id. Each wraps the same master and id keys under
    /// its own password.
    /// - Throws: `.corrupted` naming a key file that does not decode; the backend's errors.
    public nonisolated func keyFiles() async throws(BasinError) -> [KeyFileEntry] {
        var entries: [KeyFileEntry] = []
        for object in try await listObjects(prefix: KeyFile.folder).sorted(by: { $0.name < $1.name }) {
            let id = String(object.name.dropFirst(KeyFile.folder.count))
            entries.append(KeyFileEntry(id: id, file: try KeyFile.decode(try await backend.read(object.name), name: object.name)))
        }
        return entries
    }

    /// The id of the key file `password` opens (the one in use), or nil.
    /// - Throws: `.corrupted` for a malformed key file; the backend's errors.
    public nonisolated func keyFileID(opening password: String) async throws(BasinError) -> String? {
        for entry in try await keyFiles() where try entry.file.open(password: password, name: entry.name) != nil {
            return entry.id
        }
        return nil
    }

    /// Adds a key file wrapping this basin's keys under `password`.
    /// - Returns: the new key file's id.
    /// - Throws: `.invalidArgument` for an unencrypted basin or an empty password; the
    ///   backend's errors.
    public nonisolated func addKey(password: String, parameters: KeyFile.KDFParameters = .standard) async throws(BasinError) -> String {
        guard let keys = masterKeys else { throw BasinError(.invalidArgument, "the basin at \(backend.location) is not encrypted: it has no keys") }
        guard !password.isEmpty else { throw BasinError(.invalidArgument, "a key needs a non-empty password") }
        let file: KeyFile
        do {
            file = try KeyFile.seal(keys, password: password, parameters: parameters)
        } catch {
            throw BasinError(.internalError, "could not seal a new key file", underlying: error)
        }
        let id = Hex.encode(SecureRandom.bytes(8))
        try await backend.write(KeyFile.folder + id, bytes: try Self.encodeJSON(file.encoded))
        return id
    }

    /// Removes the key file `id` (16 hex digits, or a unique prefix).
    /// - Parameters:
    ///   - id: the key file to remove.
    ///   - inUse: the id of the key opening the basin now, which is refused (use a new
    ///     key's password first, or `passwd`); nil to allow removing it (`passwd` does, after
    ///     adding the new key).
    /// - Returns: the full id removed.
    /// - Throws: `.notFound` for no such key; `.invalidArgument` for an ambiguous prefix, the
    ///   last key (a basin without key files cannot be opened), or the key in use.
    @discardableResult
    public nonisolated func removeKey(_ id: String, inUse: String?) async throws(BasinError) -> String {
        let entries = try await keyFiles()
        let matches = entries.filter { $0.id.hasPrefix(id.lowercased()) }
        guard !id.isEmpty, let match = matches.first else { throw BasinError(.notFound, "no key \(id) in the basin") }
        guard matches.count == 1 else {
            throw BasinError(.invalidArgument, "key prefix \(id) is ambiguous: \(matches.map(\.id).joined(separator: ", "))")
        }
        guard entries.count > 1 else {
            throw BasinError(.invalidArgument, "refusing to remove key \(match.id): it is the basin's last key, without which nothing can be opened")
        }
        guard match.id != inUse else {
            throw BasinError(.invalidArgument, "refusing to remove key \(match.id): it is the key in use; use another key's password, or basin key passwd")
        }
        try await backend.delete(match.name)
        return match.id
    }
}
