import BasinBackend
import BasinCore
import Synchronization

/// A basin's keys and the payload ciphers derived from them: the master key (a stratum's
/// payload key comes from it and the stratum's salt, docs/FORMAT.md §4), the key function
/// (plain or keyed BLAKE3), and a cache of each stratum's cipher, shared by readers and writers.
final class Keyring: Sendable {
    let algorithm: PayloadAlgorithm
    let masterKey: [UInt8]
    let keyFunction: KeyFunction
    private let ciphers = Mutex<[UInt64: PayloadCipher]>([:])

    /// - Parameters:
    ///   - keys: the master and id keys; nil for an unencrypted basin.
    ///   - algorithm: the basin's payload algorithm.
    init(keys: MasterKeys?, algorithm: PayloadAlgorithm) {
        self.algorithm = algorithm
        masterKey = keys?.masterKey ?? []
        keyFunction = keys.map { KeyFunction.keyed(idKey: $0.idKey) } ?? .plain
    }

    /// The cipher of stratum `id`, if it was derived already.
    func cachedCipher(_ id: UInt64) -> PayloadCipher? {
        ciphers.withLock { $0[id] }
    }

    /// The payload cipher of the stratum `header` starts.
    /// - Throws: `.corrupted` when the stratum is sealed with another algorithm than the basin's.
    func cipher(for header: StratumHeader) throws(BasinError) -> PayloadCipher {
        if let cached = cachedCipher(header.stratumID) { return cached }
        guard header.algorithm == algorithm else {
            throw BasinError(.corrupted, "stratum \(StratumName.objectName(lane: header.lane, id: header.stratumID)) is sealed with \(header.algorithm.name), the basin with \(algorithm.name)")
        }
        do {
            let cipher = try PayloadCipher(algorithm: algorithm, masterKey: masterKey, salt: header.salt)
            ciphers.withLock { $0[header.stratumID] = cipher }
            return cipher
        } catch {
            throw BasinError(.internalError, "could not derive the key of stratum \(Hex.encode(header.stratumID))", underlying: error)
        }
    }

    /// The header of a new stratum of `lane`: a fresh random id and salt.
    func newStratumHeader(lane: Lane) -> StratumHeader {
        StratumHeader(lane: lane, algorithm: algorithm, stratumID: UInt64.random(in: 1...UInt64.max), salt: SecureRandom.bytes(32))
    }
}
