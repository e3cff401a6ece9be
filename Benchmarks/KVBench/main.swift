import BasinKit
import Foundation

// The store used as an embedded key/value store through its library front door (BasinKit),
// for scripts/bench-kv.sh (beside SQLite):
//
//   basin-kvbench put DIR COUNT SIZE [--encrypted]   a new basin in DIR; COUNT values of SIZE
//                                                    bytes in one batch and one flush
//   basin-kvbench get DIR GETS [--encrypted]         reopens DIR (a cold process) and gets GETS
//                                                    values chosen at random (seeded) by key
//
// Prints one JSON line: seconds of the measured part, operations and bytes. Values are half
// compressible text, half random, derived from their index; `put` leaves the keys in DIR.keys
// for `get`, and the store checks every value's key as it reads it.

/// Value `index` of `size` bytes: its first half text (the words below from an offset that
/// depends on the index), its second half random (SplitMix64 seeded with the index).
func value(_ index: Int, size: Int) -> [UInt8] {
    let words = Array("basin stratum grain clast lane key value backup restore ".utf8)
    var bytes = [UInt8](repeating: 0, count: size)
    let textEnd = size / 2
    var source = (index &* 7919) % words.count
    for position in 0..<textEnd {
        bytes[position] = words[source]
        source = source + 1 == words.count ? 0 : source + 1
    }
    var state = UInt64(index)
    var position = textEnd
    while position < size {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        for shift in stride(from: 0, to: 64, by: 8) where position < size {
            bytes[position] = UInt8(truncatingIfNeeded: z >> UInt64(shift))
            position += 1
        }
    }
    return bytes
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("basin-kvbench: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let count = Int(arguments[3]) else {
    fail("usage: basin-kvbench put DIR COUNT SIZE [--encrypted] | get DIR GETS [--encrypted]")
}
let directory = arguments[2]
let encrypted = arguments.contains("--encrypted")
let password: String? = encrypted ? "kvbench-password" : nil
// Beside the basin, not in it: the keys put, for `get` to choose from.
let keysFile = directory + ".keys"

do throws(any Error) {
    switch arguments[1] {
    case "put":
        guard arguments.count >= 5, let size = Int(arguments[4]) else { fail("put needs COUNT and SIZE") }
        var options = BasinCreateOptions()
        options.encryption = encrypted ? .chacha20Poly1305 : .none
        let basin = try await Basin.create(directory, password: password, options: options)
        let values = (0..<count).map { value($0, size: size) }
        let start = ContinuousClock.now
        try await basin.batch { batch in
            for value in values { batch.put(value) }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        try Data(values.flatMap { basin.key(of: $0).bytes }).write(to: URL(fileURLWithPath: keysFile))
        print("{\"operation\": \"put\", \"seconds\": \(seconds), \"count\": \(count), \"bytes\": \(count * size)}")
    case "get":
        let stored = try Data(contentsOf: URL(fileURLWithPath: keysFile))
        let keys = stride(from: 0, to: stored.count, by: 32).map { Key(bytes: Array(stored[$0..<($0 + 32)]))! }
        guard !keys.isEmpty else { fail("\(keysFile) holds no key: run put first") }
        // Seeded choices, the same in every run; the store checks each value's key as it reads it.
        var state: UInt64 = 0x6b76_6265_6e63_68
        let chosen = (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return keys[Int((state >> 33) % UInt64(keys.count))]
        }
        let start = ContinuousClock.now
        let basin = try await Basin.open(directory, password: password)
        let opened = ContinuousClock.now
        var bytes = 0
        for key in chosen { bytes += try await basin.get(key).count }
        let seconds = (ContinuousClock.now - opened) / .seconds(1)
        print("{\"operation\": \"get\", \"seconds\": \(seconds), \"open_seconds\": \((opened - start) / .seconds(1)), \"count\": \(count), \"bytes\": \(bytes)}")
    default:
        fail("unknown operation \(arguments[1])")
    }
} catch {
    fail("\(error)")
}
