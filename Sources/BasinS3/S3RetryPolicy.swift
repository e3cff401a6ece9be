/// How failed requests are retried: bounded attempts, exponential backoff with full jitter.
///
/// Attempt `n` (from 1) that fails with a retryable error waits a random time in
/// `0...min(maximumDelay, baseDelay × 2^(n-1))` before attempt `n + 1`. The wait goes through
/// `sleep`, so tests inject one that records the delay and returns at once.
public struct S3RetryPolicy: Sendable {
    /// Attempts per request, the first included (at least 1).
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration
    /// Waits between attempts; `Task.sleep` by default.
    public var sleep: @Sendable (Duration) async -> Void
    /// A uniform random number in `0...1`, for the jitter.
    public var random: @Sendable () -> Double

    /// - Parameters:
    ///   - maxAttempts: Attempts per request (default 5).
    ///   - baseDelay: The first backoff's upper bound (default 100 ms).
    ///   - maximumDelay: The cap on any backoff (default 5 s).
    ///   - sleep: How to wait; tests pass one that does not.
    ///   - random: Uniform random numbers in `0...1`.
    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(5),
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.sleep = sleep
        self.random = random
    }

    /// The wait after failed attempt `attempt` (from 1).
    ///
    /// - Parameter attempt: The attempt that just failed.
    /// - Returns: A delay in `0...min(maximumDelay, baseDelay × 2^(attempt-1))`.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maximumDelay, baseDelay * (1 << exponent))
        return ceiling * min(max(random(), 0), 1)
    }
}
