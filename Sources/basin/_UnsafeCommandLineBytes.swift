import Glibc

/// The raw bytes of command-line arguments. Swift decodes arguments as UTF-8, repairing
/// invalid bytes with U+FFFD (which is what b3sum prints, too), but a file must be opened by
/// its real name.
enum CommandLineBytes {
    /// The NUL-terminated bytes of the argument that decodes to `name`, or `name`'s UTF-8.
    static func path(for name: String) -> [CChar] {
        for index in 1..<Int(CommandLine.argc) {
            // SAFETY: argv holds argc NUL-terminated C strings for the life of the process.
            guard let raw = CommandLine.unsafeArgv[index] else { continue }
            if String(cString: raw) == name {
                return Array(UnsafeBufferPointer(start: raw, count: strlen(raw) + 1))
            }
        }
        return Array(name.utf8CString)
    }
}
