import Foundation

/// Writes a file so that readers see either the old file or the complete new one: the content
/// goes to a temporary file in the same folder, which is renamed over `path` only on success
/// (rename(2) within one file system is atomic) and removed on failure.
public enum AtomicOutput {
    /// Calls `body` with the temporary path to write, then renames it to `path`.
    public static func write<R>(to path: String, _ body: (_ temporaryPath: String) throws -> R) throws -> R {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)").path
        do {
            let result = try body(temporary)
            guard rename(temporary, path) == 0 else {
                throw DataError.cannotWrite(path: path, reason: "rename from \(temporary) failed: \(String(cString: strerror(errno)))")
            }
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
