/// The three sizes that define FastCDC chunking.
///
/// They are part of a basin's format: two basins (or two versions) cut the same content into the
/// same chunks only if these are equal, so they are stored with the basin rather than assumed.
public struct FastCDCParameters: Sendable, Hashable, CustomStringConvertible {
    /// No chunk except a stream's last is shorter than this; the first `minSize` bytes of every
    /// chunk are skipped without hashing.
    public let minSize: Int
    /// The size chunks cluster around; a power of two (it sets the mask widths).
    public let averageSize: Int
    /// No chunk is longer than this; a chunk with no cut point is cut here.
    public let maxSize: Int

    /// The smallest `minSize` accepted: below it the gear hash has no full window.
    public static let smallestMinSize = 64
    /// The largest `maxSize` accepted (1 GiB); it also bounds the masks to 32 bits each.
    public static let largestMaxSize = 1 << 30

    /// Basin's default: 512 KiB / 1 MiB / 8 MiB.
    public static let `default` = FastCDCParameters(unchecked: 512 << 10, 1 << 20, 8 << 20)

    /// Validates and stores chunking sizes.
    /// - Parameters:
    ///   - minSize: At least ``smallestMinSize``.
    ///   - averageSize: A power of two with `minSize <= averageSize <= maxSize`. It is not rounded:
    ///     a silent change here would silently change every chunk boundary.
    ///   - maxSize: At most ``largestMaxSize``.
    /// - Throws: ``FastCDCParameterError`` naming the first rule broken.
    public init(minSize: Int, averageSize: Int, maxSize: Int) throws(FastCDCParameterError) {
        guard minSize >= Self.smallestMinSize else { throw .minSizeTooSmall(minSize) }
        guard maxSize <= Self.largestMaxSize else { throw .maxSizeTooLarge(maxSize) }
        guard minSize <= averageSize, averageSize <= maxSize else {
            throw .notOrdered(minSize: minSize, averageSize: averageSize, maxSize: maxSize)
        }
        guard averageSize.nonzeroBitCount == 1 else { throw .averageNotPowerOfTwo(averageSize) }
        self.init(unchecked: minSize, averageSize, maxSize)
    }

    private init(unchecked minSize: Int, _ averageSize: Int, _ maxSize: Int) {
        (self.minSize, self.averageSize, self.maxSize) = (minSize, averageSize, maxSize)
    }

    public var description: String { "FastCDC(min: \(minSize), avg: \(averageSize), max: \(maxSize))" }
}

/// Why a set of ``FastCDCParameters`` was refused.
public enum FastCDCParameterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `minSize` is below ``FastCDCParameters/smallestMinSize``.
    case minSizeTooSmall(Int)
    /// `maxSize` is above ``FastCDCParameters/largestMaxSize``.
    case maxSizeTooLarge(Int)
    /// The sizes are not in the order min <= average <= max.
    case notOrdered(minSize: Int, averageSize: Int, maxSize: Int)
    /// `averageSize` is not a power of two.
    case averageNotPowerOfTwo(Int)

    public var description: String {
        switch self {
        case let .minSizeTooSmall(size): "FastCDC min size \(size) is below \(FastCDCParameters.smallestMinSize)"
        case let .maxSizeTooLarge(size): "FastCDC max size \(size) is above \(FastCDCParameters.largestMaxSize)"
        case let .notOrdered(min, avg, max): "FastCDC sizes must satisfy min <= avg <= max (got \(min), \(avg), \(max))"
        case let .averageNotPowerOfTwo(size): "FastCDC average size \(size) is not a power of two"
        }
    }
}
