import BasinBackend
import BasinCore

extension Basin {
    /// Writes a small sealed object (a snapshot ref, a lock) under `name` in the basin.
    /// - Throws: `.alreadyExists` if the name is taken, or the backend's error.
    package nonisolated func writeSealedObject(_ name: String, plain: [UInt8]) async throws(BasinError) {
        let bytes: [UInt8]
        do {
            bytes = try SealedObject.seal(plain, name: name, algorithm: keyring.algorithm, masterKey: keyring.masterKey,
                                          salt: SecureRandom.bytes(32))
        } catch {
            throw BasinError(.internalError, "could not seal \(name)", underlying: error)
        }
        try await backend.write(name, bytes: bytes)
    }

    /// Reads and opens the sealed object `name`.
    /// - Throws: `.notFound`, or `.corrupted` naming the object when it fails its checks.
    package nonisolated func readSealedObject(_ name: String) async throws(BasinError) -> [UInt8] {
        let bytes = try await backend.read(name)
        do {
            return try SealedObject.open(bytes, name: name, algorithm: keyring.algorithm, masterKey: keyring.masterKey)
        } catch {
            throw BasinError(.corrupted, "object \(name) is damaged: \(error)", underlying: error)
        }
    }

    /// Names of the objects under `prefix` in the basin (not the data lane).
    package nonisolated func listObjects(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        try await backend.list(prefix: prefix)
    }

    /// Deletes any object of the basin, strata and config included: for the package's own
    /// maintenance (locks, refs, root records), never for a library user.
    package nonisolated func deleteObject(_ name: String) async throws(BasinError) {
        try await backend.delete(name)
    }
}
