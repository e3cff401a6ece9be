// swift-tools-version: 6.1
import PackageDescription

// A program outside the Basin package that uses it as a library: one dependency, one product,
// one import. scripts/test.sh builds and runs it, so the library's public API is checked from
// outside the package (where `package` declarations are invisible).
let package = Package(
    name: "KVExample",
    dependencies: [
        .package(name: "Basin", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "KVExample", dependencies: [.product(name: "BasinKit", package: "Basin")]),
    ]
)
