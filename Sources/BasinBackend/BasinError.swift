/// The one error type the store's public API throws.
///
/// `code` is coarse and actionable (the CLI maps it to an exit code); `message` names the
/// object concerned (stratum, key, path); `underlying` keeps the cause.
public struct BasinError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidArgument
        case notFound
        /// No basin at the location given (no directory, or no config object).
        case noRepository
        case alreadyExists
        case unavailable      // retryable: a server or the network, for now
        case corrupted
        case incompatibleVersion
        case wrongPassword
        case noSpace
        case locked
        case internalError
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(message): \(underlying)" }
        return message
    }
}
