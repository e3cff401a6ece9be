import Foundation
import Testing

/// Tests that need a privilege (root, mounting a tmpfs) skip where it is missing, except in CI
/// (`CI=true`, which runs as root): there they run, and a missing privilege fails them, so a
/// CI that lost its privileges cannot pass by skipping.
public enum CIPrecondition {
    /// Whether the tests run in CI.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Enables a test where `holds`, and always in CI; the test then `#require`s the condition.
    public static func enabled(if holds: Bool, _ comment: Comment) -> ConditionTrait {
        .enabled(if: holds || isCI, comment)
    }
}
