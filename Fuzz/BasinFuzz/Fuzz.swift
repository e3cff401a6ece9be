import Foundation

// libFuzzer's entry points. One build serves every decoder: BASIN_FUZZ_DECODER names the one
// this process fuzzes; BASIN_FUZZ_WRITE_SEEDS=DIR writes every decoder's seeds into
// DIR/<decoder>/ and exits; BASIN_FUZZ_LIST=1 prints each decoder's name and max length and
// exits (scripts/fuzz.sh, docs/ARCHITECTURE.md "Fuzzing").

/// The decoder named by BASIN_FUZZ_DECODER, read once.
nonisolated(unsafe) var selected: FuzzDecoder?

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    if let directory = environment["BASIN_FUZZ_WRITE_SEEDS"] {
        do {
            try SeedWriter.write(into: directory)
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("could not write seeds into \(directory): \(error)\n".utf8))
            exit(1)
        }
    }
    if environment["BASIN_FUZZ_LIST"] == "1" {
        for decoder in FuzzDecoder.all { print(decoder.name, decoder.maxLength) }
        exit(0)
    }
    let names = FuzzDecoder.all.map(\.name).joined(separator: " ")
    guard let name = environment["BASIN_FUZZ_DECODER"], let decoder = FuzzDecoder.named(name) else {
        FileHandle.standardError.write(Data("set BASIN_FUZZ_DECODER to one of: \(names)\n".utf8))
        exit(2)
    }
    selected = decoder
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = selected?.run(bytes)
    return 0
}
