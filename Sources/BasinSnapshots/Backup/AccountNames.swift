import Glibc
import Synchronization

/// User and group names by id, looked up once each (getpwuid_r / getgrgid_r).
final class AccountNames: Sendable {
    private let users = Mutex<[UInt32: String]>([:])
    private let groups = Mutex<[UInt32: String]>([:])

    func user(_ uid: UInt32) -> String {
        if let known = users.withLock({ $0[uid] }) { return known }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name = getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
            ? String(cString: entry.pw_name) : ""
        users.withLock { $0[uid] = name }
        return name
    }

    func group(_ gid: UInt32) -> String {
        if let known = groups.withLock({ $0[gid] }) { return known }
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name = getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
            ? String(cString: entry.gr_name) : ""
        groups.withLock { $0[gid] = name }
        return name
    }
}
