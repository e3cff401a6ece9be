import BasinCore

extension TreeEntry {
    /// The mode as `ls -l` shows it: a type letter then `rwx` triplets, with set-id and sticky
    /// bits as `s`/`S` and `t`/`T` (`-rw-r--r--`, `drwxr-xr-x`, `lrwxrwxrwx`, `-rwsr-xr-x`).
    public var permissions: String {
        let letter: Character = switch type {
        case .file: "-"
        case .directory: "d"
        case .symlink: "l"
        case .fifo: "p"
        case .characterDevice: "c"
        case .blockDevice: "b"
        case .socket: "s"
        }
        var text = String(letter)
        // (read, write, execute bit, special bit, letter when both set, letter when special only)
        let triplets: [(UInt32, UInt32, UInt32, UInt32, Character, Character)] = [
            (0o400, 0o200, 0o100, 0o4000, "s", "S"),
            (0o040, 0o020, 0o010, 0o2000, "s", "S"),
            (0o004, 0o002, 0o001, 0o1000, "t", "T"),
        ]
        for (read, write, execute, special, both, specialOnly) in triplets {
            text.append(mode & read != 0 ? "r" : "-")
            text.append(mode & write != 0 ? "w" : "-")
            switch (mode & execute != 0, mode & special != 0) {
            case (true, true): text.append(both)
            case (false, true): text.append(specialOnly)
            case (true, false): text.append("x")
            case (false, false): text.append("-")
            }
        }
        return text
    }
}
