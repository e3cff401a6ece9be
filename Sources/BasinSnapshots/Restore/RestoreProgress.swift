import Foundation

/// How far a restore has got, for a progress display.
public struct RestoreProgress: Sendable, Equatable {
    public var filesDone = 0
    public var filesTotal = 0
    public var bytesDone: Int64 = 0
    public var bytesTotal: Int64 = 0
    /// The last file started, relative to the target (for display).
    public var currentFile = ""

    public init() {}
}

/// Counts progress from concurrent file writers and hands each new state to the observer.
final class RestoreProgressTracker: @unchecked Sendable {
    // The lock guards `state` and orders the observer's calls, so it never sees progress go
    // backwards; observers must be quick (a display throttles itself).
    private let lock = NSLock()
    private var state = RestoreProgress()
    private let observer: (@Sendable (RestoreProgress) -> Void)?

    init(filesTotal: Int, bytesTotal: Int64, observer: (@Sendable (RestoreProgress) -> Void)?) {
        state.filesTotal = filesTotal
        state.bytesTotal = bytesTotal
        self.observer = observer
    }

    func started(_ file: String) { update { $0.currentFile = file } }
    func wrote(_ bytes: Int) { update { $0.bytesDone += Int64(bytes) } }
    func finishedFile() { update { $0.filesDone += 1 } }

    private func update(_ change: (inout RestoreProgress) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(&state)
        observer?(state)
    }
}
