/// How grain payloads are protected. Raw values are stored in stratum headers and the config.
public enum PayloadAlgorithm: UInt8, Sendable, CaseIterable {
    /// No encryption: payloads are only (maybe) compressed; keys are plain BLAKE3.
    case none = 0
    case chacha20Poly1305 = 1
    case aes256GCM = 2

    /// The AEAD tag length this algorithm appends to a payload.
    public var tagLength: Int { self == .none ? 0 : 16 }

    public var aead: AEADAlgorithm? {
        switch self {
        case .none: nil
        case .chacha20Poly1305: .chacha20Poly1305
        case .aes256GCM: .aes256GCM
        }
    }

    /// The name used in the config and CLI.
    public var name: String {
        switch self {
        case .none: "none"
        case .chacha20Poly1305: "chacha20-poly1305"
        case .aes256GCM: "aes-256-gcm"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}
