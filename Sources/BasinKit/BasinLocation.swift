import BasinBackend
import BasinLocal
import BasinS3
import BasinStore
import Foundation

/// Turns the location a user names into the backend that holds the basin's objects: a local
/// directory, or an S3 bucket (and key prefix) written `s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]`
/// or `s3:HOST/BUCKET[/PREFIX]` (HTTPS).
///
/// S3 settings come from the environment, as the `basin` command reads them: credentials from
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` or `~/.aws/credentials`
/// (`AWS_PROFILE`), the region from `AWS_REGION` or `AWS_DEFAULT_REGION` (default `us-east-1`),
/// virtual-hosted requests with `BASIN_S3_BUCKET_LOOKUP=dns` (path-style by default).
public enum BasinLocation {
    /// Whether `location` names an S3 location rather than a directory.
    public static func isS3(_ location: String) -> Bool { S3Location.isS3(location) }

    /// Opens the backend at `location`.
    ///
    /// - Parameters:
    ///   - location: A directory, or an `s3:` location.
    ///   - create: Create the directory, or the bucket, when missing.
    ///   - storageClass: The S3 storage class of objects written (S3 locations only).
    /// - Throws: `.noRepository` for a missing directory or bucket; `.invalidArgument` for a
    ///   malformed location, missing credentials or a storage class on a local location.
    public static func backend(_ location: String, create: Bool, storageClass: String? = nil) async throws(BasinError) -> any Backend {
        if isS3(location) {
            return try await s3Backend(location, create: create, storageClass: storageClass)
        }
        guard storageClass == nil else {
            throw BasinError(.invalidArgument, "a storage class applies to S3 locations only, not to \(location)")
        }
        guard !location.isEmpty else { throw BasinError(.invalidArgument, "a basin's location is a directory or an s3: location, not empty") }
        do {
            return try LocalBackend(directory: location, create: create)
        } catch where error.code == .notFound {
            throw BasinError(.noRepository, "there is no basin at \(location) (no such directory)", underlying: error)
        }
    }

    static func s3Backend(_ location: String, create: Bool, storageClass: String?) async throws(BasinError) -> any Backend {
        let environment = ProcessInfo.processInfo.environment
        let style: S3Location.AddressingStyle
        switch environment["BASIN_S3_BUCKET_LOOKUP"] {
        case nil, "", "path": style = .path
        case "dns": style = .virtualHosted
        case let other?:
            // A misspelt value would silently send requests elsewhere than asked.
            throw BasinError(.invalidArgument, "BASIN_S3_BUCKET_LOOKUP is dns or path, not '\(other)'")
        }
        let parsed = try S3Location(location, addressingStyle: style)
        var options = S3Backend.Options()
        options.region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        options.storageClass = storageClass
        let backend = S3Backend(location: parsed, credentials: try S3Credentials.resolve(environment: environment), options: options)
        if create {
            try await backend.createBucketIfMissing()
        } else if !(try await backend.bucketExists()) {
            throw BasinError(.noRepository, "there is no basin at \(location): the bucket '\(parsed.bucket)' does not exist at \(parsed.endpoint)")
        }
        return backend
    }

    /// Opens the backends of lanes a config places elsewhere, with the lane's storage class.
    public static let resolver: BackendResolver = { lane throws(BasinError) in
        try await backend(lane.location, create: false, storageClass: lane.storageClass)
    }
}

extension Basin {
    /// Opens the basin at `location`: a directory or an `s3:` location (see ``BasinLocation``).
    ///
    /// - Parameter password: The basin's password; nil for an unencrypted basin.
    /// - Throws: `.noRepository` when there is no basin there; `.wrongPassword` when the password
    ///   is missing or opens no key file; `.incompatibleVersion` for a newer format;
    ///   `.corrupted` for a damaged config or key file; `.invalidArgument` for a malformed
    ///   location or missing S3 credentials.
    public static func open(_ location: String, password: String?) async throws(BasinError) -> Basin {
        try await open(backend: try await BasinLocation.backend(location, create: false), password: password,
                       resolve: BasinLocation.resolver)
    }

    /// Creates a basin at `location` (a directory or an `s3:` location, created when missing)
    /// and opens it.
    ///
    /// Lanes that `options` place elsewhere are created first, and local lane paths are made
    /// absolute, so nothing is written when one cannot be had.
    /// - Parameters:
    ///   - password: Required unless `options.encryption` is `.none`.
    ///   - options: Encryption, compression, chunk and stratum sizes, lane placement.
    /// - Throws: `.alreadyExists` when a basin is there; `.invalidArgument` for a missing
    ///   password or options out of range; the backend's errors.
    public static func create(_ location: String, password: String?,
                              options: BasinCreateOptions = BasinCreateOptions()) async throws(BasinError) -> Basin {
        var options = options
        for (lane, laneLocation) in options.laneLocations {
            let resolved = BasinLocation.isS3(laneLocation) ? laneLocation
                : URL(fileURLWithPath: laneLocation).standardizedFileURL.path
            _ = try await BasinLocation.backend(resolved, create: true, storageClass: options.laneStorageClasses[lane])
            options.laneLocations[lane] = resolved
        }
        return try await create(backend: try await BasinLocation.backend(location, create: true), password: password,
                                options: options, resolve: BasinLocation.resolver)
    }
}
