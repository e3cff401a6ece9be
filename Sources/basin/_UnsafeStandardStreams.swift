import Glibc

/// Unbuffered writes to standard output and error: each line is out before the next input
/// is hashed, and error lines interleave with hash lines in order.
enum StandardStreams {
    static func printOutput(_ line: String) { writeAll(line + "\n", to: STDOUT_FILENO) }
    static func printError(_ line: String) { writeAll(line + "\n", to: STDERR_FILENO) }

    private static func writeAll(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                // SAFETY: offset < buffer.count, so the range written is inside the buffer.
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
