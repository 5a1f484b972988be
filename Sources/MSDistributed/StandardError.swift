import Foundation

/// Diagnostics go to standard error, one whole line per write so that lines of different
/// ranks interleave only at line boundaries.
enum StandardError {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
