import BasinSystem
import SystemPackage

extension RestoreEngine {
    /// Points where tests step into a restore.
    package struct Hooks: Sendable {
        /// Called after a file's content is written, before it is verified, with its open
        /// descriptor and its path relative to the target: a test alters the file here to
        /// show that `verify` notices.
        package var afterContentWritten: (@Sendable (FileDescriptor, [UInt8]) -> Void)?

        package init() {}
    }
}
