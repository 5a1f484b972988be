import Foundation

/// Writes a file so that readers see either the old file or the complete new one: the content
/// goes to a temporary file in the same folder, which is flushed to disk (fsync) and renamed
/// over `path` only on success (rename(2) within one file system is atomic) and removed on
/// failure.
public enum AtomicOutput {
    /// Calls `body` with the temporary path to write, then renames it to `path`.
    public static func write<R>(to path: String, _ body: (_ temporaryPath: String) throws -> R) throws -> R {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)").path
        do {
            let result = try body(temporary)
            try synchronize(temporary)
            guard rename(temporary, path) == 0 else {
                throw DataError.cannotWrite(path: path, reason: "rename from \(temporary) failed: \(String(cString: strerror(errno)))")
            }
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Forces the file's data to disk so that the rename never exposes an incomplete file.
    static func synchronize(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DataError.cannotWrite(path: path, reason: "cannot reopen to flush: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw DataError.cannotWrite(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }
}
