import BasinSystem
import Foundation
import Glibc
import SystemPackage

enum Terminal {
    /// Reads a line from the controlling terminal with echo off; nil without a terminal.
    static func readPassword(prompt: String) -> String? {
        guard let terminal = try? FileDescriptor.currentDirectory.open(Array("/dev/tty".utf8), .readWrite) else { return nil }
        defer { try? terminal.closeOnce() }
        var saved = termios()
        guard tcgetattr(terminal.rawValue, &saved) == 0 else { return nil }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        // Echo off before the prompt shows: what is typed once it shows must not be flushed.
        tcsetattr(terminal.rawValue, TCSAFLUSH, &quiet)
        try? terminal.write(Array(prompt.utf8))
        defer {
            tcsetattr(terminal.rawValue, TCSAFLUSH, &saved)
            try? terminal.write([10])
        }
        // Byte by byte, so nothing typed after the line is consumed.
        var line: [UInt8] = []
        while let byte = try? terminal.read(upTo: 1).first, byte != 10, byte != 13 { line.append(byte) }
        return String(decoding: line, as: UTF8.self)
    }
}
