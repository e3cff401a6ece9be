public enum BasinCoreVersion { public static let string = "0.1.0" }
