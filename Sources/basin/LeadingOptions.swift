/// Repository options given before the subcommand (`basin -r REPO snapshots`, as restic users
/// type it) are moved after it, where the subcommand's own options are parsed.
enum LeadingOptions {
    /// The options of ``RepositoryOptions``, each taking a value.
    static let names: Set<String> = ["-r", "--repo", "--password-file", "--retry-lock"]

    /// `arguments` (without the program name) with leading repository options moved to the
    /// end, or before a `--` that ends the options; anything else is left as it is.
    static func rearranged(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if names.contains(first), rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if let equals = first.firstIndex(of: "="), names.contains(String(first[..<equals])) {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var result = Array(rest)
        result.insert(contentsOf: leading, at: result.firstIndex(of: "--") ?? result.endIndex)
        return result
    }
}
