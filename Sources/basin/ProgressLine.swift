import Foundation
import Glibc

/// A one-line progress display on stderr (files and bytes done, rate, ETA, current file),
/// redrawn at most ten times a second. Only made when stderr is a terminal, so scripts and
/// logs stay quiet.
final class ProgressLine: @unchecked Sendable {
    // The lock guards the drawing state; updates come from concurrent writers.
    private let lock = NSLock()
    private let started = ContinuousClock.now
    private var lastDrawn: ContinuousClock.Instant?
    private var drawn = false

    /// A progress line when stderr is a terminal, else nil.
    static func onTerminal() -> ProgressLine? {
        isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil
    }

    func show(files: Int, filesTotal: Int, bytes: Int64, bytesTotal: Int64, current: String) {
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        if let lastDrawn, now - lastDrawn < .milliseconds(100) { return }
        lastDrawn = now
        let elapsed = Self.seconds(now - started)
        let rate = elapsed > 0 ? Double(bytes) / elapsed : 0
        var line = "[\(Self.clock(elapsed))] \(files)/\(filesTotal) files  \(Self.size(bytes))/\(Self.size(bytesTotal))"
        line += "  \(Self.size(Int64(rate)))/s"
        if rate > 0, bytesTotal > bytes { line += "  ETA \(Self.clock(Double(bytesTotal - bytes) / rate))" }
        line += "  " + current
        let width = Self.terminalWidth()
        if line.count > width - 1 { line = String(line.prefix(width - 1)) }
        // \r, the line, then clear to the end of the line.
        FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        drawn = true
    }

    /// Clears the line, so what follows starts on a clean one.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }

    /// Bytes in binary units, one digit after the point: `512 B`, `3.4 MiB`.
    static func size(_ bytes: Int64) -> String { Format.bytes(bytes, digits: 1) }

    private static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 80
    }
}
