import BasinSystem
import SystemPackage

/// Unbuffered writes to standard output and error: each line is out before the next input
/// is hashed, and error lines interleave with hash lines in order.
enum StandardStreams {
    static func printOutput(_ line: String) { writeAll(line + "\n", to: .standardOutput) }
    static func printError(_ line: String) { writeAll(line + "\n", to: .standardError) }

    /// A stream that cannot be written (a closed pipe) loses the line: there is nowhere to say so.
    private static func writeAll(_ text: String, to descriptor: FileDescriptor) {
        try? descriptor.write(Array(text.utf8))
    }
}
